// Browser tests of the QuizFlow web app, run against a real `quizflow dev`
// stack: `QUIZFLOW_URL=http://localhost:PORT QUIZFLOW_FIXTURE_PDF=... node --test web/tests/`.
// Elements are found by role and label, as a person finds them. Every page
// gets an axe-core check (no serious or critical violations) and
// screenshots at 1280x800 and 360x740 in QUIZFLOW_SCREENSHOTS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const base = process.env.QUIZFLOW_URL;
const fixture = process.env.QUIZFLOW_FIXTURE_PDF;
const shots = process.env.QUIZFLOW_SCREENSHOTS || path.join(process.cwd(), 'screenshots');
if (!base) throw new Error('QUIZFLOW_URL is not set: point it at a running `quizflow dev` (http://localhost:PORT)');
if (!fixture) throw new Error('QUIZFLOW_FIXTURE_PDF is not set: the path of a small PDF to upload');

const axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
const T = 20000; // the longest wait for one step

let browser;
const user = {
  name: 'Test Teacher',
  email: `teacher-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`,
  password: 'correct horse battery staple 42',
};
const state = {};

before(async () => {
  await mkdir(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

async function newPage(downloads = false) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: downloads });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) errors.push(m.text());
  });
  page.errors = errors;
  return { context, page };
}

/** axe-core on the page as it is now; fails on serious or critical violations. */
async function axe(page, name) {
  // page.evaluate runs outside the page's CSP (script-src 'self' would refuse an injected tag).
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe on ${name}: ${JSON.stringify(bad, null, 1)}`);
}

/** Screenshots at desktop and phone width, and the accessibility check at both. */
async function visit(page, name) {
  await page.waitForLoadState('networkidle').catch(() => {});
  await axe(page, name);
  await page.screenshot({ path: path.join(shots, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  // Nothing may be wider than the phone's screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `${name} scrolls sideways at 360 px by ${overflow} px`);
  await axe(page, name + ' at 360 px');
  await page.screenshot({ path: path.join(shots, `${name}-360.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** A valid one-page PDF with no text on it: extraction finds nothing to write questions from. */
function blankPDF() {
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>', '<< /Length 0 >>\nstream\n\nendstream'];
  let out = '%PDF-1.4\n';
  const offsets = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n` + offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

async function signIn(page) {
  await page.goto(base + '/signin');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Documents' }).waitFor({ timeout: T });
}

test('signed-out pages: sign in, sign up, forgot, reset and verify', async () => {
  const { context, page } = await newPage();
  await page.goto(base + '/');
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: T });
  await visit(page, 'signin');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
  await visit(page, 'signup');
  await page.goto(base + '/forgot-password');
  await page.getByLabel('Email').fill('nobody@example.com');
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('status').filter({ hasText: 'is on its way' }).waitFor({ timeout: T });
  await visit(page, 'forgot-password');
  await page.goto(base + '/reset-password?token=not-a-real-token');
  await page.getByLabel('New password', { exact: true }).fill('another long password 77');
  await page.getByLabel('Repeat the new password').fill('another long password 77');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await page.getByRole('alert').waitFor({ timeout: T });
  await visit(page, 'reset-password');
  await page.goto(base + '/verify-email?token=not-a-real-token');
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await page.getByRole('alert').waitFor({ timeout: T });
  await visit(page, 'verify-email');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('a teacher signs up, uploads, reviews, edits, regenerates, exports and shares', async (t) => {
  const { context, page } = await newPage(true);
  const eventStreams = [];
  page.on('request', (r) => {
    if (/\/v1\/jobs\/[^/]+\/events$/.test(new URL(r.url()).pathname)) eventStreams.push(r.url());
  });

  await t.test('sign up', async () => {
    await page.goto(base + '/signup');
    await page.getByLabel('Name').fill(user.name);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Documents' }).waitFor({ timeout: T });
    await page.getByText('No documents yet').waitFor();
    await visit(page, 'documents-empty');
  });

  await t.test('a reload keeps the session (refresh cookie)', async () => {
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Documents' }).waitFor({ timeout: T });
  });

  await t.test('the client refuses a file of the wrong type before sending it', async () => {
    await page.getByLabel('Choose a file').setInputFiles({ name: 'notes.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') });
    await page.getByRole('alert').filter({ hasText: 'is not a document QuizFlow reads' }).waitFor();
  });

  await t.test('upload the fixture and watch the progress reach done', async () => {
    await page.getByLabel('Choose a file').setInputFiles(fixture);
    await page.getByLabel('Number of questions').fill('5');
    await page.getByRole('button', { name: 'Upload and make a quiz' }).click();
    const name = path.basename(fixture);
    const upload = page.getByRole('progressbar', { name: `Upload of ${name}` });
    await upload.waitFor({ timeout: T });
    const job = page.getByRole('progressbar', { name: `Quiz from ${name}` });
    await job.waitFor({ timeout: T });
    await page.getByRole('link', { name: 'Review the quiz' }).waitFor({ timeout: 60000 });
    assert.equal(await upload.getAttribute('aria-valuenow'), '100');
    assert.equal(await job.getAttribute('aria-valuenow'), '100');
    assert.match(await job.getAttribute('aria-valuetext'), /Done/);
    assert.ok(eventStreams.length > 0, 'the job was followed over its event stream');
    await page.getByRole('listitem').filter({ hasText: name }).getByText('extracted').waitFor({ timeout: T });
    await visit(page, 'documents');
    await page.getByRole('link', { name: 'Review the quiz' }).click();
    await page.getByRole('heading', { level: 2, name: 'Question 1' }).waitFor({ timeout: T });
    state.quizUrl = page.url();
    await visit(page, 'quiz-review');
  });

  await t.test('open a question source: the page text with the quote highlighted', async () => {
    const src = page.getByRole('link', { name: /open the source of this question/ }).first();
    await src.click();
    await page.getByRole('heading', { level: 1, name: /Source/ }).waitFor({ timeout: T });
    await page.locator('mark').first().waitFor({ timeout: T });
    assert.ok((await page.locator('mark').first().textContent()).length > 3);
    await visit(page, 'source');
    await page.getByRole('link', { name: 'Back to the quiz' }).click();
    await page.getByRole('heading', { level: 2, name: 'Question 1' }).waitFor({ timeout: T });
  });

  await t.test('edit a question and see it saved after a reload', async () => {
    const prompt = `Edited in the browser test ${Date.now()}?`;
    await page.getByRole('button', { name: 'Edit question 1' }).click();
    await page.getByLabel('Prompt').fill(prompt);
    await visit(page, 'quiz-edit');
    await page.getByRole('button', { name: 'Save question' }).click();
    await page.getByText(prompt).waitFor({ timeout: T });
    await page.reload();
    await page.getByText(prompt).waitFor({ timeout: T });
    state.prompt = prompt;
  });

  await t.test('reorder by keyboard', async () => {
    const ids = async () => page.locator('article h2[id^="q-"]').evaluateAll((hs) => hs.map((h) => h.id));
    const before = await ids();
    await page.getByRole('button', { name: 'Move down question 1' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Question moved to position 2').waitFor({ timeout: T });
    await page.reload();
    await page.getByRole('heading', { level: 2, name: 'Question 1' }).waitFor({ timeout: T });
    const now = await ids();
    assert.deepEqual(now.slice(0, 2), [before[1], before[0]]);
  });

  await t.test('regenerate one question', async () => {
    const ids = async () => page.locator('article h2[id^="q-"]').evaluateAll((hs) => hs.map((h) => h.id));
    const before = await ids();
    const done = page.waitForResponse((r) => /\/regenerate$/.test(r.url()) && r.status() === 202);
    await page.getByRole('button', { name: 'Regenerate question 3' }).click();
    await done;
    await page.waitForFunction((old) => {
      const now = [...document.querySelectorAll('article h2[id^="q-"]')].map((h) => h.id);
      return now.length === old.length && now.some((id, i) => id !== old[i]);
    }, before, { timeout: 60000 });
    const now = await ids();
    assert.equal(now.length, before.length);
    assert.notEqual(now[2], before[2], 'question 3 was replaced');
    assert.equal(await page.getByRole('progressbar', { name: 'Regenerating question 3' }).count(), 0);
  });

  await t.test('add an essay question', async () => {
    const count = await page.locator('article h2[id^="q-"]').count();
    state.essay = count + 1;
    await page.getByRole('button', { name: 'Add a question' }).click();
    await page.getByLabel('Type').selectOption({ label: 'Essay' });
    await page.getByLabel('Prompt').fill('In your own words, why do leaves need sunlight?');
    await page.getByLabel('Explanation').fill('Light drives photosynthesis.');
    await page.getByRole('button', { name: 'Save question' }).click();
    await page.getByRole('heading', { level: 2, name: `Question ${state.essay}` }).waitFor({ timeout: T });
    await page.getByText('In your own words, why do leaves need sunlight?').waitFor();
  });

  const exportTo = async (formatTitle, shot) => {
    await page.getByRole('link', { name: 'Export' }).click();
    await page.getByLabel('Format').waitFor({ timeout: T });
    await page.getByLabel('Format').selectOption({ label: formatTitle });
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const dl = page.getByRole('button', { name: /^Download / });
    await dl.waitFor({ timeout: 60000 });
    await page.getByRole('heading', { name: /How to import into/ }).waitFor();
    if (shot) await visit(page, shot);
    const [file] = await Promise.all([page.waitForEvent('download', { timeout: T }), dl.click()]);
    const bytes = await readFile(await file.path());
    return { name: file.suggestedFilename(), bytes };
  };

  await t.test('export QTI for Canvas and download the zip', async () => {
    const { name, bytes } = await exportTo('Canvas (QTI 1.2 .zip)', 'quiz-export');
    assert.match(name, /\.zip$/);
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'a zip file');
    assert.ok(bytes.includes(Buffer.from('imsmanifest.xml')), 'with an IMS manifest');
  });

  await t.test('export Moodle XML and download it', async () => {
    const formats = await page.getByLabel('Format').locator('option').allTextContents();
    const moodle = formats.find((f) => /^Moodle XML/i.test(f));
    assert.ok(moodle, `a Moodle XML format among ${formats}`);
    const { name, bytes } = await exportTo(moodle);
    assert.match(name, /\.xml$/);
    const text = bytes.toString('utf8');
    assert.match(text, /^<\?xml/);
    assert.match(text, /<quiz>/);
    assert.ok(text.includes(state.prompt.replace('?', '')), 'the edited prompt is in the file');
  });

  await t.test('take the quiz as its owner (preview with scoring)', async () => {
    await page.getByRole('link', { name: 'Take (preview)' }).click();
    await page.getByRole('button', { name: 'Submit answers' }).waitFor({ timeout: T });
    await visit(page, 'quiz-take');
    await page.getByRole('button', { name: 'Submit answers' }).click();
    await page.getByRole('heading', { name: /Your score: 0 of/ }).waitFor({ timeout: T });
    await visit(page, 'quiz-take-score');
  });

  await t.test('create a share link', async () => {
    await page.getByRole('link', { name: 'Share' }).click();
    await page.getByRole('button', { name: 'Create share link' }).click();
    const url = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
    assert.match(url, /\/s\/[A-Za-z0-9_-]{16,}$/);
    state.shareUrl = url;
    await page.getByText('No one has taken the quiz').waitFor();
    await visit(page, 'quiz-share');
  });

  await t.test('a signed-out student takes the shared quiz and sees the score and the correct answers', async () => {
    const student = await newPage();
    const p = student.page;
    await p.goto(state.shareUrl);
    await p.getByRole('button', { name: 'Submit answers' }).waitFor({ timeout: T });
    // No session here: the app shows no sign-out and no documents link.
    assert.equal(await p.getByRole('button', { name: 'Sign out' }).count(), 0);
    await visit(p, 'shared-take');
    await p.getByLabel(/Your name/).fill('Student One');
    // Answer every single-choice question with its first option.
    const groups = p.locator('fieldset').filter({ has: p.locator('input[type=radio]') });
    for (let i = 0; i < (await groups.count()); i++) await groups.nth(i).getByRole('radio').first().check();
    await p.getByLabel(`Your answer to question ${state.essay}`).fill('Plants turn light into sugar.');
    await p.getByRole('button', { name: 'Submit answers' }).click();
    const score = p.getByRole('heading', { name: /Your score: [\d.]+ of [\d.]+/ });
    await score.waitFor({ timeout: T });
    await p.getByText('Correct answer:').first().waitFor();
    state.studentScore = (await score.textContent()).match(/Your score: ([\d.]+) of/)[1];
    await visit(p, 'shared-score');
    assert.deepEqual(p.errors, []);
    await student.context.close();
  });

  await t.test('the owner sees the attempt with its per-question results', async () => {
    await page.getByRole('button', { name: 'Refresh attempts' }).click();
    const row = page.getByRole('listitem').filter({ hasText: 'Student One' });
    await row.waitFor({ timeout: T });
    assert.match(await row.textContent(), new RegExp(`${state.studentScore} of`));
    await row.getByText('Per question').click();
    await row.getByText('Correct answer:').first().waitFor();
    await row.getByText('Waiting for the teacher to grade').waitFor();
    await visit(page, 'quiz-attempts');
  });

  await t.test('the owner grades the essay answer', async () => {
    const row = page.getByRole('listitem').filter({ hasText: 'Student One' });
    await row.getByLabel(new RegExp(`Points for question ${state.essay} `)).fill('1');
    await row.getByRole('button', { name: 'Save grade' }).click();
    const want = String(Number(state.studentScore) + 1);
    await page.getByRole('listitem').filter({ hasText: 'Student One' }).filter({ hasText: new RegExp(`^Student One · ${want} of`) }).waitFor({ timeout: T });
  });

  await t.test('account page', async () => {
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Account' }).waitFor();
    await page.getByRole('heading', { name: 'Plan and usage' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Teacher Renamed');
    await page.getByRole('button', { name: 'Change name' }).click();
    await page.getByText('Your name is now Teacher Renamed.').waitFor({ timeout: T });
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Account' }).waitFor({ timeout: T });
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Teacher Renamed');
    await page.getByLabel('Key name').fill('ci key');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByLabel(/Your new key/);
    await secret.waitFor({ timeout: T });
    assert.match(await secret.inputValue(), /^qf_/);
    await page.getByRole('cell', { name: 'ci key', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Upgrade to Pro' }).waitFor();
    await page.getByRole('button', { name: 'Manage subscription' }).waitFor();
    await visit(page, 'account');
  });

  await t.test('keyboard only: the skip link and the main navigation are reachable by Tab', async () => {
    await page.goto(base + '/documents');
    await page.getByRole('heading', { level: 1, name: 'Documents' }).waitFor({ timeout: T });
    await page.keyboard.press('Tab');
    const first = await page.evaluate(() => document.activeElement?.textContent?.trim());
    assert.equal(first, 'Skip to content');
    const names = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      names.push(await page.evaluate(() => document.activeElement?.textContent?.trim()));
    }
    for (const want of ['Documents', 'Account', 'Sign out']) assert.ok(names.includes(want), `Tab reaches ${want}: ${names}`);
  });

  await t.test('sign out: nothing of the user stays visible, and Back shows no data', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: T });
    await page.getByText('You are signed out.').waitFor();
    assert.equal(await page.getByText(path.basename(fixture)).count(), 0);
    await page.goBack();
    await page.waitForLoadState('networkidle').catch(() => {});
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: T });
    assert.equal(await page.getByText(path.basename(fixture)).count(), 0, 'no document name after Back');
    assert.equal(await page.getByText(state.prompt).count(), 0, 'no question after Back');
    await page.goto(state.quizUrl);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: T });
    assert.equal(await page.getByText(state.prompt).count(), 0, 'the quiz is not shown signed out');
  });

  await t.test('sign back in and find the work again', async () => {
    await signIn(page);
    await page.getByText(path.basename(fixture)).first().waitFor({ timeout: T });
    assert.deepEqual(page.errors, []);
  });

  await context.close();
});

test('a failed job shows its readable message; without the event stream, progress is polled', async () => {
  const { context, page } = await newPage();
  await signIn(page);
  let polled = 0;
  await page.route('**/v1/jobs/*/events', (r) => r.abort());
  page.on('request', (r) => {
    if (/\/v1\/jobs\/job_[^/]+$/.test(new URL(r.url()).pathname)) polled++;
  });
  await page.getByLabel('Choose a file').setInputFiles({ name: 'blank.pdf', mimeType: 'application/pdf', buffer: blankPDF() });
  await page.getByRole('button', { name: 'Upload and make a quiz' }).click();
  const alert = page.getByRole('region', { name: 'Upload a document' }).getByRole('alert').filter({ hasText: /^Failed: / });
  await alert.waitFor({ timeout: 60000 });
  assert.ok((await alert.textContent()).length > 'Failed: '.length + 10, 'a readable reason');
  assert.ok(polled > 0, 'the job was polled');
  await visit(page, 'documents-failed');
  await context.close();
});

test('an edit made elsewhere meanwhile is shown as a conflict, not overwritten', async () => {
  const { context, page } = await newPage();
  await signIn(page);
  await page.goto(state.quizUrl);
  await page.getByRole('heading', { level: 2, name: 'Question 1' }).waitFor({ timeout: T });
  const other = await context.newPage();
  await other.goto(state.quizUrl);
  await other.getByRole('heading', { level: 2, name: 'Question 1' }).waitFor({ timeout: T });
  await other.getByRole('button', { name: 'Edit question 1' }).click();
  await other.getByLabel('Explanation').fill('Saved by the other tab.');
  await other.getByRole('button', { name: 'Save question' }).click();
  await other.getByText('Saved by the other tab.').waitFor({ timeout: T });
  await page.getByRole('button', { name: 'Edit question 1' }).click();
  await page.getByLabel('Explanation').fill('Saved by the stale tab.');
  await page.getByRole('button', { name: 'Save question' }).click();
  await page.getByRole('alert').filter({ hasText: 'changed elsewhere' }).waitFor({ timeout: T });
  await visit(page, 'quiz-conflict');
  await page.getByRole('button', { name: 'Load the latest version' }).click();
  await page.getByText('Saved by the other tab.').waitFor({ timeout: T });
  await other.reload();
  await other.getByText('Saved by the other tab.').waitFor({ timeout: T });
  assert.equal(await other.getByText('Saved by the stale tab.').count(), 0);
  await context.close();
});

test('a revoked share link stops working, and a missing page says so', async () => {
  const { context, page } = await newPage();
  await signIn(page);
  await page.goto(state.quizUrl + '/share');
  await page.getByRole('button', { name: 'Revoke link' }).click();
  await page.getByRole('button', { name: 'Create share link' }).waitFor({ timeout: T });
  const student = await newPage();
  await student.page.goto(state.shareUrl);
  await student.page.getByRole('alert').filter({ hasText: 'This link does not work' }).waitFor({ timeout: T });
  await visit(student.page, 'shared-revoked');
  await student.context.close();
  await page.goto(base + '/no/such/page');
  await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor({ timeout: T });
  await visit(page, 'not-found');
  await context.close();
});

// The list of screenshots, for whoever looks at them.
after(async () => {
  await writeFile(path.join(shots, 'README.txt'), 'Screenshots of every page of the web app at 1280x800 and 360x740, written by web/tests/app.test.mjs.\n');
});
