// QuizFlow download helper (a service worker). GET /v1/exports/{id}/download
// needs the Authorization header and answers a redirect to the file; a plain
// navigation cannot send the header, and fetch() cannot follow the redirect
// to the object store under the page's CSP (connect-src 'self'). So the page
// hands this worker the access token for one download, and the worker
// answers that navigation with the API's redirect, which the browser follows
// as a download.
const pending = new Map();

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('message', (e) => {
  const d = e.data || {};
  if (d.type === 'download' && typeof d.path === 'string' && typeof d.token === 'string') {
    pending.set(d.path, d.token);
    // Forget an unused token soon.
    setTimeout(() => pending.delete(d.path), 30000);
    if (e.ports[0]) e.ports[0].postMessage('ready');
  }
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (url.origin !== self.location.origin || !/^\/v1\/exports\/[A-Za-z0-9_-]+\/download$/.test(url.pathname)) return;
  const token = pending.get(url.pathname);
  if (!token) return;
  pending.delete(url.pathname);
  e.respondWith(fetch(url.pathname, { headers: { Authorization: 'Bearer ' + token }, redirect: 'manual', credentials: 'omit' }));
});
