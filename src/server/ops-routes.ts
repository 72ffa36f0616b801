import type { Hono } from 'hono';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import { authenticateRequest, type RequestGate } from './authenticate-request.js';
import { READERS } from './permissions.js';
import { problemFromError, problemResponse } from './problem.js';
import type { ServerDeps } from './server-deps.js';
import type { ServerMetrics } from './server-metrics.js';

/** A readiness probe answers within this, even when the database hangs. */
export const READY_TIMEOUT_MS = 5_000;

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string; readonly detail?: string };

/**
 * Whether this server can do its work: the database answers and its schema
 * is the one this Roster migrates to (openStore migrated it at start, but a
 * newer Roster may have migrated it since, or the database been replaced).
 * `reason` is for the public answer; `detail` (the driver's message, which
 * may name the database server) only for the log.
 */
export async function readiness(store: Store, timeoutMs = READY_TIMEOUT_MS): Promise<Readiness> {
  const stop = new AbortController();
  try {
    const status = await Promise.race([store.schemaStatus(), sleep(timeoutMs, null, { signal: stop.signal })]);
    if (status === null) return { ready: false, reason: `the database did not answer within ${timeoutMs / 1000} s` };
    if (status.unknown.length > 0) return { ready: false, reason: `the database schema is newer than this Roster (migration ${status.unknown.join(', ')}); upgrade Roster` };
    if (status.missing.length > 0) return { ready: false, reason: `the database schema lacks migration ${status.missing.join(', ')}; restart roster serve, which applies it` };
    return { ready: true };
  } catch (e) {
    return { ready: false, reason: 'the database cannot be reached', detail: errorMessage(e) };
  } finally {
    stop.abort();
  }
}

/**
 * The operational endpoints, outside /api/v1: /healthz (the process
 * answers; no token), /readyz (the database answers and is migrated; 503
 * with a reason otherwise; no token) and /metrics (Prometheus text; an
 * admin, operator or auditor token, since counts by host and route tell
 * about the installation, unless server.metrics.public is set for a
 * scraper on a trusted network).
 */
export function mountOpsRoutes(app: Hono, deps: ServerDeps, gate: RequestGate, metrics: ServerMetrics): void {
  const noStore = { 'cache-control': 'no-store' };
  app.get('/healthz', (c) => c.json({ status: 'up' }, 200, noStore));
  app.get('/readyz', async (c) => {
    const r = await readiness(deps.store);
    if (r.ready) return c.json({ status: 'ready' }, 200, noStore);
    deps.log.warn(`not ready: ${r.reason}${r.detail === undefined ? '' : ` (${r.detail})`}`);
    return c.json({ status: 'not ready', reason: r.reason }, 503, noStore);
  });
  app.get('/metrics', async (c) => {
    if (!deps.config.server.metrics.public) {
      const auth = await authenticateRequest(deps, gate, c.req.header('authorization'), READERS);
      if (!auth.ok) {
        deps.log.info(`refused GET /metrics: ${auth.error.code}`);
        return problemResponse(problemFromError(auth.error, c.req.path), auth.headers);
      }
    }
    return c.body(await metrics.text(), 200, { 'content-type': metrics.contentType, ...noStore });
  });
}

type Json = Record<string, unknown>;

/** The OpenAPI description of the operational endpoints (they live outside /api/v1). */
export function opsOpenApiPaths(publicMetrics: boolean): Json {
  const text = (description: string): Json => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
  const json = (description: string, properties: Json, required: readonly string[]): Json => ({
    description,
    content: { 'application/json': { schema: { type: 'object', properties, required } } },
  });
  const problem = (description: string): Json => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
  return {
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Liveness: the server process answers',
        tags: ['operations'],
        description: 'No token.',
        security: [],
        responses: { 200: json('the process is up', { status: { const: 'up' } }, ['status']) },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readiness',
        summary: 'Readiness: the database answers and its schema is the one this Roster expects',
        tags: ['operations'],
        description: 'No token.',
        security: [],
        responses: {
          200: json('ready to serve', { status: { const: 'ready' } }, ['status']),
          503: json('not ready, and why', { status: { const: 'not ready' }, reason: { type: 'string' } }, ['status', 'reason']),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: "Prometheus metrics: requests by route and status, job runs, agent reports and apply outcomes per host and target, age of each host's last report, circuit-breaker refusals, notification outbox",
        tags: ['operations'],
        description: publicMetrics ? 'No token (server.metrics.public is set).' : `Token roles: ${READERS.join(', ')} (no token when server.metrics.public is set).`,
        security: publicMetrics ? [] : [{ bearerAuth: [] }],
        responses: {
          200: text('Prometheus text exposition format 0.0.4'),
          ...(publicMetrics ? {} : { 401: problem('unauthorized: no token, or an unknown, revoked or expired one'), 403: problem("forbidden: the token's role may not read metrics"), 429: problem('rate_limited: retry after the Retry-After header') }),
        },
      },
    },
  };
}
