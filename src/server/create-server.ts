import { Hono } from 'hono';
import { mountConsole } from '../console/console-app.js';
import { mountPortal } from '../portal/portal-app.js';
import { mountStatusPage } from './status/status-app.js';
import { targetRegistry } from '../targets/registry.js';
import { accountRoutes } from './account-routes.js';
import { changelogRoutes } from './changelog-routes.js';
import type { ApiRoute } from './api-route.js';
import { requestGate } from './authenticate-request.js';
import { hostRoutes } from './host-routes.js';
import { observeRequests } from './observe-requests.js';
import { openApiDocument } from './openapi.js';
import { mountOpsRoutes, opsOpenApiPaths } from './ops-routes.js';
import { peopleRoutes } from './people-routes.js';
import { resourceRoutes } from './resource-routes.js';
import { usageRoutes } from './usage-routes.js';
import { watchRoutes } from './watch-routes.js';
import { statusRoutes } from './status-routes.js';
import { problemOf, problemResponse } from './problem.js';
import { requestIds } from './request-id.js';
import { routingPath } from './routing-path.js';
import { API_BASE, mountRestRoutes } from './rest-router.js';
import { runRoutes } from './run-routes.js';
import { scimErrorResponse } from './scim/scim-error.js';
import { mountScimRoutes } from './scim/scim-router.js';
import { SCIM_BASE } from './scim/scim-setup.js';
import type { ServerDeps } from './server-deps.js';
import { ServerMetrics } from './server-metrics.js';
import { tokenRoutes } from './token-routes.js';

export const API_VERSION = '0.1.0';

export interface RosterServer {
  readonly app: Hono;
  /** The REST routes, as the OpenAPI document and the authorization tests see them. */
  readonly routes: readonly ApiRoute[];
  /** This server's metrics (GET /metrics); `roster serve` adds its scheduler's job runs. */
  readonly metrics: ServerMetrics;
}

/**
 * The HTTP side of Roster (DESIGN.md §5 "HTTP"): REST under /api/v1 with
 * its OpenAPI description, SCIM 2.0 under /scim/v2. Everything a request
 * changes goes through the use cases in src/app with the request's token
 * as the actor; this layer only speaks the protocols.
 */
export function createServer(deps: ServerDeps): RosterServer {
  const app = new Hono({ getPath: routingPath });
  const gate = requestGate(deps);
  const server = deps.config.server;
  const metrics = new ServerMetrics(deps);
  const routes = [...tokenRoutes(), ...peopleRoutes(server), ...accountRoutes(server), ...runRoutes(server, metrics), ...hostRoutes(server, metrics), ...resourceRoutes(deps.targets ?? targetRegistry), ...usageRoutes(deps.targets ?? targetRegistry), ...watchRoutes(server), ...changelogRoutes(server), ...statusRoutes(deps.targets ?? targetRegistry)];
  const openapi = openApiDocument(routes, API_BASE, API_VERSION, opsOpenApiPaths(server.metrics.public));

  // Every answer carries X-Request-Id (the client's, if it sent a sane one), so
  // a logged failure can be matched to what the client saw.
  // SCIM answers carry it from the router that makes them (requestIds).
  app.use(requestIds(`${SCIM_BASE}/`));
  // Counted, timed and logged with that id (after requestIds, which sets it).
  app.use(observeRequests(deps.log, metrics));
  app.get('/', (c) => c.json({ name: 'roster', version: API_VERSION, api: API_BASE, openapi: `${API_BASE}/openapi.json`, scim: SCIM_BASE }));
  // The description of the API is public; everything it describes needs a token.
  app.get(`${API_BASE}/openapi.json`, (c) => c.json(openapi));
  mountRestRoutes(app, routes, deps, gate);
  mountScimRoutes(app, deps, gate);
  mountOpsRoutes(app, deps, gate, metrics);
  // The member portal (issue 14): server-rendered pages under /portal, with their own sessions.
  mountPortal(app, deps);
  // The admin console (issue 16): /console, admins with a second factor.
  mountConsole(app, deps);
  // The public status page (seed GlobeNet): /status, no sign-in.
  mountStatusPage(app, deps);
  app.notFound((c) => (c.req.path.startsWith(`${SCIM_BASE}/`) ? scimErrorResponse(404, `no SCIM endpoint ${c.req.path}`) : problemResponse(problemOf('not_found', `no endpoint ${c.req.method} ${c.req.path}`, c.req.path))));
  app.onError((e, c) => {
    const id = c.get('requestId');
    deps.log.warn(`request ${id}: ${c.req.method} ${c.req.path}: ${e.stack ?? e.message}`);
    const response = problemResponse(problemOf('internal', `an unexpected error occurred; it has been logged as request ${id}`, c.req.path));
    response.headers.set('X-Request-Id', id);
    return response;
  });
  return { app, routes, metrics };
}
