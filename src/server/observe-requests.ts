import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../app/app-context.js';
import { withLogFields } from '../app/log-fields.js';
import type { ServerMetrics } from './server-metrics.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Probes and scrapes come every few seconds: counted, but logged only when they do not answer 200. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The route pattern that answered (`/api/v1/people/:id`), never the path
 * itself, so the metrics' label set stays as small as the route table. A
 * request no route answered (the 404 handler, after the middleware) is
 * `unmatched`.
 */
export function answeringRoute(c: Context): string {
  const route = matchedRoutes(c)[c.req.routeIndex];
  if (route === undefined || (route.method === 'ALL' && (route.path === '/*' || route.path === '*'))) return 'unmatched';
  return route.path;
}

/**
 * Around every request: its log lines carry its id (`reqId`, the same as
 * the X-Request-Id answer, so requestIds() must run first), it is counted
 * and timed by method, route and status, and it leaves one log line.
 */
export function observeRequests(log: Logger, metrics: ServerMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const reqId = c.get('requestId');
    await withLogFields({ reqId }, next);
    const ms = performance.now() - started;
    const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
    const route = answeringRoute(c);
    const status = c.res.status;
    metrics.requestFinished(method, route, status, ms / 1000);
    if (status === 200 && QUIET.has(route)) return;
    const fields = { reqId, method, route, path: c.req.path, status, ms: Math.round(ms * 10) / 10 };
    const line = `${c.req.method} ${c.req.path} ${status} ${fields.ms} ms`;
    if (status >= 500) log.warn(line, fields);
    else log.info(line, fields);
  };
}
