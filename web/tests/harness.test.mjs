// Smoke test of the browser harness (internal/webtest): the app loads in
// Chromium from the server under test, with its CSP, and an unknown API
// path answers the page's fetch with the API's JSON 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const url = process.env.QUIZFLOW_URL;

test('the app is served, and API paths keep their JSON 404', async (t) => {
  assert.ok(url, 'QUIZFLOW_URL is not set: run the browser tests with go test ./internal/webtest/');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const refused = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) refused.push(m.text()); });

  const res = await page.goto(url + '/documents/nonexistent', { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'] ?? '', /script-src 'self'/);
  assert.match(await page.title(), /QuizFlow/);

  const api = await page.evaluate(async () => {
    const r = await fetch('/v1/nope');
    return { status: r.status, type: r.headers.get('content-type'), body: await r.json() };
  });
  assert.equal(api.status, 404);
  assert.match(api.type, /^application\/json/);
  assert.equal(api.body.error.code, 'not_found');
  assert.deepEqual(refused, [], 'the page broke its own CSP');
});
