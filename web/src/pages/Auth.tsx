// Sign in, sign up, forgot and reset password, and the verify-email page.
import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import { navigate } from '../router';
import { setSession } from '../session';
import { ErrorBox, Loading, Notice, Title } from '../ui';

function useForm() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

function next(query: URLSearchParams) {
  const n = query.get('next');
  return n && n.startsWith('/') && !n.startsWith('//') ? n : '/documents';
}

export function SignIn({ query }: { query: URLSearchParams }) {
  const f = useForm();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    f.run(async () => {
      const s = await api.login(email.trim(), password);
      setSession({ status: 'in', user: s.user });
      navigate(next(query), true);
    });
  };
  return (
    <section class="auth card">
      <Title>Sign in</Title>
      {query.get('signed_out') && <Notice>You are signed out.</Notice>}
      {query.get('reset') && <Notice>Your password is set. Sign in with it.</Notice>}
      <form onSubmit={submit}>
        <label for="si-email">Email</label>
        <input id="si-email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="si-password">Password</label>
        <input id="si-password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <ErrorBox error={f.error} />
        <button class="primary" type="submit" disabled={f.busy}>
          {f.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p>
        <a href="/forgot-password">Forgot your password?</a>
      </p>
      <p>
        New to QuizFlow? <a href="/signup">Create an account</a>
      </p>
    </section>
  );
}

export function SignUp() {
  const f = useForm();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    f.run(async () => {
      const s = await api.register(email.trim(), password, name.trim());
      setSession({ status: 'in', user: s.user });
      navigate('/documents', true);
    });
  };
  return (
    <section class="auth card">
      <Title>Create your account</Title>
      <form onSubmit={submit}>
        <label for="su-name">Name</label>
        <input id="su-name" autoComplete="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <label for="su-email">Email</label>
        <input id="su-email" type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="su-password">Password</label>
        <input
          id="su-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={12}
          maxLength={128}
          aria-describedby="su-password-hint"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <p class="hint" id="su-password-hint">
          12 to 128 characters, not a common password.
        </p>
        <ErrorBox error={f.error} />
        <button class="primary" type="submit" disabled={f.busy}>
          {f.busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <p>
        Already have an account? <a href="/signin">Sign in</a>
      </p>
    </section>
  );
}

export function Forgot() {
  const f = useForm();
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    f.run(async () => {
      await api.forgotPassword(email.trim());
      setSent(true);
    });
  };
  return (
    <section class="auth card">
      <Title>Reset your password</Title>
      {sent ? (
        <Notice>If {email} has an account, a link to set a new password is on its way. It works for one hour.</Notice>
      ) : (
        <form onSubmit={submit}>
          <label for="fp-email">Email</label>
          <input id="fp-email" type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          <ErrorBox error={f.error} />
          <button class="primary" type="submit" disabled={f.busy}>
            Send the link
          </button>
        </form>
      )}
      <p>
        <a href="/signin">Back to sign in</a>
      </p>
    </section>
  );
}

export function Reset({ query }: { query: URLSearchParams }) {
  const token = query.get('token') || '';
  const f = useForm();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    f.run(async () => {
      await api.resetPassword(token, password);
      navigate('/signin?reset=1', true);
    });
  };
  return (
    <section class="auth card">
      <Title>Choose a new password</Title>
      {!token ? (
        <div class="alert error" role="alert">
          This link has no token. Open the link from the mail again, or <a href="/forgot-password">ask for a new one</a>.
        </div>
      ) : (
        <form onSubmit={submit}>
          <label for="rp-password">New password</label>
          <input id="rp-password" type="password" autoComplete="new-password" required minLength={12} maxLength={128} aria-describedby="rp-hint" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          <p class="hint" id="rp-hint">
            12 to 128 characters. Every signed-in session ends.
          </p>
          <label for="rp-confirm">Repeat the new password</label>
          <input id="rp-confirm" type="password" autoComplete="new-password" required value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} />
          {mismatch && (
            <div class="alert error" role="alert">
              The two passwords differ.
            </div>
          )}
          <ErrorBox error={f.error} />
          <button class="primary" type="submit" disabled={f.busy}>
            Set the password
          </button>
        </form>
      )}
    </section>
  );
}

/** Confirms an address: the POST is a button press, so mail scanners that open links change nothing. */
export function Verify({ query }: { query: URLSearchParams }) {
  const token = query.get('token') || '';
  const f = useForm();
  const [done, setDone] = useState<string | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    f.run(async () => {
      const u = await api.verifyEmail(token);
      setDone(u.email);
    });
  };
  return (
    <section class="auth card">
      <Title>Confirm your email address</Title>
      {done ? (
        <Notice>
          {done} is confirmed. <a href="/documents">Go to your documents</a>
        </Notice>
      ) : !token ? (
        <div class="alert error" role="alert">
          This link has no token. Open the link from the mail again.
        </div>
      ) : (
        <form onSubmit={submit}>
          <p>Press the button to confirm the address this mail was sent to.</p>
          <ErrorBox error={f.error} />
          <button class="primary" type="submit" disabled={f.busy}>
            Confirm my address
          </button>
        </form>
      )}
    </section>
  );
}

export function Restoring() {
  useEffect(() => {
    document.title = 'QuizFlow';
  }, []);
  return <Loading label="Restoring your session…" />;
}
