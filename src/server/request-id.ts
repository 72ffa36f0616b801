import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

/** The client's id is taken when it is this short and plain (as hono/request-id takes it); else one is made. */
const MAX_LENGTH = 255;
const PLAIN = /^[\w\-=]+$/;

/**
 * Gives every request an id (`c.get('requestId')`): the client's X-Request-Id
 * when it sent a sane one, else a new UUID. Answers under `ownPrefix` (SCIM)
 * are made as whole Response objects by their router, which writes the
 * header into them as it makes them; every other answer gets the header
 * here. hono/request-id sets it on every request, which builds a Headers
 * object per request that a SCIM answer then never uses (issue 17: SCIM
 * GET by id at 5,000 requests/s).
 */
export function requestIds(ownPrefix: string): MiddlewareHandler {
  return async (c, next) => {
    const sent = c.req.header('x-request-id');
    const id = sent !== undefined && sent.length <= MAX_LENGTH && PLAIN.test(sent) ? sent : randomUUID();
    c.set('requestId', id);
    if (!c.req.path.startsWith(ownPrefix)) c.header('X-Request-Id', id);
    await next();
  };
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by requestIds() on every request. */
    requestId: string;
  }
}
