import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { RosterConfig } from '../config/config-schema.js';
import type { Account } from '../domain/account.js';
import { csrfToken } from '../portal/csrf.js';
import { clientAddressOf, hashSecret, portalAllows, requestSecure } from '../portal/portal-session.js';
import type { ServerDeps } from '../server/server-deps.js';
import type { ConsoleSession, ConsoleStage } from '../store/store.js';
import type { ConsoleContext, ConsoleEnv, ConsoleRole, ConsoleVariables } from './console-env.js';

/** The console's session cookie (path /console, apart from the portal's). */
export const CONSOLE_COOKIE = 'roster_console';
/** Before sign-in: the secret the sign-in form's CSRF token is tied to. */
export const CONSOLE_FORM_COOKIE = 'roster_console_form';
const COOKIE_PATH = '/console';
const TOUCH_EVERY_MS = 60_000;
/** A sign-in waiting for its second factor ends sooner than a session. */
const PENDING_MINUTES = 10;

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function cookieOptions(secure: boolean) {
  // Strict: no console request carries the cookie from another site's link or form.
  return { path: COOKIE_PATH, httpOnly: true, sameSite: 'Strict', secure } as const;
}

/** The role roster.yaml gives `username` in the console, if any (the config is read at each request: removing a name ends access). */
export function consoleRole(config: RosterConfig, username: string): ConsoleRole | undefined {
  const c = config.console;
  if (c.admins.includes(username)) return 'admin';
  if (c.operators.includes(username)) return 'operator';
  if (c.auditors.includes(username)) return 'auditor';
  return undefined;
}

/** Whether the account may use the console now: named in roster.yaml and not purged, retired or on a hold that stops the portal. */
export function consoleAllows(config: RosterConfig, account: Account, now: Date): boolean {
  return consoleRole(config, account.username) !== undefined && portalAllows(account, now, config);
}

function ended(session: ConsoleSession, now: Date, config: RosterConfig): boolean {
  const idleMs = (session.stage === 'done' ? config.portal.session.idleMinutes : PENDING_MINUTES) * 60_000;
  return now.toISOString() >= session.expiresAt || now.getTime() - new Date(session.lastSeenAt).getTime() >= idleMs;
}

/**
 * Finds the request's console session (ending it when it timed out, or the
 * account lost its role or may no longer sign in), gives a visitor the form
 * cookie, and sets every ConsoleVariables value.
 */
export function consoleSession(deps: ServerDeps): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const trustProxy = deps.config.portal.trustProxy;
    const secure = requestSecure(c, trustProxy);
    c.set('deps', deps);
    c.set('secure', secure);
    c.set('clientAddress', clientAddressOf(c, trustProxy));
    let user: ConsoleVariables['user'] = null;
    let pending: ConsoleVariables['pending'] = null;
    let sessionEnded = false;
    const secret = getCookie(c, CONSOLE_COOKIE);
    if (secret !== undefined && secret !== '') {
      const idHash = hashSecret(secret);
      const now = deps.clock.now();
      const session = await deps.store.read.getConsoleSession(idHash);
      const account = session === undefined ? undefined : await deps.store.read.getAccountById(session.accountId);
      const role = account === undefined ? undefined : consoleRole(deps.config, account.username);
      if (session === undefined || account === undefined || role === undefined || ended(session, now, deps.config) || !consoleAllows(deps.config, account, now)) {
        sessionEnded = true;
        if (session !== undefined) await deps.store.transaction((tx) => tx.deleteConsoleSession(idHash));
        deleteCookie(c, CONSOLE_COOKIE, cookieOptions(secure));
      } else {
        if (session.stage === 'done') user = { session, account, role };
        else pending = { session, account };
        if (now.getTime() - new Date(session.lastSeenAt).getTime() >= TOUCH_EVERY_MS) {
          await deps.store.transaction((tx) => tx.touchConsoleSession(idHash, now.toISOString()));
        }
      }
    }
    let form = getCookie(c, CONSOLE_FORM_COOKIE);
    if (form === undefined || form === '') {
      form = newSecret();
      setCookie(c, CONSOLE_FORM_COOKIE, form, cookieOptions(secure));
    }
    c.set('user', user);
    c.set('pending', pending);
    c.set('sessionEnded', sessionEnded);
    c.set('csrf', csrfToken(deps.hmacKey, user === null && pending === null ? form : (secret ?? '')));
    await next();
  };
}

/** The cookie secrets a form's CSRF token may be tied to on this request. */
export function consoleCsrfSecrets(c: ConsoleContext): Array<string | undefined> {
  return [c.var.user === null && c.var.pending === null ? undefined : getCookie(c, CONSOLE_COOKIE), getCookie(c, CONSOLE_FORM_COOKIE)];
}

/**
 * Starts a session at `stage` with a new secret (a session the request had
 * is ended first, so a planted cookie is worth nothing). Each step of the
 * sign-in starts a new one: the cookie that passed the password is not the
 * cookie of the finished session.
 */
export async function startConsoleSession(c: ConsoleContext, account: Account, stage: ConsoleStage): Promise<void> {
  const deps = c.var.deps;
  const now = deps.clock.now();
  const old = getCookie(c, CONSOLE_COOKIE);
  const secret = newSecret();
  const { session } = deps.config.portal;
  await deps.store.transaction(async (tx) => {
    if (old !== undefined && old !== '') await tx.deleteConsoleSession(hashSecret(old));
    await tx.deleteExpiredConsoleSessions(now.toISOString(), new Date(now.getTime() - session.idleMinutes * 60_000).toISOString());
    const hours = stage === 'done' ? session.absoluteHours : PENDING_MINUTES / 60;
    await tx.insertConsoleSession({
      idHash: hashSecret(secret),
      accountId: account.id,
      stage,
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + hours * 3_600_000).toISOString(),
      address: c.var.clientAddress,
      userAgent: c.req.header('user-agent')?.slice(0, 200) ?? null,
    });
  });
  setCookie(c, CONSOLE_COOKIE, secret, cookieOptions(c.var.secure));
  setCookie(c, CONSOLE_FORM_COOKIE, newSecret(), cookieOptions(c.var.secure));
}

/** Signs out: ends this request's session and clears its cookie. */
export async function endConsoleSession(c: ConsoleContext): Promise<void> {
  const secret = getCookie(c, CONSOLE_COOKIE);
  if (secret !== undefined && secret !== '') await c.var.deps.store.transaction((tx) => tx.deleteConsoleSession(hashSecret(secret)));
  deleteCookie(c, CONSOLE_COOKIE, cookieOptions(c.var.secure));
}
