import type { Hono } from 'hono';
import type { Account } from '../domain/account.js';
import type { ServerDeps } from '../server/server-deps.js';
import { errorMessage } from '../domain/errors.js';
import { hashPassword, verifyPassword } from '../system/libcrypt.js';
import { CsrfField, Layout, Message } from './layout.js';
import type { PortalContext, PortalEnv } from './portal-env.js';
import { endSession, portalAllows, startSession } from './portal-session.js';
import { portalStrings as s } from './portal-strings.js';
import { clearFailures, recordFailure, throttleState } from './throttle.js';
import { field } from './form-field.js';

/** Where a page that needs a signed-in member sends a visitor without one (saying why when the session ended). */
export function signInRedirect(c: PortalContext): Response {
  return c.redirect(c.var.sessionEnded ? '/portal/login?ended=1' : '/portal/login', 303);
}

let decoyHash: string | undefined;
/** A real hash to check against when the username is unknown, so an unknown name takes as long as a wrong password. */
function decoy(): string {
  decoyHash ??= hashPassword('roster portal decoy password', 'yescrypt');
  return decoyHash;
}

interface LoginForm {
  readonly username?: string;
  readonly error?: string;
  readonly info?: string;
  /** Which field an error is about (it gets aria-invalid and the message's id). */
  readonly field?: 'username' | 'password';
}

function LoginPage(props: { readonly c: PortalContext; readonly form: LoginForm }) {
  const { c, form } = props;
  const invalid = (f: 'username' | 'password') => (form.field === f ? { 'aria-invalid': 'true', 'aria-describedby': 'login-error' } : {});
  return (
    <Layout title={s.loginTitle} c={c}>
      {form.info === undefined ? null : <Message kind="info">{form.info}</Message>}
      {form.error === undefined ? null : (
        <Message kind="error">
          <span id="login-error">{form.error}</span>
        </Message>
      )}
      <p>{s.loginIntro}</p>
      <form class="stacked" method="post" action="/portal/login">
        <CsrfField c={c} />
        <label for="username">{s.username}</label>
        <input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck={false} required value={form.username ?? ''} {...invalid('username')} />
        <label for="password">{s.password}</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required {...invalid('password')} />
        <div>
          <button type="submit">{s.signIn}</button>
        </div>
      </form>
      <p>
        {s.signupPrompt} <a href="/portal/signup">{s.signupLink}</a>
      </p>
    </Layout>
  );
}

/**
 * Checks a username and password. The same answer whether the username
 * exists or not (a decoy hash is checked for an unknown one). A Kerberos
 * account (a principal, no stored hash) is checked by its KDC (kinit),
 * where roster serve reaches one (the kerberos target on one of its hosts).
 * The admin console signs its users in with the same check.
 */
export async function checkCredentials(deps: ServerDeps, username: string, password: string): Promise<{ readonly ok: true; readonly account: Account } | { readonly ok: false; readonly kerberos: boolean }> {
  const account = await deps.store.read.getAccount(username);
  const hash = account?.passwordHash ?? null;
  if (account !== undefined && hash === null && account.principal !== null) {
    const principals = deps.principals;
    if (principals === undefined) return { ok: false, kerberos: true };
    const hosts = deps.config.types[account.type]?.hosts.live ?? [];
    try {
      return (await principals.check({ hosts, principal: account.principal, password })) ? { ok: true, account } : { ok: false, kerberos: false };
    } catch (e) {
      deps.log.warn(`portal: cannot check ${account.principal} with its KDC: ${errorMessage(e)}`);
      return { ok: false, kerberos: true };
    }
  }
  const usable = account !== undefined && hash !== null && hash.startsWith('$');
  const matches = verifyPassword(password, usable ? hash : decoy());
  return usable && matches ? { ok: true, account } : { ok: false, kerberos: false };
}

/** GET and POST /portal/login, POST /portal/logout and /portal/logout-everywhere. */
export function mountLogin(portal: Hono<PortalEnv>): void {
  portal.get('/login', (c) => {
    if (c.var.signedIn !== null) return c.redirect('/portal', 303);
    const q = c.req.query();
    const everywhere = q.everywhere === undefined ? undefined : Number(q.everywhere);
    const info =
      q.ended !== undefined || c.var.sessionEnded ? s.sessionExpired : q.out !== undefined ? s.signedOut : everywhere !== undefined && Number.isSafeInteger(everywhere) ? s.signedOutEverywhere(everywhere) : undefined;
    return c.html(<LoginPage c={c} form={info === undefined ? {} : { info }} />);
  });

  portal.post('/login', async (c) => {
    const deps = c.var.deps;
    const body = await c.req.parseBody();
    const username = field(body, 'username').trim();
    const password = field(body, 'password');
    if (username === '') return c.html(<LoginPage c={c} form={{ error: s.loginMissing(s.username.toLowerCase()), field: 'username' }} />, 400);
    if (password === '') return c.html(<LoginPage c={c} form={{ username, error: s.loginMissing(s.password.toLowerCase()), field: 'password' }} />, 400);
    const keys = [`login:address:${c.var.clientAddress}`, `login:username:${username.toLowerCase()}`];
    const throttle = await throttleState(deps, keys);
    if (throttle.blocked) return c.html(<LoginPage c={c} form={{ username, error: s.loginThrottled(s.waitMinutes(throttle.waitMinutes)) }} />, 429);
    const result = await checkCredentials(deps, username, password);
    if (!result.ok) {
      if (result.kerberos) return c.html(<LoginPage c={c} form={{ username, error: s.loginKerberos }} />, 401);
      await recordFailure(deps, keys);
      return c.html(<LoginPage c={c} form={{ username, error: s.loginFailed }} />, 401);
    }
    await clearFailures(deps, `login:username:${username.toLowerCase()}`);
    if (!portalAllows(result.account, deps.clock.now(), deps.config)) return c.html(<LoginPage c={c} form={{ username, error: s.loginNotAllowed }} />, 403);
    await startSession(c, result.account);
    deps.log.info(`portal: ${result.account.username} signed in`, { person: result.account.personId, address: c.var.clientAddress });
    return c.redirect('/portal', 303);
  });

  portal.post('/logout', async (c) => {
    await endSession(c, false);
    return c.redirect('/portal/login?out=1', 303);
  });

  portal.post('/logout-everywhere', async (c) => {
    const n = await endSession(c, true);
    return c.redirect(`/portal/login?everywhere=${n}`, 303);
  });
}
