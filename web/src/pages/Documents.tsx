// The documents page: every document with its status and quizzes, the
// upload (drag and drop or file picker, with the generation options), its
// upload progress and then the quiz job's live progress.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api';
import { bytes, typeNames, when } from '../format';
import { cached } from '../session';
import type { Doc, Job, Limits, QuizSummary } from '../types';
import { Empty, ErrorBox, JobProgress, Loading, ProgressBar, StatusBadge, Title } from '../ui';

const allTypes = Object.keys(typeNames);
const defaultTypes = ['multiple_choice', 'true_false', 'fill_in_blank'];

const fallbackLimits: Limits = {
  plan: 'free',
  max_file_size: 10 * 1024 * 1024,
  max_pages: 50,
  max_questions: 50,
  accepted_types: [
    { kind: 'pdf', extensions: ['.pdf'], content_types: ['application/pdf'] },
    { kind: 'docx', extensions: ['.docx'], content_types: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'] },
    { kind: 'text', extensions: ['.txt'], content_types: ['text/plain'] },
    { kind: 'markdown', extensions: ['.md', '.markdown'], content_types: ['text/markdown'] },
  ],
};

/** The user's upload limits: GET /v1/limits, else the plan's from /v1/plans. */
async function loadLimits(plan: string): Promise<Limits> {
  try {
    return await api.limits();
  } catch (e) {
    if (!(e instanceof api.ApiError) || e.status !== 404) throw e;
  }
  const ps = await api.plans();
  const p = ps.plans.find((x) => x.name === plan) || ps.plans[0];
  return { ...fallbackLimits, plan: p.name, max_file_size: p.max_file_size, max_pages: p.max_pages, max_questions: p.max_questions };
}

/** Why the file cannot be sent, or null when it passes the client-side checks. */
export function checkFile(f: File, l: Limits): string | null {
  const name = f.name.toLowerCase();
  const ok = l.accepted_types.some((t) => t.extensions.some((x) => name.endsWith(x.toLowerCase())) || (f.type && t.content_types.includes(f.type)));
  if (!ok) {
    const exts = l.accepted_types.flatMap((t) => t.extensions).join(', ');
    return `${f.name} is not a document QuizFlow reads. Choose a file of type ${exts}.`;
  }
  if (f.size === 0) return `${f.name} is empty.`;
  if (f.size > l.max_file_size) return `${f.name} is ${bytes(f.size)}; your plan takes files up to ${bytes(l.max_file_size)}.`;
  return null;
}

interface Upload {
  key: number;
  file: File;
  sent: number;
  total: number;
  phase: 'uploading' | 'processing' | 'done' | 'failed';
  error?: unknown;
  job: Job | null;
  abort?: () => void;
}

export function Documents({ plan }: { plan: string }) {
  const [docs, setDocs] = useState<Doc[] | null>(null);
  const [quizzes, setQuizzes] = useState<QuizSummary[]>([]);
  const [allRunning, setRunning] = useState<Job[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [limits, setLimits] = useState<Limits | null>(null);
  // Jobs the upload panel already follows, not shown twice.
  const [watched, setWatched] = useState<string[]>([]);

  const running = allRunning.filter((j) => !watched.includes(j.id));
  const reload = async () => {
    try {
      const [d, q, j] = await Promise.all([api.listDocuments(), api.listQuizzes(), api.listJobs()]);
      setDocs(d.documents);
      setQuizzes(q.quizzes);
      setRunning(j.jobs.filter((x) => x.kind === 'quiz' && (x.status === 'queued' || x.status === 'running')));
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    reload();
    cached('limits', () => loadLimits(plan)).then(setLimits, () => setLimits(fallbackLimits));
  }, []);

  return (
    <>
      <Title>Documents</Title>
      <UploadPanel limits={limits} onChange={reload} onWatch={(id) => setWatched((w) => [...w, id])} />
      <section aria-labelledby="docs-h">
        <h2 id="docs-h">Your documents</h2>
        <ErrorBox error={error} />
        {running.length > 0 && (
          <div class="card">
            <h3>In progress</h3>
            {running.map((j) => (
              <RunningJob key={j.id} job={j} onDone={reload} />
            ))}
          </div>
        )}
        {docs === null && !error ? (
          <Loading label="Loading your documents…" />
        ) : docs && docs.length === 0 ? (
          <Empty>
            <p>No documents yet. Upload a PDF, Word document, text or Markdown file above and QuizFlow writes a quiz from it.</p>
          </Empty>
        ) : (
          <ul class="doc-list">
            {docs?.map((d) => (
              <DocRow key={d.id} doc={d} quizzes={quizzes.filter((q) => q.document_id === d.id)} onChange={reload} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function RunningJob({ job, onDone }: { job: Job; onDone: () => void }) {
  const [j, setJ] = useState<Job>(job);
  useEffect(() => {
    const ac = new AbortController();
    api.watchJob(job.id, setJ, ac.signal).then(onDone, () => {});
    return () => ac.abort();
  }, [job.id]);
  return <JobProgress job={j} label={`Quiz job ${job.id}`} />;
}

function DocRow({ doc, quizzes, onChange }: { doc: Doc; quizzes: QuizSummary[]; onChange: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [job, setJob] = useState<Job | null>(null);
  const del = async () => {
    if (!confirm(`Delete ${doc.filename} with its quizzes and exports?`)) return;
    setBusy(true);
    try {
      await api.deleteDocument(doc.id);
      onChange();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  const another = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.newQuiz(doc.id, { ...doc.options, fresh: true });
      setJob(r.job);
      const ac = new AbortController();
      await api.watchJob(r.job.id, setJob, ac.signal);
      onChange();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="card doc">
      <div class="doc-head">
        <h3>{doc.filename}</h3>
        <StatusBadge status={doc.status} />
      </div>
      <p class="meta">
        {doc.kind.toUpperCase()} · {bytes(doc.size)}
        {doc.page_count > 0 && ` · ${doc.page_count} page${doc.page_count === 1 ? '' : 's'}`}
        {doc.word_count > 0 && ` · ${doc.word_count} words`} · uploaded {when(doc.created_at)}
      </p>
      {quizzes.length > 0 ? (
        <ul class="quiz-links">
          {quizzes.map((q) => (
            <li key={q.id}>
              <a href={`/quizzes/${q.id}`}>{q.title || 'Untitled quiz'}</a> <span class="meta">({q.question_count} questions)</span>
            </li>
          ))}
        </ul>
      ) : (
        doc.status !== 'failed' && <p class="meta">No quiz yet.</p>
      )}
      {job && <JobProgress job={job} label={`New quiz from ${doc.filename}`} />}
      <ErrorBox error={error} />
      <div class="actions">
        {doc.status === 'extracted' && (
          <button type="button" onClick={another} disabled={busy}>
            New quiz<span class="sr-only"> from {doc.filename}</span>
          </button>
        )}
        <button type="button" class="danger" onClick={del} disabled={busy}>
          Delete<span class="sr-only"> {doc.filename}</span>
        </button>
      </div>
    </li>
  );
}

function UploadPanel({ limits, onChange, onWatch }: { limits: Limits | null; onChange: () => void; onWatch: (jobId: string) => void }) {
  const [over, setOver] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [count, setCount] = useState(10);
  const [types, setTypes] = useState<string[]>(defaultTypes);
  const [difficulty, setDifficulty] = useState('medium');
  const [language, setLanguage] = useState('en');
  const [instructions, setInstructions] = useState('');
  const [formError, setFormError] = useState<string | null>(null);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const input = useRef<HTMLInputElement>(null);
  const l = limits || fallbackLimits;
  const accept = l.accepted_types.flatMap((t) => [...t.extensions, ...t.content_types]).join(',');

  const choose = (f: File | undefined) => {
    if (!f) return;
    const why = checkFile(f, l);
    setFileError(why);
    setFile(why ? null : f);
  };
  const update = (key: number, patch: Partial<Upload>) => setUploads((us) => us.map((u) => (u.key === key ? { ...u, ...patch } : u)));

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file) {
      setFileError('Choose a file first.');
      return;
    }
    if (types.length === 0) {
      setFormError('Pick at least one question type.');
      return;
    }
    if (!/^[a-z]{2}$/.test(language)) {
      setFormError('The language is a two-letter code such as en, de or fr.');
      return;
    }
    setFormError(null);
    const fields: [string, string][] = [
      ['question_count', String(count)],
      ['question_types', types.join(',')],
      ['difficulty', difficulty],
      ['language', language],
    ];
    if (instructions.trim()) fields.push(['instructions', instructions.trim()]);
    const key = Date.now();
    const f = file;
    setFile(null);
    if (input.current) input.current.value = '';
    const h = api.upload(f, fields, (sent, total) => update(key, { sent, total }));
    setUploads((us) => [{ key, file: f, sent: 0, total: f.size, phase: 'uploading', job: null, abort: h.abort }, ...us]);
    try {
      const r = await h.promise;
      onWatch(r.job.id);
      update(key, { phase: 'processing', job: r.job, sent: f.size, total: f.size });
      onChange();
      const ac = new AbortController();
      const done = await api.watchJob(r.job.id, (j) => update(key, { job: j }), ac.signal);
      update(key, { phase: done.status === 'succeeded' ? 'done' : 'failed', job: done });
      onChange();
    } catch (err) {
      update(key, { phase: 'failed', error: err });
    }
  };

  const toggle = (t: string) => setTypes((ts) => (ts.includes(t) ? ts.filter((x) => x !== t) : [...ts, t]));

  return (
    <section class="card" aria-labelledby="up-h">
      <h2 id="up-h">Upload a document</h2>
      <form onSubmit={submit}>
        <div
          class={'drop' + (over ? ' over' : '')}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setOver(false);
            choose(e.dataTransfer?.files[0]);
          }}
        >
          <p>Drag a file here, or</p>
          <label for="up-file" class="button-like">
            Choose a file
          </label>
          <input id="up-file" ref={input} class="visually-file" type="file" accept={accept} aria-describedby="up-hint" onChange={(e) => choose(e.currentTarget.files?.[0])} />
          <p class="hint" id="up-hint">
            PDF, DOCX, text or Markdown, up to {bytes(l.max_file_size)} and {l.max_pages} pages on your plan.
          </p>
          <p class="chosen" aria-live="polite">
            {file ? `Chosen: ${file.name} (${bytes(file.size)})` : '\u00a0'}
          </p>
        </div>
        {fileError && (
          <div class="alert error" role="alert">
            {fileError}
          </div>
        )}
        <div class="grid">
          <div>
            <label for="up-count">Number of questions</label>
            <input id="up-count" type="number" min={1} max={l.max_questions} required value={count} onInput={(e) => setCount(Number(e.currentTarget.value))} />
          </div>
          <div>
            <label for="up-difficulty">Difficulty</label>
            <select id="up-difficulty" value={difficulty} onChange={(e) => setDifficulty(e.currentTarget.value)}>
              <option value="easy">Easy</option>
              <option value="medium">Medium</option>
              <option value="hard">Hard</option>
              <option value="mixed">Mixed</option>
            </select>
          </div>
          <div>
            <label for="up-language">Language (ISO code)</label>
            <input id="up-language" required maxLength={2} minLength={2} value={language} onInput={(e) => setLanguage(e.currentTarget.value.toLowerCase())} />
          </div>
        </div>
        <fieldset>
          <legend>Question types</legend>
          <div class="checks">
            {allTypes.map((t) => (
              <label key={t} class="check">
                <input type="checkbox" checked={types.includes(t)} onChange={() => toggle(t)} /> {typeNames[t]}
              </label>
            ))}
          </div>
        </fieldset>
        <label for="up-instructions">Instructions (optional)</label>
        <textarea id="up-instructions" maxLength={500} rows={2} value={instructions} onInput={(e) => setInstructions(e.currentTarget.value)} placeholder="e.g. focus on chapter 2" />
        {formError && (
          <div class="alert error" role="alert">
            {formError}
          </div>
        )}
        <button class="primary" type="submit">
          Upload and make a quiz
        </button>
      </form>
      {uploads.map((u) => (
        <UploadStatus key={u.key} u={u} />
      ))}
    </section>
  );
}

function UploadStatus({ u }: { u: Upload }) {
  return (
    <div class="upload">
      <h3>{u.file.name}</h3>
      <ProgressBar label={`Upload of ${u.file.name}`} value={u.total ? (100 * u.sent) / u.total : 0} text={`${bytes(u.sent)} of ${bytes(u.total)} sent`} />
      {u.phase !== 'uploading' && u.job && <JobProgress job={u.job} label={`Quiz from ${u.file.name}`} />}
      {u.error ? <ErrorBox error={u.error} /> : null}
      {u.phase === 'uploading' && u.abort && (
        <button type="button" onClick={u.abort}>
          Cancel upload
        </button>
      )}
      {u.phase === 'done' && u.job?.result.quiz_id && (
        <p>
          <a class="button-like primary" href={`/quizzes/${u.job.result.quiz_id}`}>
            Review the quiz
          </a>
        </p>
      )}
    </div>
  );
}
