import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import { freezeAccount, retireAccount } from '../src/app/lifecycle-actions.js';
import { addPerson } from '../src/app/people.js';
import { hashSecret } from '../src/portal/portal-session.js';
import { hashPassword } from '../src/system/libcrypt.js';
import { SERVER_TEST_CONFIG, serverFixture, type ServerFixture } from './server-fixture.js';

/**
 * The portal's sessions, CSRF and headers through the app in-process
 * (Hono's app.request, no socket; the browser tests drive the same pages in
 * Chromium): real SQLite store, real libcrypt hashes.
 */

const PASSWORD = 'Correct-Horse-42';

/** A minimal cookie jar: what the server set, sent back on the next request. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line);
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

let f: ServerFixture;

async function send(jar: Jar, method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { ...headers };
  if (jar.cookies.size > 0) h.cookie = jar.header();
  let body: string | undefined;
  if (form !== undefined) {
    body = new URLSearchParams(form).toString();
    h['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await f.server.app.request(path.startsWith('http') ? path : `http://127.0.0.1${path}`, { method, headers: h, ...(body === undefined ? {} : { body }), redirect: 'manual' });
  jar.take(res);
  return res;
}

/** The CSRF token in a page's forms. */
function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (m?.[1] === undefined) throw new Error('no csrf field on the page');
  return m[1];
}

async function loginForm(jar: Jar): Promise<string> {
  const res = await send(jar, 'GET', '/portal/login');
  expect(res.status).toBe(200);
  return csrfOf(await res.text());
}

async function signIn(jar: Jar, username = 'alice', password = PASSWORD): Promise<Response> {
  const csrf = await loginForm(jar);
  return send(jar, 'POST', '/portal/login', { csrf, username, password });
}

async function setup(yaml = SERVER_TEST_CONFIG): Promise<void> {
  f = await serverFixture({ yaml });
  await addPerson(f.ctx, { id: 'P1', firstName: 'Alice', lastName: 'Liddell', roles: ['MEMBER'] });
  const a = await createAccount(f.ctx, { personId: 'P1', type: 'member', username: 'alice' });
  await f.store.transaction((tx) => tx.updateAccount(a.id, { passwordHash: hashPassword(PASSWORD, 'yescrypt') }));
}

describe('portal sessions, CSRF and headers', () => {
  beforeEach(async () => setup());
  afterEach(async () => f.cleanup());

  it('sends the security headers on pages, redirects and errors, and long-caches the versioned assets', async () => {
    const jar = new Jar();
    for (const [path, status] of [['/portal/login', 200], ['/portal', 303], ['/portal/nothing-here', 404]] as const) {
      const res = await send(jar, 'GET', path);
      expect(res.status, path).toBe(status);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const page = await (await send(jar, 'GET', '/portal/login')).text();
    expect(page).not.toMatch(/<script>|<script [^>]*>[^<]/);
    expect(page).not.toMatch(/ style="/);
    const css = /href="(\/portal\/assets\/portal\.css\?v=[0-9a-f]+)"/.exec(page)?.[1];
    expect(css).toBeDefined();
    const res = await send(jar, 'GET', css ?? '');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/css');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('sets HttpOnly, SameSite=Lax cookies, Secure only over https (or behind a trusted proxy saying https)', async () => {
    const plain = await send(new Jar(), 'GET', '/portal/login');
    const cookie = plain.headers.getSetCookie().join('\n');
    expect(cookie).toMatch(/roster_form=[^;]+;.*HttpOnly/);
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).not.toContain('Secure');
    const https = await send(new Jar(), 'GET', 'https://portal.example.org/portal/login');
    expect(https.headers.getSetCookie().join('\n')).toContain('Secure');
    // X-Forwarded-Proto is the client's word unless portal.trustProxy says a proxy sets it.
    const forwarded = await send(new Jar(), 'GET', '/portal/login', undefined, { 'x-forwarded-proto': 'https' });
    expect(forwarded.headers.getSetCookie().join('\n')).not.toContain('Secure');
    const jar = new Jar();
    const signedIn = await signIn(jar);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.getSetCookie().find((c) => c.startsWith('roster_session='))).toMatch(/HttpOnly.*SameSite=Lax|SameSite=Lax.*HttpOnly/);
  });

  it('refuses a POST without the CSRF token, or with another cookie\'s token, with 403 and changes nothing', async () => {
    const jar = new Jar();
    await loginForm(jar);
    const bare = await send(jar, 'POST', '/portal/login', { username: 'alice', password: PASSWORD });
    expect(bare.status).toBe(403);
    expect(await bare.text()).toContain('Request refused');
    expect(bare.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    // A token from another visitor's form cookie does not fit this one's.
    const other = await loginForm(new Jar());
    expect((await send(jar, 'POST', '/portal/login', { csrf: other, username: 'alice', password: PASSWORD })).status).toBe(403);
    expect(await f.store.read.listPortalSessions('P1')).toEqual([]);
    // Signed in, sign-out needs the session's token too: a bare POST leaves the session alone.
    expect((await signIn(jar)).status).toBe(303);
    expect((await send(jar, 'POST', '/portal/logout', {})).status).toBe(403);
    expect(await f.store.read.listPortalSessions('P1')).toHaveLength(1);
    expect((await send(jar, 'GET', '/portal')).status).toBe(200);
  });

  it('answers a wrong password and an unknown username alike, then signs in with the right one (a new session, the old one ended)', async () => {
    const jar = new Jar();
    const wrong = await signIn(jar, 'alice', 'not-the-password');
    const unknown = await signIn(jar, 'nobody', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const message = (html: string) => /<span id="login-error">([^<]*)<\/span>/.exec(html)?.[1];
    const [w, u] = [message(await wrong.text()), message(await unknown.text())];
    expect(w).toBe('The username or password is not right.');
    expect(u).toBe(w);
    const missing = await send(jar, 'POST', '/portal/login', { csrf: await loginForm(jar), username: 'alice', password: '' });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('Enter your password.');

    const ok = await signIn(jar);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/portal');
    const first = jar.cookies.get('roster_session') ?? '';
    const [stored] = await f.store.read.listPortalSessions('P1');
    expect(stored?.idHash).toBe(hashSecret(first));
    expect(stored?.idHash).not.toBe(first);
    const page = await send(jar, 'GET', '/portal');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Signed in as alice');
    // Signing in again (the form posted while a session is live) rotates: a new secret, and the old session is gone.
    const csrf = csrfOf(await (await send(jar, 'GET', '/portal')).text());
    expect((await send(jar, 'POST', '/portal/login', { csrf, username: 'alice', password: PASSWORD })).status).toBe(303);
    const second = jar.cookies.get('roster_session') ?? '';
    expect(second).not.toBe(first);
    expect((await f.store.read.listPortalSessions('P1')).map((s) => s.idHash)).toEqual([hashSecret(second)]);
  });

  it('throttles failed sign-ins per username (the wait shown, even for the right password) and per client address', async () => {
    const jar = new Jar();
    for (let i = 0; i < 5; i++) expect((await signIn(jar, 'alice', `wrong-${i}`)).status).toBe(401);
    const blocked = await signIn(jar);
    expect(blocked.status).toBe(429);
    expect(await blocked.text()).toContain('Too many failed attempts. Please wait 15 minutes before trying again.');
    f.clock.advanceDays(1 / 24 / 6); // 10 minutes
    expect(await (await signIn(jar)).text()).toContain('Please wait 5 minutes');
    f.clock.advanceDays(1 / 24 / 12 + 1 / 86_400); // 5 minutes and a second: the window has passed
    expect((await signIn(jar)).status).toBe(303);
    // The client address counts every username it tries (in-process requests share one address).
    const other = new Jar();
    for (let i = 0; i < 5; i++) expect((await signIn(other, `guess${i}`, 'whatever')).status).toBe(401);
    expect((await signIn(other)).status).toBe(429);
  });

  it('ends a session after the idle timeout and after the absolute one, sending the member to sign in with a message', async () => {
    const jar = new Jar();
    await signIn(jar);
    f.clock.advanceDays(29 / 1440);
    expect((await send(jar, 'GET', '/portal')).status).toBe(200);
    f.clock.advanceDays(31 / 1440);
    const idle = await send(jar, 'GET', '/portal');
    expect(idle.status).toBe(303);
    expect(idle.headers.get('location')).toBe('/portal/login?ended=1');
    expect(await (await send(jar, 'GET', '/portal/login?ended=1')).text()).toContain('Your session has ended. Please sign in again.');
    expect(await f.store.read.listPortalSessions('P1')).toEqual([]);

    // Used every 20 minutes, a session still ends 12 hours after sign-in.
    await signIn(jar);
    for (let minutes = 20; minutes < 12 * 60; minutes += 20) {
      f.clock.advanceDays(20 / 1440);
      expect((await send(jar, 'GET', '/portal')).status, `after ${minutes} minutes`).toBe(200);
    }
    f.clock.advanceDays(20 / 1440);
    expect((await send(jar, 'GET', '/portal')).headers.get('location')).toBe('/portal/login?ended=1');
  });

  it('lets a frozen member sign in (the portal is kept), not a retired one, and ends the session of an account retired meanwhile', async () => {
    await freezeAccount(f.ctx, 'alice', { reason: 'billing' });
    const jar = new Jar();
    expect((await signIn(jar)).status).toBe(303);
    expect((await send(jar, 'GET', '/portal')).status).toBe(200);
    await retireAccount(f.ctx, 'alice', { deactivateAfter: 0 });
    expect((await send(jar, 'GET', '/portal')).headers.get('location')).toBe('/portal/login?ended=1');
    const refused = await signIn(new Jar());
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('This account can no longer sign in to the portal.');
  });

  it('signs out one session, or every session of the person', async () => {
    const [a, b, c] = [new Jar(), new Jar(), new Jar()];
    for (const jar of [a, b, c]) expect((await signIn(jar)).status).toBe(303);
    expect(await f.store.read.listPortalSessions('P1')).toHaveLength(3);
    const page = await (await send(a, 'GET', '/portal')).text();
    const out = await send(a, 'POST', '/portal/logout', { csrf: csrfOf(page) });
    expect(out.headers.get('location')).toBe('/portal/login?out=1');
    expect(await f.store.read.listPortalSessions('P1')).toHaveLength(2);
    expect((await send(a, 'GET', '/portal')).status).toBe(303);
    const bPage = await (await send(b, 'GET', '/portal')).text();
    const everywhere = await send(b, 'POST', '/portal/logout-everywhere', { csrf: csrfOf(bPage) });
    expect(everywhere.headers.get('location')).toBe('/portal/login?everywhere=2');
    expect(await f.store.read.listPortalSessions('P1')).toEqual([]);
    expect((await send(c, 'GET', '/portal')).headers.get('location')).toBe('/portal/login?ended=1');
  });

  it('forgets sessions that timed out without anyone coming back, at the next sign-in', async () => {
    await signIn(new Jar());
    f.clock.advanceDays(31 / 1440);
    expect(await f.store.read.listPortalSessions('P1')).toHaveLength(1);
    await signIn(new Jar());
    expect(await f.store.read.listPortalSessions('P1')).toHaveLength(1);
  });
});

describe('portal behind a trusted proxy', () => {
  beforeEach(async () => setup(`${SERVER_TEST_CONFIG}\nportal: { trustProxy: true }\n`));
  afterEach(async () => f.cleanup());

  it('believes X-Forwarded-Proto for Secure cookies and X-Forwarded-For for the throttle address', async () => {
    const res = await send(new Jar(), 'GET', '/portal/login', undefined, { 'x-forwarded-proto': 'https' });
    expect(res.headers.getSetCookie().join('\n')).toContain('Secure');
    const jar = new Jar();
    const from = (ip: string) => ({ 'x-forwarded-for': `203.0.113.9, ${ip}` });
    for (let i = 0; i < 5; i++) {
      const csrf = csrfOf(await (await send(jar, 'GET', '/portal/login', undefined, from('198.51.100.1'))).text());
      expect((await send(jar, 'POST', '/portal/login', { csrf, username: `guess${i}`, password: 'x' }, from('198.51.100.1'))).status).toBe(401);
    }
    const csrf = csrfOf(await (await send(jar, 'GET', '/portal/login')).text());
    expect((await send(jar, 'POST', '/portal/login', { csrf, username: 'guess9', password: 'x' }, from('198.51.100.1'))).status).toBe(429);
    expect((await send(jar, 'POST', '/portal/login', { csrf, username: 'alice', password: PASSWORD }, from('198.51.100.2'))).status).toBe(303);
  });
});
