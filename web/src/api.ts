// The QuizFlow API client: the access token lives in this module's memory
// only; the refresh token is the HttpOnly cookie qf_refresh (cookie session
// mode, X-Auth-Mode: cookie), so a reload restores the session with one
// POST /v1/auth/refresh. Every authenticated request that answers 401 is
// retried once after a refresh.

import type {
  Attempt, AttemptList, BillingStatus, Export, ExportCreated, Format, Job, Limits, Plan,
  Question, Quiz, QuizSummary, Score, Session, Share, SharedQuiz, User, Doc, DocumentText,
  APIKey, NewAPIKey, Notifications,
} from './types';

/** An error answered by the API, in its `{"error":{code,message,field}}` shape. */
export class ApiError extends Error {
  status: number;
  code: string;
  field?: string;
  upgradeUrl?: string;
  constructor(status: number, code: string, message: string, field?: string, upgradeUrl?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.upgradeUrl = upgradeUrl;
  }
}

let accessToken: string | null = null;
let refreshing: Promise<Session | null> | null = null;
let onSignedOut: (() => void) | null = null;

/** Sets what runs when the session is found gone (a refresh refused). */
export function setSignedOutHandler(fn: () => void) {
  onSignedOut = fn;
}

/** Forgets the access token (sign-out). */
export function clearToken() {
  accessToken = null;
}

export function hasToken() {
  return accessToken !== null;
}

async function errorFrom(res: Response): Promise<ApiError> {
  let code = 'http_' + res.status;
  let message = res.statusText || 'The request failed.';
  let field: string | undefined;
  let upgrade: string | undefined;
  try {
    const body = await res.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
      field = body.error.field;
      upgrade = body.error.upgrade_url;
    }
  } catch {
    /* not JSON: keep the status text */
  }
  if (res.status === 429) {
    const after = res.headers.get('Retry-After');
    if (after) message += ` Try again in ${after} s.`;
  }
  return new ApiError(res.status, code, message, field, upgrade);
}

interface Opts {
  body?: unknown;
  auth?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

function authHeaders(h: Record<string, string>) {
  if (accessToken) h['Authorization'] = 'Bearer ' + accessToken;
  return h;
}

async function send(method: string, path: string, o: Opts): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...(o.headers || {}) };
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  if (o.auth !== false) authHeaders(headers);
  return fetch(path, {
    method,
    headers,
    body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
    credentials: 'same-origin',
    signal: o.signal,
  });
}

/** Sends one request; on 401 refreshes the session once and retries. */
export async function raw(method: string, path: string, o: Opts = {}): Promise<Response> {
  let res = await send(method, path, o);
  if (res.status === 401 && o.auth !== false) {
    const s = await refresh();
    if (s) res = await send(method, path, o);
  }
  return res;
}

export async function api<T>(method: string, path: string, o: Opts = {}): Promise<T> {
  const res = await raw(method, path, o);
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

const cookieMode = { 'X-Auth-Mode': 'cookie' };

function adopt(s: Session): Session {
  accessToken = s.access_token;
  return s;
}

/**
 * Restores or renews the session from the qf_refresh cookie. Concurrent
 * callers share one request (the refresh token rotates on every use, so two
 * parallel refreshes would sign the user out). Resolves null when there is
 * no session.
 */
export function refresh(): Promise<Session | null> {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const res = await send('POST', '/v1/auth/refresh', { auth: false, headers: cookieMode });
        if (!res.ok) {
          const had = accessToken !== null;
          accessToken = null;
          if (had && onSignedOut) onSignedOut();
          return null;
        }
        return adopt((await res.json()) as Session);
      } catch {
        return null;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

export async function register(email: string, password: string, name: string) {
  return adopt(await api<Session>('POST', '/v1/auth/register', { body: { email, password, name }, auth: false, headers: cookieMode }));
}

export async function login(email: string, password: string) {
  return adopt(await api<Session>('POST', '/v1/auth/login', { body: { email, password }, auth: false, headers: cookieMode }));
}

/** Ends the login on the server (the cookie is cleared) and forgets the token. */
export async function logout() {
  try {
    await send('POST', '/v1/auth/logout', { auth: false, headers: cookieMode });
  } finally {
    accessToken = null;
  }
}

export const verifyEmail = (token: string) => api<User>('POST', '/v1/auth/verify', { body: { token }, auth: false });
export const resendVerification = () => api<{ status: string; message?: string }>('POST', '/v1/auth/verify/resend');
export const forgotPassword = (email: string) => api<{ status: string; message?: string }>('POST', '/v1/auth/password/forgot', { body: { email }, auth: false });
export const resetPassword = (token: string, password: string) => api<void>('POST', '/v1/auth/password/reset', { body: { token, password }, auth: false });

export const me = () => api<User>('GET', '/v1/me');
export async function changePassword(current_password: string, new_password: string) {
  // The answer is a fresh session; in cookie mode its refresh token is the cookie.
  return adopt(await api<Session>('PATCH', '/v1/me/password', { body: { current_password, new_password }, headers: cookieMode }));
}
export const changeEmail = (email: string, current_password: string) => api<User>('PATCH', '/v1/me', { body: { email, current_password } });
export const rename = (name: string) => api<User>('PATCH', '/v1/me', { body: { name } });
export const getNotifications = () => api<{ notifications: Notifications }>('GET', '/v1/me/notifications');
export const setNotifications = (n: Notifications) => api<{ notifications: Notifications }>('PATCH', '/v1/me/notifications', { body: n });
export const listKeys = () => api<{ api_keys: APIKey[] }>('GET', '/v1/api-keys');
export const createKey = (name: string, scopes: string[]) => api<NewAPIKey>('POST', '/v1/api-keys', { body: { name, scopes } });
export const deleteKey = (id: string) => api<void>('DELETE', '/v1/api-keys/' + encodeURIComponent(id));
export const plans = () => api<{ plans: Plan[] }>('GET', '/v1/plans', { auth: false });
export const billing = () => api<BillingStatus>('GET', '/v1/billing');
export const checkout = () => api<{ url: string }>('POST', '/v1/billing/checkout');
export const portal = () => api<{ url: string }>('POST', '/v1/billing/portal');

export const limits = () => api<Limits>('GET', '/v1/limits');
export const listDocuments = () => api<{ documents: Doc[]; next_cursor: string }>('GET', '/v1/documents?limit=100');
export const getDocument = (id: string) => api<Doc>('GET', '/v1/documents/' + id);
export const deleteDocument = (id: string) => api<void>('DELETE', '/v1/documents/' + id);
export const documentText = (id: string, page?: number) =>
  api<DocumentText>('GET', `/v1/documents/${id}/text` + (page ? `?page=${page}` : ''));
export const newQuiz = (id: string, options: Record<string, unknown>) => api<{ job: Job }>('POST', `/v1/documents/${id}/quizzes`, { body: options });
export const listJobs = () => api<{ jobs: Job[]; next_cursor: string }>('GET', '/v1/jobs?limit=100');
export const getJob = (id: string) => api<Job>('GET', '/v1/jobs/' + id);
export const listQuizzes = () => api<{ quizzes: QuizSummary[]; next_cursor: string }>('GET', '/v1/quizzes?limit=200');
export const getQuiz = (id: string) => api<Quiz>('GET', '/v1/quizzes/' + id);
export const deleteQuiz = (id: string) => api<void>('DELETE', '/v1/quizzes/' + id);
/** If-Match for a quiz edit: the version it was made on (409 if the quiz moved on since). */
const onVersion = (version?: number) => (version ? { 'If-Match': `"${version}"` } : undefined);
export const patchQuiz = (id: string, body: { title?: string; question_order?: string[] }, version?: number) =>
  api<Quiz>('PATCH', '/v1/quizzes/' + id, { body, headers: onVersion(version) });
export const addQuestion = (id: string, q: Partial<Question>, version?: number) =>
  api<Question>('POST', `/v1/quizzes/${id}/questions`, { body: q, headers: onVersion(version) });
export const patchQuestion = (id: string, qid: string, q: Partial<Question>, version?: number) =>
  api<Question>('PATCH', `/v1/quizzes/${id}/questions/${encodeURIComponent(qid)}`, { body: q, headers: onVersion(version) });
export const deleteQuestion = (id: string, qid: string, version?: number) =>
  api<void>('DELETE', `/v1/quizzes/${id}/questions/${encodeURIComponent(qid)}`, { headers: onVersion(version) });
export const regenerate = (id: string, qid: string) => api<{ job: Job }>('POST', `/v1/quizzes/${id}/questions/${encodeURIComponent(qid)}/regenerate`);
export const exportFormats = () => api<{ formats: Format[] }>('GET', '/v1/export-formats', { auth: false });
export const createExport = (id: string, format: string, options: Record<string, unknown>) =>
  api<ExportCreated>('POST', `/v1/quizzes/${id}/exports`, { body: { format, options } });
export const getExport = (id: string) => api<Export>('GET', '/v1/exports/' + id);
export const listExports = (quizId: string) => api<{ exports: Export[] }>('GET', '/v1/exports?limit=50&quiz_id=' + quizId);
export const createShare = (id: string) => api<Share>('POST', `/v1/quizzes/${id}/share`);
export async function getShare(id: string): Promise<Share | null> {
  try {
    return await api<Share>('GET', `/v1/quizzes/${id}/share`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}
export const deleteShare = (id: string) => api<void>('DELETE', `/v1/quizzes/${id}/share`);
export const listAttempts = (id: string) => api<AttemptList>('GET', `/v1/quizzes/${id}/attempts?limit=100`);
export const gradeAttempt = (id: string, attemptId: string, grades: Record<string, number>) =>
  api<Attempt>('PATCH', `/v1/quizzes/${id}/attempts/${encodeURIComponent(attemptId)}`, { body: { grades } });
export const scoreQuiz = (id: string, answers: Record<string, unknown>) => api<Score>('POST', `/v1/quizzes/${id}/score`, { body: { answers } });
export const sharedQuiz = (token: string) => api<SharedQuiz>('GET', '/v1/shared/' + encodeURIComponent(token), { auth: false });
export const submitAttempt = (token: string, name: string, answers: Record<string, unknown>, key: string) =>
  api<Attempt>('POST', `/v1/shared/${encodeURIComponent(token)}/attempts`, {
    body: { name, answers }, auth: false, headers: { 'Idempotency-Key': key },
  });

/**
 * Starts the download of an export's file. GET /v1/exports/{id}/download
 * needs the Authorization header; asked with `Accept: application/json` it
 * answers `{url}`, a presigned link on the object store that needs no
 * token, which the page opens (the browser downloads it as an attachment).
 * A redirect could not be followed from here: the object store is another
 * origin, outside the CSP's `connect-src 'self'`.
 */
export async function download(exp: Export): Promise<void> {
  const path = exp.download_url || `/v1/exports/${exp.id}/download`;
  const get = () => fetch(path, { headers: authHeaders({ Accept: 'application/json' }), redirect: 'manual', credentials: 'same-origin' });
  let res = await get();
  if (res.status === 401 && (await refresh())) res = await get();
  if (!res.ok) throw await errorFrom(res);
  const body = await res.json().catch(() => null);
  if (body && typeof body.url === 'string') {
    location.assign(body.url);
    return;
  }
  throw new ApiError(res.status, 'no_link', 'The server gave no download link.');
}

export interface UploadHandle {
  promise: Promise<{ document: Doc; job: Job }>;
  abort: () => void;
}

/**
 * Uploads a document with XMLHttpRequest (fetch has no upload progress):
 * the options go first so the server checks them before reading the file.
 */
export function upload(file: File, fields: [string, string][], onProgress: (sent: number, total: number) => void): UploadHandle {
  let xhr: XMLHttpRequest | null = null;
  let aborted = false;
  const attempt = () =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const fd = new FormData();
      for (const [k, v] of fields) fd.append(k, v);
      fd.append('file', file, file.name);
      xhr = new XMLHttpRequest();
      xhr.open('POST', '/v1/documents');
      xhr.withCredentials = false;
      xhr.setRequestHeader('Accept', 'application/json');
      if (accessToken) xhr.setRequestHeader('Authorization', 'Bearer ' + accessToken);
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onload = () => resolve({ status: xhr!.status, text: xhr!.responseText });
      xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload was interrupted: check the connection and try again.'));
      xhr.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.'));
      xhr.send(fd);
    });
  const promise = (async () => {
    let r = await attempt();
    if (r.status === 401 && !aborted && (await refresh())) r = await attempt();
    let body: any = null;
    try {
      body = JSON.parse(r.text);
    } catch {
      /* not JSON */
    }
    if (r.status < 200 || r.status >= 300) {
      const e = body && body.error;
      throw new ApiError(r.status, e?.code || 'http_' + r.status, e?.message || `The upload failed (HTTP ${r.status}).`, e?.field, e?.upgrade_url);
    }
    return body as { document: Doc; job: Job };
  })();
  return {
    promise,
    abort: () => {
      aborted = true;
      (xhr as XMLHttpRequest | null)?.abort();
    },
  };
}

const terminal = (j: Job) => j.status === 'succeeded' || j.status === 'failed';

/**
 * Follows a job until it has succeeded or failed: the SSE stream
 * GET /v1/jobs/{id}/events read with fetch (EventSource cannot send the
 * Authorization header), falling back to polling GET /v1/jobs/{id} once a
 * second when the stream cannot be opened or breaks.
 */
export async function watchJob(id: string, onUpdate: (j: Job) => void, signal: AbortSignal): Promise<Job> {
  try {
    const j = await streamJob(id, onUpdate, signal);
    if (j && terminal(j)) return j;
  } catch (e) {
    if (signal.aborted) throw e;
  }
  for (;;) {
    if (signal.aborted) throw new ApiError(0, 'aborted', 'Stopped watching the job.');
    const j = await api<Job>('GET', '/v1/jobs/' + id, { signal });
    onUpdate(j);
    if (terminal(j)) return j;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function streamJob(id: string, onUpdate: (j: Job) => void, signal: AbortSignal): Promise<Job | null> {
  const res = await raw('GET', `/v1/jobs/${id}/events`, { headers: { Accept: 'text/event-stream' }, signal });
  if (!res.ok || !res.body) throw await errorFrom(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let last: Job | null = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return last;
    buf += value;
    let cut: number;
    while ((cut = buf.search(/\r?\n\r?\n/)) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut).replace(/^\r?\n\r?\n/, '');
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith(':')) continue;
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (event === 'job' && data.length) {
        last = JSON.parse(data.join('\n')) as Job;
        onUpdate(last);
        if (terminal(last)) {
          reader.cancel().catch(() => {});
          return last;
        }
      }
    }
  }
}
