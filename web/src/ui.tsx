// Shared pieces: progress bars with a fixed size, error and empty states,
// page titles that take focus on navigation (for screen readers), fields.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from './api';
import { navigations } from './router';
import { stageNames } from './format';
import type { Job } from './types';

export function Title({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // After an in-app navigation the new page's title takes focus, so screen
    // readers announce it; a fresh load keeps the browser's own start.
    if (navigations > 0) ref.current?.focus({ preventScroll: true });
    const t = ref.current?.textContent;
    if (t) document.title = `${t} · QuizFlow`;
  }, []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const up = error instanceof ApiError && error.code === 'quota_exceeded';
  return (
    <div class="alert error" role="alert">
      {errorText(error)}
      {up && (
        <>
          {' '}
          <a href="/account#plan">See plans and upgrade</a>
        </>
      )}
    </div>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <div class="alert ok" role="status">
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

/** A progress bar in a box whose size never changes as the numbers do. */
export function ProgressBar({ label, value, text }: { label: string; value: number; text: string }) {
  const v = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div class="progress">
      <div class="progress-head">
        <span class="progress-label">{label}</span>
        <span class="progress-pct" aria-hidden="true">
          {v}%
        </span>
      </div>
      <div class="bar" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={v} aria-valuetext={`${v}% ${text}`}>
        <div class="bar-fill" style={{ width: v + '%' }} />
      </div>
      <div class="progress-text" aria-live="polite">
        {text}
      </div>
    </div>
  );
}

/** A job's stage, percent and message; its readable error when it failed. */
export function JobProgress({ job, label }: { job: Job | null; label: string }) {
  if (!job) return <ProgressBar label={label} value={0} text="Starting…" />;
  if (job.status === 'failed') {
    return (
      <div class="progress failed">
        <div class="progress-head">
          <span class="progress-label">{label}</span>
        </div>
        <div class="alert error" role="alert">
          Failed: {job.error?.message || job.message || 'the job failed.'}
        </div>
      </div>
    );
  }
  const stage = stageNames[job.stage] || job.stage;
  const text = job.status === 'succeeded' ? 'Done' : job.message ? `${stage}: ${job.message}` : stage;
  return <ProgressBar label={label} value={job.status === 'succeeded' ? 100 : job.progress} text={text} />;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={'badge badge-' + status}>{status}</span>;
}
