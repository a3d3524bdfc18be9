// Taking a quiz: the owner's preview (POST /v1/quizzes/{id}/score) and the
// public share page /s/{token} (POST /v1/shared/{token}/attempts). Both
// show the score and, per question, the answer given and the correct one.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import * as api from '../api';
import { randomKey, typeNames } from '../format';
import type { AnswerValue, Quiz, Score, SharedQuestion, SharedQuiz } from '../types';
import { ErrorBox, Loading, Title } from '../ui';

/** A quiz as a taker sees it (no answers), made from the owner's copy; matching's right items in a fixed shuffle. */
export function toShared(q: Quiz): SharedQuiz {
  return {
    title: q.title,
    language: q.language,
    max_score: q.questions.reduce((s, x) => s + (x.points || 1), 0),
    questions: q.questions.map((x) => ({
      id: x.id,
      type: x.type,
      prompt: x.prompt,
      points: x.points || 1,
      options: x.options?.map((o) => ({ id: o.id || '', text: o.text })),
      left: x.pairs?.map((p) => p.left),
      right: x.pairs ? rotate(x.pairs.map((p) => p.right)) : undefined,
    })),
  };
}

function rotate<T>(a: T[]): T[] {
  return a.length > 1 ? [...a.slice(1), a[0]] : a;
}

type Answers = Record<string, AnswerValue>;

export function TakeQuiz({ quiz, onSubmit, preview, askName }: { quiz: SharedQuiz; onSubmit: (a: Answers, name: string) => Promise<Score>; preview?: boolean; askName?: boolean }) {
  const [answers, setAnswers] = useState<Answers>({});
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [score, setScore] = useState<Score | null>(null);
  const resultRef = useRef<HTMLHeadingElement>(null);
  const set = (id: string, v: AnswerValue) => setAnswers((a) => ({ ...a, [id]: v }));

  useEffect(() => {
    if (score) resultRef.current?.focus();
  }, [score]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setScore(await onSubmit(answers, name.trim()));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (score) return <Results quiz={quiz} score={score} headingRef={resultRef} onAgain={preview ? () => { setScore(null); setAnswers({}); } : undefined} />;

  return (
    <form class="take" onSubmit={submit} aria-label={preview ? 'Preview the quiz' : 'Take the quiz'}>
      {preview && <p class="meta">A preview scored like a shared attempt; nothing is recorded.</p>}
      {askName && (
        <div class="card">
          <label for="taker-name">Your name (optional, shown to the quiz's owner)</label>
          <input id="taker-name" maxLength={100} autoComplete="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
      )}
      <ol class="questions">
        {quiz.questions.map((q, i) => (
          <li key={q.id} class="card question">
            <TakeQuestion q={q} n={i + 1} value={answers[q.id] ?? null} onChange={(v) => set(q.id, v)} />
          </li>
        ))}
      </ol>
      <ErrorBox error={error} />
      <button class="primary" type="submit" disabled={busy}>{busy ? 'Submitting…' : 'Submit answers'}</button>
    </form>
  );
}

function TakeQuestion({ q, n, value, onChange }: { q: SharedQuestion; n: number; value: AnswerValue; onChange: (v: AnswerValue) => void }) {
  const gid = `tq-${q.id}`;
  const legend = (
    <legend>
      <span class="q-title">Question {n}</span> <span class="meta">({typeNames[q.type]}, {q.points} point{q.points === 1 ? '' : 's'})</span>
      <span class="prompt">{q.prompt}</span>
    </legend>
  );
  if (q.type === 'multiple_choice' || q.type === 'true_false') {
    return (
      <fieldset>
        {legend}
        {q.options?.map((o) => (
          <label class="check" key={o.id}>
            <input type="radio" name={gid} value={o.id} checked={value === o.id} onChange={() => onChange(o.id)} /> {o.text}
          </label>
        ))}
      </fieldset>
    );
  }
  if (q.type === 'multiple_answer') {
    const picked = Array.isArray(value) ? (value as string[]) : [];
    return (
      <fieldset>
        {legend}
        {q.options?.map((o) => (
          <label class="check" key={o.id}>
            <input type="checkbox" checked={picked.includes(o.id)} onChange={(e) => onChange(e.currentTarget.checked ? [...picked, o.id] : picked.filter((x) => x !== o.id))} /> {o.text}
          </label>
        ))}
      </fieldset>
    );
  }
  if (q.type === 'matching') {
    const left = q.left || [];
    const cur = Array.isArray(value) ? value : left.map(() => null);
    return (
      <fieldset>
        {legend}
        {left.map((l, i) => (
          <div class="match-row" key={i}>
            <label for={`${gid}-${i}`}>{l}</label>
            <select id={`${gid}-${i}`} value={cur[i] ?? ''} onChange={(e) => { const next = [...cur]; next[i] = e.currentTarget.value || null; onChange(next); }}>
              <option value="">Choose…</option>
              {q.right?.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </div>
        ))}
      </fieldset>
    );
  }
  return (
    <fieldset>
      {legend}
      <label for={gid} class="sr-only">Your answer to question {n}</label>
      {q.type === 'essay' ? (
        <textarea id={gid} rows={4} maxLength={2000} value={(value as string) || ''} onInput={(e) => onChange(e.currentTarget.value)} />
      ) : (
        <input id={gid} maxLength={2000} value={(value as string) || ''} onInput={(e) => onChange(e.currentTarget.value)} />
      )}
    </fieldset>
  );
}

function fmt(n: number) {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** Text of an answer value for a question: option ids become their texts. */
export function answerText(q: SharedQuestion | undefined, v: AnswerValue): string {
  if (v === null || v === undefined || (Array.isArray(v) && v.length === 0) || v === '') return '(no answer)';
  const opt = (id: string | null) => (id === null ? '(none)' : q?.options?.find((o) => o.id === id)?.text ?? id);
  if (q && q.type === 'matching' && Array.isArray(v)) return v.map((r, i) => `${q.left?.[i] ?? i + 1} → ${r || '(none)'}`).join('; ');
  if (q && (q.type === 'short_answer' || q.type === 'fill_in_blank' || q.type === 'essay')) return Array.isArray(v) ? v.filter(Boolean).join(' or ') : v;
  return Array.isArray(v) ? v.map(opt).join(', ') : opt(v);
}

export function Results({ quiz, score, headingRef, onAgain }: { quiz: SharedQuiz; score: Score; headingRef?: { current: HTMLHeadingElement | null }; onAgain?: () => void }) {
  const byId = useMemo(() => new Map(quiz.questions.map((q) => [q.id, q])), [quiz]);
  return (
    <section aria-labelledby="score-h">
      <h2 id="score-h" tabIndex={-1} ref={headingRef} class="score">
        Your score: {fmt(score.score)} of {fmt(score.max_score)}
      </h2>
      <ResultList byId={byId} score={score} />
      {onAgain && <button type="button" onClick={onAgain}>Take it again</button>}
    </section>
  );
}

/** The owner's points for one essay answer. */
function GradeEssay({ max, current, label, onGrade }: { max: number; current: number; label: string; onGrade: (points: number) => Promise<void> }) {
  const [v, setV] = useState(String(current));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const id = useMemo(randomKey, []);
  return (
    <form
      class="inline-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await onGrade(Number(v));
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <label for={id}>Points for {label} (0 to {fmt(max)})</label>
      <input id={id} type="number" min={0} max={max} step="any" required value={v} onInput={(e) => setV(e.currentTarget.value)} />
      <button type="submit" class="small" disabled={busy}>Save grade</button>
      <ErrorBox error={error} />
    </form>
  );
}

export function ResultList({ byId, score, onGrade }: { byId: Map<string, SharedQuestion>; score: Score; onGrade?: (questionId: string, points: number) => Promise<void> }) {
  return (
    <ol class="questions">
      {score.results.map((r, i) => {
        const q = byId.get(r.question_id);
        const verdict = r.status === 'pending_review' ? 'Waiting for the teacher to grade' : r.correct ? 'Correct' : r.score > 0 ? 'Partly correct' : 'Incorrect';
        return (
          <li key={r.question_id} class={'card result ' + (r.status === 'pending_review' ? 'pending' : r.correct ? 'right' : r.score > 0 ? 'partial' : 'wrong')}>
            <h3 class="q-title">
              Question {i + 1}: {verdict} ({fmt(r.score)} of {fmt(r.max_score)})
            </h3>
            {q && <p class="prompt">{q.prompt}</p>}
            <p><strong>Your answer:</strong> {answerText(q, r.answer)}</p>
            <p><strong>Correct answer:</strong> {answerText(q, r.correct_answer)}</p>
            {r.explanation && <p class="explanation"><strong>Explanation:</strong> {r.explanation}</p>}
            {onGrade && r.type === 'essay' && <GradeEssay max={r.max_score} current={r.score} label={`question ${i + 1}`} onGrade={(p) => onGrade(r.question_id, p)} />}
          </li>
        );
      })}
    </ol>
  );
}

/** The public page of a share link: no account needed. */
export function SharedPage({ token }: { token: string }) {
  const [quiz, setQuiz] = useState<SharedQuiz | null>(null);
  const [error, setError] = useState<unknown>(null);
  const key = useMemo(randomKey, [token]);
  useEffect(() => {
    api.sharedQuiz(token).then(setQuiz, setError);
  }, [token]);
  if (error) {
    const gone = error instanceof api.ApiError && error.status === 404;
    return (
      <>
        <Title>Shared quiz</Title>
        {gone ? <div class="alert error" role="alert">This link does not work: it was mistyped or its owner revoked it.</div> : <ErrorBox error={error} />}
      </>
    );
  }
  if (!quiz) return <Loading label="Loading the quiz…" />;
  return (
    <>
      <Title>{quiz.title || 'Quiz'}</Title>
      <p class="meta">{quiz.questions.length} questions · {fmt(quiz.max_score)} points. You see your score and the correct answers after you submit.</p>
      <TakeQuiz quiz={quiz} askName onSubmit={(answers, name) => api.submitAttempt(token, name, answers, key)} />
    </>
  );
}
