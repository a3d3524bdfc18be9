// A tiny history router: the app's few routes need no library.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

/** How many in-app navigations there were (0 on the first page load). */
export let navigations = 0;

/** Navigates within the app (pushState) and notifies the router. */
export function navigate(to: string, replace = false) {
  navigations++;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => {
  navigations++;
  listeners.forEach((l) => l());
});

/** The current location (path, query), re-rendering on every navigation. */
export function useLocation() {
  const [loc, setLoc] = useState(() => ({ path: location.pathname, query: new URLSearchParams(location.search) }));
  useEffect(() => {
    const l = () => setLoc({ path: location.pathname, query: new URLSearchParams(location.search) });
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return loc;
}

/** Matches a path against a pattern such as /quizzes/:id; null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.replace(/\/+$/, '').split('/');
  if (path === '/' && pattern === '/') return {};
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      if (!s[i]) return null;
      params[p[i].slice(1)] = decodeURIComponent(s[i]);
    } else if (p[i] !== s[i]) return null;
  }
  return params;
}

/**
 * Turns clicks on same-origin links into app navigations (keeping
 * modifier-clicks, downloads and targets to the browser).
 */
export function interceptLinks() {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || a.dataset.native !== undefined) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/v1/') || url.pathname.startsWith('/admin')) return;
    e.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}
