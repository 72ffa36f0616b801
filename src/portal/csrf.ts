import { createHmac, timingSafeEqual } from 'node:crypto';

/** The hidden form field every state-changing request carries. */
export const CSRF_FIELD = 'csrf';

/**
 * The CSRF token of a cookie secret (the session's, or the anonymous form
 * cookie's before sign-in): an HMAC under the server's key, so it is tied to
 * that cookie, needs no storage, and a page of another site can neither
 * read nor forge it.
 */
export function csrfToken(key: Buffer, cookieSecret: string): string {
  return createHmac('sha256', key).update(`portal-csrf\0${cookieSecret}`).digest('base64url');
}

/** Whether `sent` is the token of one of `secrets` (compared in constant time). */
export function csrfMatches(key: Buffer, sent: string, secrets: ReadonlyArray<string | undefined>): boolean {
  const got = Buffer.from(sent, 'utf8');
  let ok = false;
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue;
    const want = Buffer.from(csrfToken(key, secret), 'utf8');
    if (want.length === got.length && timingSafeEqual(want, got)) ok = true;
  }
  return ok;
}
