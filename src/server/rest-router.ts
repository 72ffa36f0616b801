import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errorMessage, RosterError } from '../domain/errors.js';
import type { ApiRoute } from './api-route.js';
import { authenticateRequest, hostAllowed, type RequestGate } from './authenticate-request.js';
import { problemFromError, problemOf, problemResponse } from './problem.js';
import { requestContext, type ServerDeps } from './server-deps.js';

export const API_BASE = '/api/v1';

/** `/people/{id}` → `/people/:id` */
function honoPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

async function readBody(c: Context, r: ApiRoute): Promise<unknown> {
  if (r.body === undefined) return undefined;
  const text = await c.req.text();
  if (r.body === 'csv') return text;
  // An empty body means "all defaults" (e.g. POST /purge with nothing to say).
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new RosterError('usage', `the request body is not JSON: ${errorMessage(e)}`, [{ where: 'body', message: 'not JSON' }]);
  }
}

/**
 * Mounts the REST routes under /api/v1. Each request is, in this order:
 * held to its body limit (413), authenticated (401), rate limited (429),
 * checked against the route's roles and, for host routes, the agent's own
 * host (403), validated (400/422), and only then handed to the use case
 * with the token as the acting identity. Refusals change nothing.
 */
export function mountRestRoutes(app: Hono, routes: readonly ApiRoute[], deps: ServerDeps, gate: RequestGate): void {
  for (const r of routes) {
    const maxSize = r.maxBodyBytes?.(deps.config) ?? deps.config.server.maxBodyBytes;
    const limit = bodyLimit({ maxSize, onError: (c) => problemResponse(problemOf('too_large', `the request body is over ${maxSize} bytes`, c.req.path)) });
    app.on(r.method.toUpperCase(), `${API_BASE}${honoPath(r.path)}`, limit, async (c) => {
      const instance = c.req.path;
      try {
        const auth = await authenticateRequest(deps, gate, c.req.header('authorization'), r.roles);
        if (!auth.ok) {
          deps.log.info(`refused ${c.req.method} ${instance}: ${auth.error.code}`);
          return problemResponse(problemFromError(auth.error, instance), auth.headers);
        }
        if (r.hostParam !== undefined && !hostAllowed(auth.principal, c.req.param(r.hostParam) ?? '')) {
          deps.log.info(`refused ${c.req.method} ${instance}: ${auth.principal.actor} acts for host ${auth.principal.token.host ?? '?'}`);
          return problemResponse(problemOf('forbidden', `this agent token acts for host ${auth.principal.token.host ?? '?'} only`, instance));
        }
        const body = await readBody(c, r);
        const result = await r.run({ ctx: requestContext(deps, auth.principal), principal: auth.principal, params: c.req.param(), query: c.req.query(), body, request: c.req.raw });
        if (result instanceof Response) return result;
        return c.json(result.value as object, result.status as 200);
      } catch (e) {
        // An exception, or a catalogued fault of Roster itself (`internal`), is logged for the operator; a refusal of the request is not.
        if (!(e instanceof RosterError) || e.code === 'internal') deps.log.warn(`${c.req.method} ${instance}: ${errorMessage(e, { stack: true })}`);
        return problemResponse(problemFromError(e, instance));
      }
    });
  }
}
