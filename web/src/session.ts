// The signed-in user, shared by every page. Sign-out forgets the token and
// reloads the app at /signin, so no state of the previous user survives in
// memory (every page's data lives in component state or in `cache` below).
import { useEffect, useState } from 'preact/hooks';
import * as api from './api';
import type { User } from './types';

export type SessionState = { status: 'loading' } | { status: 'out' } | { status: 'in'; user: User };

let state: SessionState = { status: 'loading' };
const subs = new Set<(s: SessionState) => void>();

/** Values kept across pages (the export formats, the upload limits); cleared on sign-out. */
export const cache = new Map<string, unknown>();

export function setSession(s: SessionState) {
  state = s;
  if (s.status !== 'in') cache.clear();
  subs.forEach((f) => f(s));
}

export function getSession() {
  return state;
}

export function useSession(): SessionState {
  const [s, set] = useState(state);
  useEffect(() => {
    subs.add(set);
    set(state);
    return () => void subs.delete(set);
  }, []);
  return s;
}

/** Restores the session from the refresh cookie on load. */
export async function restore() {
  const s = await api.refresh();
  setSession(s ? { status: 'in', user: s.user } : { status: 'out' });
}

/** Signs out on the server, drops every cached value and reloads the app. */
export async function signOut() {
  try {
    await api.logout();
  } catch {
    /* the token is forgotten anyway */
  }
  cache.clear();
  setSession({ status: 'out' });
  try {
    sessionStorage.clear();
  } catch {
    /* storage disabled */
  }
  // A full load drops every component's state and in-flight request.
  location.assign('/signin?signed_out=1');
}

api.setSignedOutHandler(() => setSession({ status: 'out' }));

/** A cached value, loaded once per session. */
export async function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  if (cache.has(key)) return cache.get(key) as T;
  const v = await load();
  if (getSession().status === 'in' || key.startsWith('public:')) cache.set(key, v);
  return v;
}
