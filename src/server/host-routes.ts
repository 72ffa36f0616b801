import { errorMessage, RosterError } from '../domain/errors.js';
import * as z from 'zod';
import { appliedChanges, desiredDelta, desiredRevision, desiredState, recordHostReport, requireHost } from '../app/host-reports.js';
import { CHANGELOG_HEAD_HEADER } from '../agent/server-client.js';
import { hostDeltaSchema } from '../desired/host-delta.js';
import type { ServerConfig } from '../config/config-schema.js';
import type { HostReport } from '../store/queries/host-report-queries.js';
import { noteAgentContact, noteHostReport } from '../app/status-observations.js';
import { targetRegistry } from '../targets/registry.js';
import { route, type ApiRoute } from './api-route.js';
import { desiredSchema, hostReportBody, hostReportSchema, hostSchema } from './api-schemas.js';
import { HOST_READERS, HOST_REPORTERS, READERS } from './permissions.js';
import type { ServerMetrics, TargetOutcomes } from './server-metrics.js';

const hostParams = z.strictObject({ host: z.string().max(64) });

/** The whole state line by line (see desiredState), when the agent's Accept names it. */
const NDJSON = 'application/x-ndjson';

function reportView(r: HostReport): z.infer<typeof hostReportSchema> {
  return { ...r, report: { ...r.report } };
}

/** A report's outcome counts per target: the agent's own totals, else the outcomes it listed. */
function targetOutcomes(body: z.infer<typeof hostReportBody>): TargetOutcomes[] {
  if (body.targetTotals !== undefined) return Object.entries(body.targetTotals).map(([target, t]) => ({ target, ...t }));
  const counts = new Map<string, { target: string; ok: number; failed: number; skipped: number }>();
  for (const o of body.outcomes) {
    let t = counts.get(o.target);
    if (t === undefined) counts.set(o.target, (t = { target: o.target, ok: 0, failed: 0, skipped: 0 }));
    t[o.status]++;
  }
  return [...counts.values()];
}

/**
 * Hosts and what their agents pull and push (DESIGN.md §5 "Agent"), under
 * /hosts/{host}/…: an agent token reaches its own host's endpoints only.
 */
export function hostRoutes(server: ServerConfig, metrics: ServerMetrics): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/hosts',
      operationId: 'listHosts',
      summary: 'Hosts declared in roster.yaml and their last reports',
      tag: 'hosts',
      roles: READERS,
      response: z.object({ items: z.array(hostSchema) }),
      async handler({ ctx }) {
        const items: Array<z.infer<typeof hostSchema>> = [];
        for (const [name, host] of Object.entries(ctx.config.hosts)) {
          const [last] = await ctx.store.read.listHostReports({ host: name, limit: 1 });
          items.push({ name, description: host.description ?? null, targets: Object.keys(host.targets), lastReport: last === undefined ? null : reportView(last) });
        }
        return { items };
      },
    }),
    route({
      method: 'get',
      path: '/hosts/{host}',
      operationId: 'getHost',
      summary: 'A host and its last report',
      tag: 'hosts',
      roles: HOST_READERS,
      hostParam: 'host',
      params: hostParams,
      response: hostSchema,
      async handler({ ctx, params }) {
        requireHost(ctx, params.host);
        const host = ctx.config.hosts[params.host];
        const [last] = await ctx.store.read.listHostReports({ host: params.host, limit: 1 });
        return { name: params.host, description: host?.description ?? null, targets: Object.keys(host?.targets ?? {}), lastReport: last === undefined ? null : reportView(last) };
      },
    }),
    route({
      method: 'get',
      path: '/hosts/{host}/desired',
      operationId: 'getDesiredState',
      summary: "The host's desired state and its revision; 304 when If-None-Match (or ?since) names the current revision",
      tag: 'hosts',
      roles: HOST_READERS,
      hostParam: 'host',
      params: hostParams,
      query: z.strictObject({
        since: z.string().max(128).optional(),
        delta: z.enum(['1']).optional().meta({ description: 'answer with only what changed since the revision in If-None-Match (or since), when the server still knows it' }),
      }),
      response: z.union([desiredSchema, hostDeltaSchema]),
      notes: { 304: 'not modified: the agent already has this revision', 200: 'with Accept: application/x-ndjson, the whole state comes as NDJSON: a line with the revision, targets, breaker and the desired state without accounts and groups, then one line per account ({"account": …}) and per group ({"group": …}), then {"end": {"accounts": N, "groups": M}}' },
      async handler({ ctx, principal, params, query, request }) {
        // Two appliers of one host would fight: the server applies this one itself (the apply job).
        if (principal.token.role === 'agent' && ctx.config.hosts[params.host]?.appliedBy === 'server') {
          throw new RosterError('conflict', `host ${params.host} is applied by roster serve itself (hosts.${params.host}.appliedBy: server); stop its agent, or set appliedBy: agent`);
        }
        // The status page hears from the host's agent (a host whose agent stops calling shows degraded).
        if (principal.token.role === 'agent') await noteAgentContact(ctx, params.host).catch((e: unknown) => ctx.log.warn(`status page: the call of ${params.host}'s agent was not noted: ${errorMessage(e)}`));
        const current = await desiredRevision(ctx, params.host);
        const etag = `"${current.revision}"`;
        // The host's newest changelog entry rides on every answer, so an agent fetches entries only when there are new ones.
        const head = { [CHANGELOG_HEAD_HEADER]: String(await ctx.store.read.changelogHead(params.host)) };
        const known = [...(request.headers.get('if-none-match')?.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, '')) ?? []), ...(query.since === undefined ? [] : [query.since])];
        if (known.includes(current.revision)) return new Response(null, { status: 304, headers: { etag, ...head } });
        const headers = { 'content-type': 'application/json', etag, ...head };
        if (query.delta === '1') {
          for (const base of known) {
            const delta = await desiredDelta(ctx, params.host, current, base);
            if (delta !== null) return new Response(JSON.stringify(delta), { status: 200, headers });
          }
        }
        // Not parsed again on the way out: built by typed code, and the agent checks it on arrival.
        const ndjson = request.headers.get('accept')?.includes(NDJSON) === true;
        const whole = await desiredState(ctx, params.host, current, ndjson ? 'ndjson' : 'json');
        return new Response(whole.body, { status: 200, headers: { ...headers, 'content-type': ndjson ? NDJSON : 'application/json', etag: `"${whole.revision}"` } });
      },
    }),
    route({
      method: 'post',
      path: '/hosts/{host}/reports',
      operationId: 'reportHost',
      summary: 'An agent reports what it applied (outcomes per change, drift)',
      tag: 'hosts',
      roles: HOST_REPORTERS,
      hostParam: 'host',
      params: hostParams,
      body: hostReportBody,
      status: 201,
      response: hostReportSchema,
      async handler({ ctx, params, body }) {
        const count = (status: 'ok' | 'failed' | 'skipped'): number => body.totals?.[status] ?? body.outcomes.filter((o) => o.status === status).length;
        const failed = count('failed');
        const counts = { applied: count('ok'), failed, skipped: count('skipped'), drift: body.driftTotal ?? body.drift?.length ?? 0 };
        const applied = { root: body.root ?? null, ...appliedChanges(body) };
        const { report: r, created } = await recordHostReport(ctx, params.host, { id: body.id, at: body.at, revision: body.revision, ok: failed === 0 && !body.lockTimeout && body.error === undefined, report: body, counts, applied });
        // Sent again after its answer was lost: already noted and counted.
        if (!created) return reportView(r);
        // What failed shows on the status page's history; the report is stored whatever happens here.
        await noteHostReport(ctx, params.host, r, targetRegistry).catch((e: unknown) => ctx.log.warn(`status page: the report of ${params.host} was not noted: ${errorMessage(e)}`));
        metrics.agentReported(params.host, { result: body.error !== undefined || body.lockTimeout ? 'error' : failed > 0 ? 'failed' : 'ok', targets: targetOutcomes(body), errorCode: body.error?.code ?? null });
        return reportView(r);
      },
    }),
    route({
      method: 'get',
      path: '/hosts/{host}/reports',
      operationId: 'listHostReports',
      summary: "A host's reports, newest first",
      tag: 'hosts',
      roles: HOST_READERS,
      hostParam: 'host',
      params: hostParams,
      query: z.strictObject({
        before: z.coerce.number().int().min(1).optional().meta({ description: 'reports older than this id' }),
        limit: z.coerce.number().int().min(1).max(server.pageSize.max).default(Math.min(20, server.pageSize.max)),
      }),
      response: z.object({ items: z.array(hostReportSchema) }),
      async handler({ ctx, params, query }) {
        requireHost(ctx, params.host);
        const reports = await ctx.store.read.listHostReports({ host: params.host, limit: query.limit, ...(query.before === undefined ? {} : { beforeId: query.before }) });
        return { items: reports.map(reportView) };
      },
    }),
  ];
}
