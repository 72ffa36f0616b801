import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

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

/** How a site's pages guard their forms: the largest body, where the token's secrets are, and the pages for a refusal. */
export interface FormGuard<E extends Env> {
  readonly hmacKey: Buffer;
  readonly maxBytes: number;
  /** The cookie secrets a form's token may be tied to on this request. */
  readonly secrets: (c: Context<E>) => ReadonlyArray<string | undefined>;
  /** The answer to a body over `maxBytes` (413). */
  readonly tooLarge: (c: Context<E>) => Response | Promise<Response>;
  /** The answer to a form without its token, or with another's (403). */
  readonly refused: (c: Context<E>) => Response | Promise<Response>;
}

/**
 * Every state-changing request (anything but GET and HEAD) must carry, in
 * its form field `csrf`, the token of one of the request's cookie secrets,
 * in a body no larger than the limit; otherwise it is refused before any
 * page sees it. The portal and the console mount it with their own pages.
 */
export function formGuard<E extends Env>(guard: FormGuard<E>): MiddlewareHandler<E> {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const limited = bodyLimit({ maxSize: guard.maxBytes, onError: (cc) => guard.tooLarge(cc as Context<E>) });
    return limited(c, async () => {
      let sent = '';
      const type = c.req.header('content-type') ?? '';
      if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
        const value = (await c.req.parseBody())[CSRF_FIELD];
        if (typeof value === 'string') sent = value;
      }
      if (sent === '' || !csrfMatches(guard.hmacKey, sent, guard.secrets(c))) {
        c.res = await guard.refused(c);
        return;
      }
      await next();
    });
  };
}
