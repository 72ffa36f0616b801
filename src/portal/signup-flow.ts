import { randomBytes } from 'node:crypto';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AttemptThrottle } from '../app/signup-identify.js';
import type { PortalSignup, PortalSignupPatch } from '../store/queries/portal-queries.js';
import type { PortalContext } from './portal-env.js';
import { hashSecret } from './portal-session.js';
import { recordFailure, throttleState } from './throttle.js';

/**
 * A sign-up in progress (RATS steps 1-7) is a record in the store found by
 * the SHA-256 of a random secret in this cookie: what the steps settled
 * (the person, then the type, the username, the account) is never taken
 * from the browser, which could change it. The forms' CSRF token is the
 * portal's anonymous form token (csrf.ts), checked before any route runs.
 */
export const SIGNUP_COOKIE = 'roster_signup';
const COOKIE_PATH = '/portal/signup';
/** An abandoned sign-up ends this long after identification. */
const LIFETIME_MS = 30 * 60_000;

function cookieOptions(c: PortalContext) {
  return { path: COOKIE_PATH, httpOnly: true, sameSite: 'Lax', secure: c.var.secure } as const;
}

/** The request's sign-up, when its cookie names one still running. */
export async function currentSignup(c: PortalContext): Promise<PortalSignup | undefined> {
  const secret = getCookie(c, SIGNUP_COOKIE);
  if (secret === undefined || secret === '') return undefined;
  const signup = await c.var.deps.store.read.getPortalSignup(hashSecret(secret));
  if (signup === undefined) return undefined;
  if (signup.expiresAt <= c.var.deps.clock.now().toISOString()) return undefined;
  return signup;
}

/**
 * A new sign-up for an identified person, replacing the request's old one
 * (a new secret each time, as a sign-in rotates its session), and the
 * expired ones of anybody.
 */
export async function startSignup(c: PortalContext, personId: string): Promise<void> {
  const deps = c.var.deps;
  const now = deps.clock.now();
  const old = getCookie(c, SIGNUP_COOKIE);
  const secret = randomBytes(32).toString('base64url');
  await deps.store.transaction(async (tx) => {
    if (old !== undefined && old !== '') await tx.deletePortalSignup(hashSecret(old));
    await tx.deleteExpiredPortalSignups(now.toISOString());
    await tx.insertPortalSignup({
      idHash: hashSecret(secret),
      personId,
      type: null,
      username: null,
      accountId: null,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + LIFETIME_MS).toISOString(),
    });
  });
  setCookie(c, SIGNUP_COOKIE, secret, cookieOptions(c));
}

export async function updateSignup(c: PortalContext, signup: PortalSignup, patch: PortalSignupPatch): Promise<void> {
  await c.var.deps.store.transaction((tx) => tx.updatePortalSignup(signup.idHash, patch));
}

/** Ends the request's sign-up (start over). */
export async function endSignup(c: PortalContext): Promise<void> {
  const secret = getCookie(c, SIGNUP_COOKIE);
  if (secret !== undefined && secret !== '') await c.var.deps.store.transaction((tx) => tx.deletePortalSignup(hashSecret(secret)));
  deleteCookie(c, SIGNUP_COOKIE, cookieOptions(c));
}

/** The identification attempts' limit, counted in the store by the portal's throttle (per address and per person). */
export function signupThrottle(c: PortalContext): AttemptThrottle {
  const deps = c.var.deps;
  return {
    async waitMinutes(keys) {
      const state = await throttleState(deps, keys);
      return state.blocked ? state.waitMinutes : 0;
    },
    recordFailure: (keys) => recordFailure(deps, keys),
  };
}
