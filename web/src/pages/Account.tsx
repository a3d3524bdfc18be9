// The account: profile, password, notification mails, API keys, plan and
// usage (upgrade, manage), and for operators the queues UI.
import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import { bytes, when } from '../format';
import { setSession } from '../session';
import type { APIKey, BillingStatus, Notifications, Plan, User } from '../types';
import { Empty, ErrorBox, Loading, Notice, Title } from '../ui';

export function Account({ user }: { user: User }) {
  return (
    <>
      <Title>Account</Title>
      <Profile user={user} />
      <Password />
      <NotificationPrefs />
      <Keys />
      <PlanUsage user={user} />
      {user.admin && (
        <section class="card" aria-labelledby="ops-h">
          <h2 id="ops-h">Operations</h2>
          <p>
            <a href="/admin/queues" data-native>Open the queues UI</a> (jobs, retries, dead tasks).
          </p>
        </section>
      )}
    </>
  );
}

function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = async (fn: () => Promise<string | void>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const msg = await fn();
      if (msg) setDone(msg);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, done, run };
}

function Profile({ user }: { user: User }) {
  const a = useAction();
  const rn = useAction();
  const [name, setName] = useState(user.name);
  const [email, setEmail] = useState(user.email);
  const [pw, setPw] = useState('');
  const resend = useAction();
  return (
    <section class="card" aria-labelledby="profile-h">
      <h2 id="profile-h">Profile</h2>
      <dl class="facts">
        <dt>Name</dt>
        <dd>{user.name}</dd>
        <dt>Email</dt>
        <dd>
          {user.email} {user.email_verified ? <span class="badge badge-succeeded">confirmed</span> : <span class="badge badge-queued">not confirmed</span>}
          {user.email_status === 'bouncing' && <span class="badge badge-failed">mail bounces</span>}
        </dd>
        <dt>Member since</dt>
        <dd>{when(user.created_at)}</dd>
      </dl>
      {!user.email_verified && (
        <>
          <button type="button" disabled={resend.busy} onClick={() => resend.run(async () => (await api.resendVerification()).message || 'A new confirmation link is on its way.')}>
            Send the confirmation link again
          </button>
          <ErrorBox error={resend.error} />
          {resend.done && <Notice>{resend.done}</Notice>}
        </>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          rn.run(async () => {
            const u = await api.rename(name.trim());
            setSession({ status: 'in', user: u });
            return `Your name is now ${u.name}.`;
          });
        }}
      >
        <h3>Change the name</h3>
        <label for="pf-name">Name</label>
        <input id="pf-name" autoComplete="name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <ErrorBox error={rn.error} />
        {rn.done && <Notice>{rn.done}</Notice>}
        <button type="submit" disabled={rn.busy}>Change name</button>
      </form>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          a.run(async () => {
            const u = await api.changeEmail(email.trim(), pw);
            setSession({ status: 'in', user: u });
            setPw('');
            return `Your address is now ${u.email}; open the link mailed to it to confirm it.`;
          });
        }}
      >
        <h3>Change the email address</h3>
        <label for="pf-email">New email</label>
        <input id="pf-email" type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="pf-pw">Current password</label>
        <input id="pf-pw" type="password" autoComplete="current-password" required value={pw} onInput={(e) => setPw(e.currentTarget.value)} />
        <ErrorBox error={a.error} />
        {a.done && <Notice>{a.done}</Notice>}
        <button type="submit" disabled={a.busy}>Change email</button>
      </form>
    </section>
  );
}

function Password() {
  const a = useAction();
  const [cur, setCur] = useState('');
  const [next, setNext] = useState('');
  return (
    <section class="card" aria-labelledby="pw-h">
      <h2 id="pw-h">Password</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          a.run(async () => {
            const s = await api.changePassword(cur, next);
            setSession({ status: 'in', user: s.user });
            setCur('');
            setNext('');
            return 'Your password is changed; every other session is signed out.';
          });
        }}
      >
        <label for="pw-cur">Current password</label>
        <input id="pw-cur" type="password" autoComplete="current-password" required value={cur} onInput={(e) => setCur(e.currentTarget.value)} />
        <label for="pw-new">New password</label>
        <input id="pw-new" type="password" autoComplete="new-password" required minLength={12} maxLength={128} aria-describedby="pw-hint" value={next} onInput={(e) => setNext(e.currentTarget.value)} />
        <p class="hint" id="pw-hint">12 to 128 characters, not a common password.</p>
        <ErrorBox error={a.error} />
        {a.done && <Notice>{a.done}</Notice>}
        <button type="submit" disabled={a.busy}>Change password</button>
      </form>
    </section>
  );
}

const kinds: [keyof Notifications, string][] = [
  ['quiz_ready', 'A quiz is ready'],
  ['quiz_failed', 'A quiz failed'],
  ['export_ready', 'An export is ready'],
  ['regeneration_failed', 'A regeneration failed'],
];

function NotificationPrefs() {
  const [n, setN] = useState<Notifications | null>(null);
  const a = useAction();
  useEffect(() => {
    api.getNotifications().then((r) => setN(r.notifications), () => setN({}));
  }, []);
  return (
    <section class="card" aria-labelledby="nt-h">
      <h2 id="nt-h">Notification mails</h2>
      {!n ? (
        <Loading />
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            a.run(async () => {
              setN((await api.setNotifications(n)).notifications);
              return 'Saved.';
            });
          }}
        >
          <fieldset>
            <legend>Mail me when</legend>
            {kinds.map(([k, label]) => (
              <label class="check" key={k}>
                <input type="checkbox" checked={n[k] !== false} onChange={(e) => setN({ ...n, [k]: e.currentTarget.checked })} /> {label}
              </label>
            ))}
          </fieldset>
          <p class="hint">Security mail (password changes, new sign-ins) is always sent.</p>
          <ErrorBox error={a.error} />
          {a.done && <Notice>{a.done}</Notice>}
          <button type="submit" disabled={a.busy}>Save notification settings</button>
        </form>
      )}
    </section>
  );
}

function Keys() {
  const [keys, setKeys] = useState<APIKey[] | null>(null);
  const [name, setName] = useState('');
  const [write, setWrite] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const a = useAction();
  const load = () => api.listKeys().then((r) => setKeys(r.api_keys), (e) => { setKeys([]); a.run(() => Promise.reject(e)); });
  useEffect(() => {
    load();
  }, []);
  return (
    <section class="card" aria-labelledby="keys-h">
      <h2 id="keys-h">API keys</h2>
      <p class="hint">Keys act as you from scripts (Authorization: Bearer qf_…). Read keys can only read.</p>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          a.run(async () => {
            const k = await api.createKey(name.trim(), write ? ['read', 'write'] : ['read']);
            setSecret(k.key);
            setName('');
            await load();
          });
        }}
      >
        <label for="key-name">Key name</label>
        <input id="key-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <label class="check"><input type="checkbox" checked={write} onChange={(e) => setWrite(e.currentTarget.checked)} /> Allow changes (write)</label>
        <button type="submit" disabled={a.busy}>Create key</button>
      </form>
      {secret && (
        <div class="alert ok" role="status">
          <label for="key-secret">Your new key: copy it now, it is shown only once.</label>
          <input id="key-secret" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
        </div>
      )}
      <ErrorBox error={a.error} />
      {keys === null ? (
        <Loading />
      ) : keys.length === 0 ? (
        <Empty><p>No API keys.</p></Empty>
      ) : (
        <table>
          <caption class="sr-only">Your API keys</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td><code>{k.prefix}…</code></td>
                <td>{k.scopes.join(', ')}</td>
                <td>{k.last_used_at ? when(k.last_used_at) : 'never'}</td>
                <td>
                  <button type="button" class="small danger" onClick={() => confirm(`Revoke the key ${k.name}?`) && a.run(async () => { await api.deleteKey(k.id); await load(); })}>
                    Revoke<span class="sr-only"> {k.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function PlanUsage({ user }: { user: User }) {
  const [b, setB] = useState<BillingStatus | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [disabled, setDisabled] = useState<string | null>(null);
  const a = useAction();
  useEffect(() => {
    api.billing().then(setB, async (e) => {
      if (e instanceof api.ApiError && e.code === 'billing_disabled') setDisabled(e.message);
      else a.run(() => Promise.reject(e));
      try {
        const ps = await api.plans();
        setPlan(ps.plans.find((p) => p.name === user.plan) || null);
      } catch {
        /* shown as unknown */
      }
    });
  }, []);
  const go = (fn: () => Promise<{ url: string }>) =>
    a.run(async () => {
      const { url } = await fn();
      location.assign(url);
    });
  const p = b?.plan || plan;
  return (
    <section class="card" id="plan" aria-labelledby="plan-h">
      <h2 id="plan-h">Plan and usage</h2>
      {!p && !disabled ? (
        <Loading />
      ) : (
        <>
          <p>
            You are on the <strong>{(p?.name || user.plan).toUpperCase()}</strong> plan
            {b?.subscription_status && ` (subscription ${b.subscription_status}${b.cancel_at_period_end ? ', ends at the period end' : ''})`}.
          </p>
          {b && (
            <ul class="usage">
              {b.usage.map((u) => (
                <li key={u.kind}>
                  <span>{u.kind === 'quizzes' ? 'Quizzes' : 'Regenerations'} this period: {u.used} of {u.limit}</span>
                  <meter min={0} max={u.limit} value={u.used} aria-label={`${u.kind} used`} />
                </li>
              ))}
            </ul>
          )}
          {p && (
            <p class="meta">
              Files up to {bytes(p.max_file_size)}, {p.max_pages} pages, {p.max_questions} questions per quiz; {p.quizzes_per_month} quizzes and {p.regenerations_per_month} regenerations a month.
            </p>
          )}
          {disabled && <p class="meta">Billing is not enabled on this server, so the plan cannot be changed here.</p>}
          <div class="actions">
            <button type="button" class="primary" disabled={a.busy || !!disabled || p?.name === 'pro'} onClick={() => go(api.checkout)}>Upgrade to Pro</button>
            <button type="button" disabled={a.busy || !!disabled || !b?.subscription_status} onClick={() => go(api.portal)}>Manage subscription</button>
          </div>
          <ErrorBox error={a.error} />
        </>
      )}
    </section>
  );
}
