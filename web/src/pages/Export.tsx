// Exporting a quiz: every format with its options, the export job's
// progress, the download and how to import the file.
import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import { bytes, typeNames } from '../format';
import { importSteps } from '../importing';
import { cached } from '../session';
import type { Export, Format, Job, Quiz } from '../types';
import { ErrorBox, JobProgress, Loading } from '../ui';

export function ExportTab({ quiz }: { quiz: Quiz }) {
  const [formats, setFormats] = useState<Format[] | null>(null);
  const [format, setFormat] = useState('qti12-canvas');
  const [points, setPoints] = useState(1);
  const [shuffle, setShuffle] = useState(false);
  const [feedback, setFeedback] = useState(true);
  const [job, setJob] = useState<Job | null>(null);
  const [exp, setExp] = useState<Export | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [dl, setDl] = useState<unknown>(null);

  useEffect(() => {
    cached('public:formats', () => api.exportFormats()).then((f) => setFormats(f.formats), setError);
  }, []);

  const run = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setExp(null);
    setJob(null);
    try {
      const r = await api.createExport(quiz.id, format, { points_per_question: points, shuffle_answers: shuffle, include_feedback: feedback });
      let x = r.export;
      if (x.status !== 'succeeded') {
        if (r.job) {
          setJob(r.job);
          const ac = new AbortController();
          const done = await api.watchJob(r.job.id, setJob, ac.signal);
          if (done.status === 'failed') return;
        }
        x = await api.getExport(x.id);
      } else if (r.job) setJob(r.job);
      setExp(x);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!formats) return error ? <ErrorBox error={error} /> : <Loading label="Loading the formats…" />;
  const f = formats.find((x) => x.name === format);
  const steps = importSteps[format];
  return (
    <section aria-labelledby="export-h">
      <h2 id="export-h">Export</h2>
      <form class="card" onSubmit={run}>
        <label for="ex-format">Format</label>
        <select id="ex-format" value={format} onChange={(e) => { setFormat(e.currentTarget.value); setExp(null); setJob(null); }}>
          {formats.map((x) => <option key={x.name} value={x.name}>{x.title}</option>)}
        </select>
        {f && (
          <p class="hint">
            {f.description} Carries: {f.question_types.map((t) => typeNames[t] || t).join(', ')}.
          </p>
        )}
        <div class="grid">
          <div>
            <label for="ex-points">Points per question</label>
            <input id="ex-points" type="number" min={0.5} max={1000} step={0.5} value={points} onInput={(e) => setPoints(Number(e.currentTarget.value))} />
          </div>
        </div>
        <label class="check"><input type="checkbox" checked={shuffle} onChange={(e) => setShuffle(e.currentTarget.checked)} /> Shuffle answers</label>
        <label class="check"><input type="checkbox" checked={feedback} onChange={(e) => setFeedback(e.currentTarget.checked)} /> Include explanations as feedback</label>
        <button class="primary" type="submit" disabled={busy}>{busy ? 'Exporting…' : 'Export'}</button>
      </form>
      <div class="export-status">
        {(job || busy) && <JobProgress job={job} label={`Export to ${f?.title || format}`} />}
        <ErrorBox error={error} />
        {exp && exp.warnings.length > 0 && (
          <div class="alert warn" role="note">
            <strong>Left out or changed:</strong>
            <ul>{exp.warnings.map((w, i) => <li key={i}>{w}</li>)}</ul>
          </div>
        )}
        {exp && exp.status === 'succeeded' && (
          <p>
            <button type="button" class="primary" onClick={async () => { setDl(null); try { await api.download(exp); } catch (e) { setDl(e); } }}>
              Download {exp.file_name || 'the file'}
            </button>{' '}
            <span class="meta">{bytes(exp.size)}</span>
          </p>
        )}
        <ErrorBox error={dl} />
      </div>
      {steps && (
        <div class="card" id="import-steps">
          <h3>How to import into {steps.lms}</h3>
          <p>{steps.steps}</p>
          <p class="meta">The full notes, with what each format keeps, are in IMPORTING.md (internal/export) of the QuizFlow source.</p>
        </div>
      )}
    </section>
  );
}
