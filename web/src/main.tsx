// The QuizFlow browser app: routes, the page frame and session restore.
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { interceptLinks, match, navigate, useLocation } from './router';
import { restore, signOut, useSession } from './session';
import { Title } from './ui';
import { Forgot, Reset, Restoring, SignIn, SignUp, Verify } from './pages/Auth';
import { Documents } from './pages/Documents';
import { QuizPage, SourcePage } from './pages/Quiz';
import { SharedPage } from './pages/Take';
import { Account } from './pages/Account';
import './styles.css';

/** Pages anyone may open, signed in or not. */
const publicPaths = ['/verify-email', '/reset-password', '/forgot-password'];
const guestOnly = ['/signin', '/signup'];

function App() {
  const session = useSession();
  const { path, query } = useLocation();
  const shared = match('/s/:token', path);
  const isPublic = publicPaths.includes(path) || !!shared;
  const guest = guestOnly.includes(path);

  useEffect(() => {
    if (session.status === 'out' && !isPublic && !guest) {
      const nextPath = path === '/' ? '' : `?next=${encodeURIComponent(path + location.search)}`;
      navigate('/signin' + nextPath, true);
    }
    if (session.status === 'in' && (guest || path === '/')) navigate('/documents', true);
  }, [session.status, path]);

  let page;
  if (shared) page = <SharedPage token={shared.token} />;
  else if (path === '/verify-email') page = <Verify query={query} />;
  else if (path === '/reset-password') page = <Reset query={query} />;
  else if (path === '/forgot-password') page = <Forgot />;
  else if (session.status === 'loading') page = <Restoring />;
  else if (session.status === 'out') page = path === '/signup' ? <SignUp /> : <SignIn query={query} />;
  else page = signedIn(path, query, session.user);

  return (
    <>
      <a class="skip" href="#main" data-native>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={session.status === 'in' ? '/documents' : '/'}>
          QuizFlow
        </a>
        {session.status === 'in' && (
          <nav aria-label="Main">
            <a href="/documents" aria-current={path.startsWith('/documents') || path.startsWith('/quizzes') ? 'page' : undefined}>
              Documents
            </a>
            <a href="/account" aria-current={path === '/account' ? 'page' : undefined}>
              Account
            </a>
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main id="main">{page}</main>
      <footer class="foot">
        <span>QuizFlow turns documents into checked quizzes.</span>
      </footer>
    </>
  );
}

function signedIn(path: string, query: URLSearchParams, user: import('./types').User) {
  let m;
  if (path === '/documents' || path === '/' || guestOnly.includes(path)) return <Documents plan={user.plan} />;
  if ((m = match('/documents/:id/text', path))) return <SourcePage id={m.id} query={query} />;
  if ((m = match('/quizzes/:id', path))) return <QuizPage id={m.id} tab="review" />;
  if ((m = match('/quizzes/:id/:tab', path)) && ['take', 'share', 'export'].includes(m.tab))
    return <QuizPage id={m.id} tab={m.tab as 'take' | 'share' | 'export'} />;
  if (path === '/account') return <Account user={user} />;
  return (
    <>
      <Title>Page not found</Title>
      <p>
        There is no page at {path}. <a href="/documents">Go to your documents</a>
      </p>
    </>
  );
}

interceptLinks();
render(<App />, document.getElementById('app')!);
restore();
