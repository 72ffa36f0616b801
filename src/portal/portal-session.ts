import { createHash, randomBytes } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { RosterConfig } from '../config/config-schema.js';
import { accountState, disablesService, effectiveHolds, type Account } from '../domain/account.js';
import type { ServerDeps } from '../server/server-deps.js';
import type { PortalSession } from '../store/store.js';
import { csrfToken } from './csrf.js';
import type { PortalContext, PortalEnv, SignedIn } from './portal-env.js';

/** The session cookie: a random secret; the store keeps only its SHA-256. */
export const SESSION_COOKIE = 'roster_session';
/** Before sign-in (and for the sign-up flow): a random secret the anonymous forms' CSRF token is tied to. */
export const FORM_COOKIE = 'roster_form';
const COOKIE_PATH = '/portal';
/** last_seen_at moves on at most this often: a page view is not a write each time. */
const TOUCH_EVERY_MS = 60_000;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Whether the account may use the portal now: not purged, and no hold in
 * force that stops the `portal` service (a freeze keeps it when
 * `freeze.keep` lists portal, as by default; a retirement stops everything).
 */
export function portalAllows(account: Account, now: Date, config: RosterConfig): boolean {
  if (accountState(account, now) === 'purged') return false;
  return !disablesService(effectiveHolds(account, now), 'portal', config.freeze.keep);
}

/** Whether the request came over https (or, behind a trusted proxy, X-Forwarded-Proto says so): cookies then get Secure. */
export function requestSecure(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/** The client's address (a throttle key): the socket's, or the last X-Forwarded-For hop behind a trusted proxy. */
export function clientAddressOf(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    // The last hop is the one our proxy added; earlier ones are the client's word.
    const hops = (c.req.header('x-forwarded-for') ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '');
    const last = hops.at(-1);
    if (last !== undefined) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // In-process requests (app.request in tests) have no socket.
    return 'unknown';
  }
}

function cookieOptions(secure: boolean) {
  return { path: COOKIE_PATH, httpOnly: true, sameSite: 'Lax', secure } as const;
}

/** Whether a stored session has ended at `now`, by the absolute or the idle timeout. */
export function sessionEndedAt(session: PortalSession, now: Date, config: RosterConfig): boolean {
  const idleMs = config.portal.session.idleMinutes * 60_000;
  return now.toISOString() >= session.expiresAt || now.getTime() - new Date(session.lastSeenAt).getTime() >= idleMs;
}

/**
 * Finds the request's session (ending it when it has timed out or the
 * account may no longer use the portal), gives an anonymous visitor the form
 * cookie, and sets every PortalVariables value.
 */
export function portalSession(deps: ServerDeps): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    const trustProxy = deps.config.portal.trustProxy;
    const secure = requestSecure(c, trustProxy);
    c.set('deps', deps);
    c.set('secure', secure);
    c.set('clientAddress', clientAddressOf(c, trustProxy));
    let signedIn: SignedIn | null = null;
    let ended = false;
    const secret = getCookie(c, SESSION_COOKIE);
    if (secret !== undefined && secret !== '') {
      const idHash = hashSecret(secret);
      const now = deps.clock.now();
      const session = await deps.store.read.getPortalSession(idHash);
      const account = session === undefined ? undefined : await deps.store.read.getAccountById(session.accountId);
      if (session === undefined || account === undefined || sessionEndedAt(session, now, deps.config) || !portalAllows(account, now, deps.config)) {
        ended = true;
        if (session !== undefined) await deps.store.transaction((tx) => tx.deletePortalSession(idHash));
        deleteCookie(c, SESSION_COOKIE, cookieOptions(secure));
      } else {
        signedIn = { session, account };
        if (now.getTime() - new Date(session.lastSeenAt).getTime() >= TOUCH_EVERY_MS) {
          await deps.store.transaction((tx) => tx.touchPortalSession(idHash, now.toISOString()));
        }
      }
    }
    let form = getCookie(c, FORM_COOKIE);
    if (form === undefined || form === '') {
      form = newSecret();
      setCookie(c, FORM_COOKIE, form, cookieOptions(secure));
    }
    c.set('signedIn', signedIn);
    c.set('sessionEnded', ended);
    c.set('csrf', csrfToken(deps.hmacKey, signedIn === null ? form : (secret ?? '')));
    await next();
  };
}

/** The cookie secrets a form's CSRF token may be tied to on this request. */
export function csrfSecrets(c: PortalContext): Array<string | undefined> {
  return [c.var.signedIn === null ? undefined : getCookie(c, SESSION_COOKIE), getCookie(c, FORM_COOKIE)];
}

/**
 * Signs `account` in: a new session with a new secret (rotation: a session
 * the request had is ended first, so a planted cookie is worth nothing),
 * and a new form cookie.
 */
export async function startSession(c: PortalContext, account: Account): Promise<void> {
  const deps = c.var.deps;
  const now = deps.clock.now();
  const old = getCookie(c, SESSION_COOKIE);
  const secret = newSecret();
  const { session } = deps.config.portal;
  await deps.store.transaction(async (tx) => {
    if (old !== undefined && old !== '') await tx.deletePortalSession(hashSecret(old));
    // Sessions nobody ended (the browser closed) are forgotten here, at the next sign-in of anyone.
    await tx.deleteExpiredPortalSessions(now.toISOString(), new Date(now.getTime() - session.idleMinutes * 60_000).toISOString());
    await tx.insertPortalSession({
      idHash: hashSecret(secret),
      personId: account.personId,
      accountId: account.id,
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + session.absoluteHours * 3_600_000).toISOString(),
      address: c.var.clientAddress,
      userAgent: c.req.header('user-agent')?.slice(0, 200) ?? null,
    });
  });
  setCookie(c, SESSION_COOKIE, secret, cookieOptions(c.var.secure));
  setCookie(c, FORM_COOKIE, newSecret(), cookieOptions(c.var.secure));
}

/** Ends this request's session (sign out), or with `everywhere` every session of its person; how many ended. */
export async function endSession(c: PortalContext, everywhere: boolean): Promise<number> {
  const deps = c.var.deps;
  const signedIn = c.var.signedIn;
  const secret = getCookie(c, SESSION_COOKIE);
  let ended = 0;
  if (signedIn !== null) {
    ended = await deps.store.transaction(async (tx) => (everywhere ? tx.deletePersonPortalSessions(signedIn.session.personId) : Number(await tx.deletePortalSession(signedIn.session.idHash))));
  } else if (secret !== undefined && secret !== '') {
    ended = Number(await deps.store.transaction((tx) => tx.deletePortalSession(hashSecret(secret))));
  }
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c.var.secure));
  return ended;
}
