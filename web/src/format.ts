// Small display helpers.
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function when(iso: string): string {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export const typeNames: Record<string, string> = {
  multiple_choice: 'Multiple choice',
  multiple_answer: 'Multiple answer',
  true_false: 'True / false',
  short_answer: 'Short answer',
  fill_in_blank: 'Fill in the blank',
  matching: 'Matching',
  essay: 'Essay',
};

export const stageNames: Record<string, string> = {
  queued: 'Queued',
  extracting: 'Reading the document',
  generating: 'Writing questions',
  saving: 'Saving',
  exporting: 'Building the file',
  done: 'Done',
};

/** A random key for Idempotency-Key headers. */
export function randomKey(): string {
  const a = new Uint8Array(16);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}
