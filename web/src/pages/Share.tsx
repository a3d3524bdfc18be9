// Sharing a quiz: the public link (create, copy, revoke) and the attempts
// taken through it, with each one's per-question results.
import { useEffect, useMemo, useState } from 'preact/hooks';
import * as api from '../api';
import { when } from '../format';
import type { Attempt, Quiz, Share } from '../types';
import { Empty, ErrorBox, Loading } from '../ui';
import { ResultList, toShared } from './Take';

export function ShareTab({ quiz }: { quiz: Quiz }) {
  const [share, setShare] = useState<Share | null | undefined>(undefined);
  const [attempts, setAttempts] = useState<Attempt[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState('');
  const byId = useMemo(() => new Map(toShared(quiz).questions.map((q) => [q.id, q])), [quiz]);

  const load = async () => {
    try {
      const [s, a] = await Promise.all([api.getShare(quiz.id), api.listAttempts(quiz.id)]);
      setShare(s);
      setAttempts(a.attempts);
    } catch (e) {
      setError(e);
      setShare((s) => (s === undefined ? null : s));
      setAttempts((a) => a || []);
    }
  };
  useEffect(() => {
    load();
  }, [quiz.id]);

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setCopied('');
    try {
      await fn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const link = share ? new URL('/s/' + share.token, location.origin).href : '';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied('The link is copied.');
    } catch {
      (document.getElementById('share-url') as HTMLInputElement | null)?.select();
      setCopied('Select the link and copy it (Ctrl+C).');
    }
  };

  return (
    <section aria-labelledby="share-h">
      <h2 id="share-h">Share link</h2>
      <ErrorBox error={error} />
      <div class="card share-box">
        {share === undefined ? (
          <Loading label="Loading the share link…" />
        ) : share ? (
          <>
            <p>Anyone with this link can take the quiz without an account and sees their score and the correct answers after submitting.</p>
            <label for="share-url">Share link</label>
            <input id="share-url" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
            <div class="actions">
              <button type="button" class="primary" onClick={copy}>Copy link</button>
              <a class="button-like" href={link} target="_blank" rel="noopener">Open the link</a>
              <button type="button" class="danger" disabled={busy} onClick={() => act(async () => { await api.deleteShare(quiz.id); setShare(null); })}>
                Revoke link
              </button>
            </div>
            <p class="meta" aria-live="polite">{copied || `Shared ${when(share.created_at)}.`}</p>
          </>
        ) : (
          <>
            <p>The quiz is not shared. A share link is public and unguessable; you can revoke it at any time.</p>
            <button type="button" class="primary" disabled={busy} onClick={() => act(async () => setShare(await api.createShare(quiz.id)))}>
              Create share link
            </button>
          </>
        )}
      </div>
      <h2 id="attempts-h">Attempts</h2>
      <button type="button" class="small" onClick={load}>Refresh attempts</button>
      {attempts === null ? (
        <Loading label="Loading attempts…" />
      ) : attempts.length === 0 ? (
        <Empty><p>No one has taken the quiz through its link yet.</p></Empty>
      ) : (
        <ul class="attempt-list" aria-labelledby="attempts-h">
          {attempts.map((a) => (
            <li key={a.attempt_id} class="card attempt">
              <p class="attempt-head">
                <strong>{a.name || '(no name)'}</strong> · <span>{a.score} of {a.max_score}{a.pending_review > 0 && ` (${a.pending_review} to grade)`}</span> · <span class="meta">{when(a.created_at)}</span>
              </p>
              <details>
                <summary>Per question<span class="sr-only"> for {a.name || 'this attempt'}</span></summary>
                <ResultList
                  byId={byId}
                  score={a}
                  onGrade={async (qid, points) => {
                    const g = await api.gradeAttempt(quiz.id, a.attempt_id, { [qid]: points });
                    setAttempts((as) => (as || []).map((x) => (x.attempt_id === g.attempt_id ? g : x)));
                  }}
                />
              </details>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
