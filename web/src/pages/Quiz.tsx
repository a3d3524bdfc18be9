// A quiz: review and edit its questions, take it yourself, share it, export it.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api';
import { typeNames, when } from '../format';
import type { Job, Option, Question, Quiz, QuestionType } from '../types';
import { Empty, ErrorBox, JobProgress, Loading, Notice, Title } from '../ui';
import { ExportTab } from './Export';
import { ShareTab } from './Share';
import { TakeQuiz, toShared } from './Take';

type Tab = 'review' | 'take' | 'share' | 'export';

const tabs: [Tab, string][] = [
  ['review', 'Review and edit'],
  ['take', 'Take (preview)'],
  ['share', 'Share'],
  ['export', 'Export'],
];

export function QuizPage({ id, tab }: { id: string; tab: Tab }) {
  const [quiz, setQuiz] = useState<Quiz | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = async () => {
    try {
      const q = await api.getQuiz(id);
      setQuiz(q);
      setError(null);
      return q;
    } catch (e) {
      setError(e);
      return null;
    }
  };
  useEffect(() => {
    setQuiz(null);
    reload();
  }, [id]);

  if (!quiz) return error ? <><Title>Quiz</Title><ErrorBox error={error} /></> : <Loading label="Loading the quiz…" />;
  return (
    <>
      <QuizTitle quiz={quiz} onSaved={setQuiz} />
      <p class="meta">
        {quiz.questions.length} questions · version {quiz.version} · made {when(quiz.created_at)} · <a href="/documents">All documents</a>
      </p>
      <nav class="tabs" aria-label="Quiz sections">
        {tabs.map(([t, label]) => (
          <a key={t} href={`/quizzes/${id}${t === 'review' ? '' : '/' + t}`} aria-current={t === tab ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {tab === 'review' && <Review quiz={quiz} setQuiz={setQuiz} reload={reload} />}
      {tab === 'take' && <TakeQuiz quiz={toShared(quiz)} onSubmit={(answers) => api.scoreQuiz(quiz.id, answers)} preview />}
      {tab === 'share' && <ShareTab quiz={quiz} />}
      {tab === 'export' && <ExportTab quiz={quiz} />}
    </>
  );
}

function QuizTitle({ quiz, onSaved }: { quiz: Quiz; onSaved: (q: Quiz) => void }) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(quiz.title);
  const [error, setError] = useState<unknown>(null);
  if (!editing)
    return (
      <div class="title-row">
        <Title>{quiz.title || 'Untitled quiz'}</Title>
        <button type="button" class="small" onClick={() => { setTitle(quiz.title); setEditing(true); }}>
          Rename<span class="sr-only"> the quiz</span>
        </button>
      </div>
    );
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      onSaved(await api.patchQuiz(quiz.id, { title: title.trim() }, quiz.version));
      setEditing(false);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="title-row" onSubmit={save}>
      <label for="quiz-title" class="sr-only">Quiz title</label>
      <input id="quiz-title" maxLength={200} required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      <button class="primary" type="submit">Save title</button>
      <button type="button" onClick={() => setEditing(false)}>Cancel</button>
      <ErrorBox error={error} />
    </form>
  );
}

/**
 * Every edit is sent with If-Match: the version on screen. The API applies
 * it only to that version and answers 409 when the quiz was changed
 * elsewhere meanwhile, which is shown instead of an overwrite.
 */
function isConflict(e: unknown) {
  return e instanceof api.ApiError && (e.status === 409 || e.status === 412) && e.field === 'If-Match';
}

const conflictText = 'This quiz was changed elsewhere since you opened it. Your change was not saved, so nothing of the other edit is lost.';

function Review({ quiz, setQuiz, reload }: { quiz: Quiz; setQuiz: (q: Quiz) => void; reload: () => Promise<Quiz | null> }) {
  const [conflict, setConflict] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [adding, setAdding] = useState(false);
  const [dragId, setDragId] = useState<string | null>(null);
  const [announce, setAnnounce] = useState('');
  // Bumped to drop open editors when the latest version is loaded after a conflict.
  const [gen, setGen] = useState(0);
  const focusAfter = useRef<string | null>(null);

  useEffect(() => {
    if (focusAfter.current) {
      document.getElementById(focusAfter.current)?.focus();
      focusAfter.current = null;
    }
  });

  /** Runs an edit behind the version guard; a conflict is shown, never overwritten. */
  const edit = async (fn: () => Promise<unknown>): Promise<boolean> => {
    setError(null);
    try {
      await fn();
      await reload();
      setConflict(null);
      return true;
    } catch (e) {
      if (isConflict(e)) setConflict(conflictText);
      else setError(e);
      return false;
    }
  };

  const move = async (qid: string, to: number, focusId?: string) => {
    const ids = quiz.questions.map((q) => q.id);
    const from = ids.indexOf(qid);
    if (from < 0 || to < 0 || to >= ids.length || from === to) return;
    ids.splice(from, 1);
    ids.splice(to, 0, qid);
    // Show the new order at once; the server's answer replaces it.
    const byId = new Map(quiz.questions.map((q) => [q.id, q]));
    setQuiz({ ...quiz, questions: ids.map((i) => byId.get(i)!) });
    if (focusId) focusAfter.current = focusId;
    const ok = await edit(() => api.patchQuiz(quiz.id, { question_order: ids }, quiz.version));
    setAnnounce(ok ? `Question moved to position ${to + 1} of ${ids.length}.` : 'The question was not moved.');
    if (!ok) await reload();
  };

  return (
    <section aria-label="Questions">
      {quiz.warnings && quiz.warnings.length > 0 && (
        <div class="alert warn" role="note">
          <strong>Warnings</strong>
          <ul>
            {quiz.warnings.map((w, i) => <li key={i}>{w}</li>)}
          </ul>
        </div>
      )}
      {conflict && (
        <div class="alert error" role="alert">
          {conflict}{' '}
          <button type="button" onClick={async () => { await reload(); setGen((g) => g + 1); setConflict(null); }}>
            Load the latest version
          </button>
        </div>
      )}
      <ErrorBox error={error} />
      <p class="sr-only" aria-live="polite">{announce}</p>
      {quiz.questions.length === 0 ? (
        <Empty><p>This quiz has no questions. Add one below.</p></Empty>
      ) : (
        <ol class="questions">
          {quiz.questions.map((q, i) => (
            <li
              key={q.id + ':' + gen}
              class={'card question' + (dragId === q.id ? ' dragging' : '')}
              onDragOver={(e) => { if (dragId) e.preventDefault(); }}
              onDrop={(e) => { e.preventDefault(); if (dragId && dragId !== q.id) move(dragId, i); setDragId(null); }}
            >
              <QuestionCard quiz={quiz} q={q} index={i} count={quiz.questions.length} edit={edit} move={move} onDragStart={() => setDragId(q.id)} onDragEnd={() => setDragId(null)} reload={reload} />
            </li>
          ))}
        </ol>
      )}
      {adding ? (
        <div class="card">
          <h2>New question</h2>
          <QuestionEditor
            initial={blankQuestion('multiple_choice')}
            allowType
            onCancel={() => setAdding(false)}
            onSave={async (q) => {
              const ok = await edit(() => api.addQuestion(quiz.id, q, quiz.version));
              if (ok) setAdding(false);
              return ok;
            }}
          />
        </div>
      ) : (
        <button type="button" class="primary" onClick={() => setAdding(true)}>Add a question</button>
      )}
    </section>
  );
}

function blankQuestion(type: QuestionType): Question {
  const base = { id: '', type, prompt: '', options: null, answers: null, explanation: '', source: { page: 0, quote: '' }, verified: false } as Question;
  if (type === 'multiple_choice') base.options = [{ text: '', correct: true }, { text: '' }, { text: '' }];
  if (type === 'multiple_answer') base.options = [{ text: '', correct: true }, { text: '', correct: true }, { text: '' }];
  if (type === 'true_false') base.options = [{ text: 'True', correct: true }, { text: 'False' }];
  if (type === 'short_answer' || type === 'fill_in_blank') base.answers = [''];
  if (type === 'fill_in_blank') base.prompt = '_____';
  if (type === 'matching') base.pairs = [{ left: '', right: '' }, { left: '', right: '' }];
  return base;
}

interface CardProps {
  quiz: Quiz;
  q: Question;
  index: number;
  count: number;
  edit: (fn: () => Promise<unknown>) => Promise<boolean>;
  move: (qid: string, to: number, focusId?: string) => void;
  onDragStart: () => void;
  onDragEnd: () => void;
  reload: () => Promise<Quiz | null>;
}

function QuestionCard({ quiz, q, index, count, edit, move, onDragStart, onDragEnd, reload }: CardProps) {
  const [editing, setEditing] = useState(false);
  const [regen, setRegen] = useState<Job | null>(null);
  const [regenError, setRegenError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const n = index + 1;
  const hid = `q-${q.id}-h`;

  const regenerate = async () => {
    setBusy(true);
    setRegenError(null);
    try {
      const r = await api.regenerate(quiz.id, q.id);
      setRegen(r.job);
      const ac = new AbortController();
      const done = await api.watchJob(r.job.id, setRegen, ac.signal);
      if (done.status === 'succeeded') {
        await reload();
        setRegen(null);
      }
    } catch (e) {
      setRegenError(e);
    } finally {
      setBusy(false);
    }
  };
  const del = async () => {
    if (!confirm(`Delete question ${n}?`)) return;
    setBusy(true);
    await edit(() => api.deleteQuestion(quiz.id, q.id, quiz.version));
    setBusy(false);
  };

  return (
    <article aria-labelledby={hid}>
      <div class="q-head">
        <span
          class="drag-handle"
          draggable
          onDragStart={(e) => { e.dataTransfer?.setData('text/plain', q.id); onDragStart(); }}
          onDragEnd={onDragEnd}
          title="Drag to reorder"
          aria-hidden="true"
        >
          ⠿
        </span>
        <h2 id={hid} class="q-title">Question {n}</h2>
        <span class="badge">{typeNames[q.type] || q.type}</span>
        {q.verified ? <span class="badge badge-succeeded">Verified source</span> : <span class="badge badge-failed">Source not verified</span>}
      </div>
      {editing ? (
        <QuestionEditor
          initial={q}
          onCancel={() => setEditing(false)}
          onSave={async (patch) => {
            const ok = await edit(() => api.patchQuestion(quiz.id, q.id, patch, quiz.version));
            if (ok) setEditing(false);
            return ok;
          }}
        />
      ) : (
        <QuestionView quiz={quiz} q={q} />
      )}
      {regen && <JobProgress job={regen} label={`Regenerating question ${n}`} />}
      <ErrorBox error={regenError} />
      {!editing && (
        <div class="actions">
          <button type="button" onClick={() => setEditing(true)} disabled={busy}>Edit<span class="sr-only"> question {n}</span></button>
          <button type="button" onClick={regenerate} disabled={busy}>Regenerate<span class="sr-only"> question {n}</span></button>
          <button type="button" id={`up-${q.id}`} onClick={() => move(q.id, index - 1, `up-${q.id}`)} disabled={busy || index === 0}>Move up<span class="sr-only"> question {n}</span></button>
          <button type="button" id={`down-${q.id}`} onClick={() => move(q.id, index + 1, `down-${q.id}`)} disabled={busy || index === count - 1}>Move down<span class="sr-only"> question {n}</span></button>
          <button type="button" class="danger" onClick={del} disabled={busy}>Delete<span class="sr-only"> question {n}</span></button>
        </div>
      )}
    </article>
  );
}

function QuestionView({ quiz, q }: { quiz: Quiz; q: Question }) {
  const srcHref = `/documents/${quiz.document_id}/text?page=${q.source.page}&quote=${encodeURIComponent(q.source.quote)}&quiz=${quiz.id}`;
  return (
    <>
      <p class="prompt">{q.prompt}</p>
      {q.options && q.options.length > 0 && (
        <ul class="options">
          {q.options.map((o, i) => (
            <li key={o.id || i} class={o.correct ? 'correct' : ''}>
              {o.correct ? <span class="mark" aria-hidden="true">✓</span> : <span class="mark" aria-hidden="true">·</span>}
              {o.text}
              {o.correct && <span class="tag">Correct answer</span>}
            </li>
          ))}
        </ul>
      )}
      {q.answers && q.answers.length > 0 && (
        <p>
          <strong>Accepted answers:</strong> {q.answers.join('; ')}
        </p>
      )}
      {q.pairs && q.pairs.length > 0 && (
        <table class="pairs">
          <caption class="sr-only">Matching pairs</caption>
          <thead><tr><th scope="col">Item</th><th scope="col">Matches</th></tr></thead>
          <tbody>
            {q.pairs.map((p, i) => <tr key={i}><td>{p.left}</td><td>{p.right}</td></tr>)}
          </tbody>
        </table>
      )}
      {q.explanation && (
        <p class="explanation"><strong>Explanation:</strong> {q.explanation}</p>
      )}
      {q.source && q.source.quote && (
        <p class="source">
          <strong>Source:</strong>{' '}
          <a href={srcHref}>
            {q.source.page > 0 ? `page ${q.source.page}` : 'the document'}
            <span class="sr-only"> (open the source of this question)</span>
          </a>
          : <q>{q.source.quote}</q>
        </p>
      )}
    </>
  );
}

/** The fields of a question, as edited: what PATCH or POST receives. */
function QuestionEditor({ initial, onSave, onCancel, allowType }: { initial: Question; onSave: (q: Partial<Question>) => Promise<boolean>; onCancel: () => void; allowType?: boolean }) {
  const [q, setQ] = useState<Question>(() => JSON.parse(JSON.stringify(initial)));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pre = `ed-${initial.id || 'new'}`;
  const set = (patch: Partial<Question>) => setQ((x) => ({ ...x, ...patch }));
  const single = q.type === 'multiple_choice' || q.type === 'true_false';
  // Which fields the type uses (the API may send the others as empty lists).
  const hasOptions = single || q.type === 'multiple_answer';
  const hasAnswers = q.type === 'short_answer' || q.type === 'fill_in_blank';
  const hasPairs = q.type === 'matching';
  const setOpt = (i: number, patch: Partial<Option>) =>
    set({
      options: (q.options || []).map((o, j) => (j === i ? { ...o, ...patch } : single && patch.correct ? { ...o, correct: false } : o)),
    });

  const save = async (e: Event) => {
    e.preventDefault();
    if (!q.prompt.trim()) return setError('The question needs a prompt.');
    if (hasOptions && q.options && !q.options.some((o) => o.correct)) return setError('Mark the correct answer.');
    setError(null);
    setBusy(true);
    const body: Partial<Question> = { type: q.type, prompt: q.prompt, explanation: q.explanation };
    if (hasOptions && q.options) body.options = q.options.map((o) => ({ ...(o.id ? { id: o.id } : {}), text: o.text, correct: !!o.correct }));
    if (hasAnswers && q.answers) body.answers = q.answers.map((a) => a.trim()).filter(Boolean);
    if (hasPairs && q.pairs) body.pairs = q.pairs;
    if (!initial.id) body.source = q.source;
    await onSave(body);
    setBusy(false);
  };

  return (
    <form class="editor" onSubmit={save}>
      {allowType && (
        <>
          <label for={`${pre}-type`}>Type</label>
          <select id={`${pre}-type`} value={q.type} onChange={(e) => setQ({ ...blankQuestion(e.currentTarget.value as QuestionType), prompt: q.prompt, explanation: q.explanation })}>
            {Object.entries(typeNames).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
          </select>
        </>
      )}
      <label for={`${pre}-prompt`}>Prompt</label>
      <textarea id={`${pre}-prompt`} rows={3} maxLength={1000} value={q.prompt} onInput={(e) => set({ prompt: e.currentTarget.value })} />
      {q.type === 'fill_in_blank' && <p class="hint">Write the blank as _____ (five underscores) once.</p>}
      {hasOptions && q.options && (
        <fieldset>
          <legend>Options ({single ? 'pick the correct one' : 'tick every correct one'})</legend>
          {q.options.map((o, i) => (
            <div class="opt-row" key={i}>
              <input
                type={single ? 'radio' : 'checkbox'}
                name={`${pre}-correct`}
                id={`${pre}-c${i}`}
                checked={!!o.correct}
                onChange={(e) => setOpt(i, { correct: e.currentTarget.checked })}
              />
              <label for={`${pre}-c${i}`} class="sr-only">Option {i + 1} is correct</label>
              <label for={`${pre}-o${i}`} class="sr-only">Option {i + 1} text</label>
              <input id={`${pre}-o${i}`} maxLength={300} value={o.text} readOnly={q.type === 'true_false'} onInput={(e) => setOpt(i, { text: e.currentTarget.value })} />
              {q.type !== 'true_false' && (
                <button type="button" class="small" onClick={() => set({ options: q.options!.filter((_, j) => j !== i) })} disabled={q.options!.length <= 2}>
                  Remove<span class="sr-only"> option {i + 1}</span>
                </button>
              )}
            </div>
          ))}
          {q.type !== 'true_false' && (
            <button type="button" class="small" onClick={() => set({ options: [...q.options!, { text: '' }] })} disabled={q.options.length >= 6}>
              Add an option
            </button>
          )}
        </fieldset>
      )}
      {hasAnswers && q.answers && (
        <>
          <label for={`${pre}-answers`}>Accepted answers (one a line)</label>
          <textarea id={`${pre}-answers`} rows={2} value={q.answers.join('\n')} onInput={(e) => set({ answers: e.currentTarget.value.split('\n') })} />
        </>
      )}
      {hasPairs && q.pairs && (
        <fieldset>
          <legend>Pairs</legend>
          {q.pairs.map((p, i) => (
            <div class="opt-row" key={i}>
              <label for={`${pre}-l${i}`} class="sr-only">Item {i + 1}</label>
              <input id={`${pre}-l${i}`} value={p.left} onInput={(e) => set({ pairs: q.pairs!.map((x, j) => (j === i ? { ...x, left: e.currentTarget.value } : x)) })} />
              <label for={`${pre}-r${i}`} class="sr-only">Match of item {i + 1}</label>
              <input id={`${pre}-r${i}`} value={p.right} onInput={(e) => set({ pairs: q.pairs!.map((x, j) => (j === i ? { ...x, right: e.currentTarget.value } : x)) })} />
            </div>
          ))}
          <button type="button" class="small" onClick={() => set({ pairs: [...q.pairs!, { left: '', right: '' }] })}>Add a pair</button>
        </fieldset>
      )}
      <label for={`${pre}-explanation`}>Explanation</label>
      <textarea id={`${pre}-explanation`} rows={2} maxLength={2000} value={q.explanation} onInput={(e) => set({ explanation: e.currentTarget.value })} />
      {!initial.id && (
        <div class="grid">
          <div>
            <label for={`${pre}-page`}>Source page</label>
            <input id={`${pre}-page`} type="number" min={0} value={q.source.page} onInput={(e) => set({ source: { ...q.source, page: Number(e.currentTarget.value) } })} />
          </div>
          <div>
            <label for={`${pre}-quote`}>Source quote</label>
            <input id={`${pre}-quote`} maxLength={300} value={q.source.quote} onInput={(e) => set({ source: { ...q.source, quote: e.currentTarget.value } })} />
          </div>
        </div>
      )}
      {error && <div class="alert error" role="alert">{error}</div>}
      <div class="actions">
        <button class="primary" type="submit" disabled={busy}>{busy ? 'Saving…' : 'Save question'}</button>
        <button type="button" onClick={onCancel} disabled={busy}>Cancel</button>
      </div>
    </form>
  );
}

/** A page of the document's extracted text with a question's quote highlighted. */
export function SourcePage({ id, query }: { id: string; query: URLSearchParams }) {
  const page = Number(query.get('page') || '0');
  const quote = query.get('quote') || '';
  const quizId = query.get('quiz');
  const [text, setText] = useState<{ number: number; text: string }[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.documentText(id, page > 0 ? page : undefined).then(
      (t) => setText(page > 0 ? t.pages.filter((p) => p.number === page) : t.pages),
      setError,
    );
  }, [id, page]);
  const markRef = useRef<HTMLElement>(null);
  useEffect(() => {
    markRef.current?.scrollIntoView({ block: 'center' });
  }, [text]);
  return (
    <>
      <Title>{page > 0 ? `Source: page ${page}` : 'Source text'}</Title>
      {quizId && <p><a href={`/quizzes/${quizId}`}>Back to the quiz</a></p>}
      {quote && <p class="meta">Quoted: <q>{quote}</q></p>}
      <ErrorBox error={error} />
      {!text && !error && <Loading label="Loading the page…" />}
      {text && text.length === 0 && <Empty><p>The document has no page {page}.</p></Empty>}
      {text?.map((p) => (
        <section class="card page-text" key={p.number} aria-label={`Page ${p.number}`}>
          <h2>Page {p.number}</h2>
          <Highlighted text={p.text} quote={quote} markRef={markRef} />
        </section>
      ))}
      {text && quote && !text.some((p) => findQuote(p.text, quote)) && (
        <Notice>The quote was not found word for word on this page (the question is marked "Source not verified").</Notice>
      )}
    </>
  );
}

/** Where quote occurs in text, ignoring case and differences of whitespace. */
export function findQuote(text: string, quote: string): [number, number] | null {
  const q = quote.trim().replace(/\s+/g, ' ').toLowerCase();
  if (!q) return null;
  // Map positions of a whitespace-collapsed copy back to the original.
  const map: number[] = [];
  let norm = '';
  let lastSpace = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (/\s/.test(c)) {
      if (lastSpace) continue;
      lastSpace = true;
      norm += ' ';
    } else {
      lastSpace = false;
      norm += c.toLowerCase();
    }
    map.push(i);
  }
  const at = norm.indexOf(q);
  if (at < 0) return null;
  return [map[at], map[at + q.length - 1] + 1];
}

function Highlighted({ text, quote, markRef }: { text: string; quote: string; markRef: { current: HTMLElement | null } }) {
  const at = findQuote(text, quote);
  if (!at) return <p class="pre">{text}</p>;
  return (
    <p class="pre">
      {text.slice(0, at[0])}
      <mark ref={markRef}>{text.slice(at[0], at[1])}</mark>
      {text.slice(at[1])}
    </p>
  );
}
