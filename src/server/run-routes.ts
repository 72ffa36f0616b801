import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import type { AppContext } from '../app/app-context.js';
import { runBilling } from '../app/billing-run.js';
import { approveMassChange, claimApproval, recordMassChangeResult, requestMassChange, requireMassChange } from '../app/mass-changes.js';
import { purge } from '../app/purge.js';
import type { ServerConfig } from '../config/config-schema.js';
import { breakerLimit } from '../domain/circuit-breaker.js';
import { RosterError } from '../domain/errors.js';
import { syncRoster } from '../jobs/roster-sync.js';
import type { MassChange, MassChangeSummary } from '../store/queries/mass-change-queries.js';
import { verifyAudit } from '../store/verify-audit.js';
import { route, type ApiRoute } from './api-route.js';
import { auditRecordSchema, auditVerificationSchema, billingReportSchema, dryRunBody, jobRunSchema, massChangeSchema, purgeBody, purgeReportSchema, syncQuery } from './api-schemas.js';
import { ADMINS, READERS, WRITERS } from './permissions.js';
import { problemOf, problemResponse } from './problem.js';
import type { Principal } from './server-deps.js';
import type { ServerMetrics } from './server-metrics.js';

function massChangeView(c: MassChange): z.infer<typeof massChangeSchema> {
  return {
    id: c.id,
    action: c.action,
    params: { ...c.params },
    summary: c.summary,
    requestedBy: c.requestedBy,
    requestedAt: c.requestedAt,
    expiresAt: c.expiresAt,
    approvedBy: c.approvedBy,
    approvedAt: c.approvedAt,
    result: c.result,
  };
}

/**
 * A run refused by the circuit breaker is recorded for a second admin to
 * approve, and the 409 problem names it (`massChange`), so the caller knows
 * what to ask for and what to repeat the run with.
 */
async function refuseMassChange(ctx: AppContext, principal: Principal, e: RosterError, instance: string, run: { action: string; params: Record<string, unknown>; summary: MassChangeSummary }, metrics: ServerMetrics): Promise<Response> {
  metrics.breakerRefused(run.action.startsWith('sync:') ? 'sync' : run.action, '');
  const change = await requestMassChange(ctx, { ...run, tokenId: principal.token.id });
  const detail = `${e.message}. A second admin can approve this run: POST /api/v1/mass-changes/${change.id}/approvals; then repeat it with approval "${change.id}" (valid until ${change.expiresAt})`;
  return problemResponse({ ...problemOf('mass_change', detail, instance), massChange: massChangeView(change) } as ReturnType<typeof problemOf>);
}

async function purgeSummary(ctx: AppContext): Promise<MassChangeSummary> {
  const dry = await purge(ctx, { dryRun: true });
  const total = await ctx.store.read.countAccounts();
  return { affected: dry.candidates.length, total, limit: breakerLimit(total, ctx.config.breaker) };
}

/** Runs with the circuit breaker (purge, billing, roster sync), mass-change approvals, job runs and the audit log. */
export function runRoutes(server: ServerConfig, metrics: ServerMetrics): ApiRoute[] {
  return [
    route({
      method: 'post',
      path: '/billing/run',
      operationId: 'runBilling',
      summary: 'The billing job: post dues, warn before the balance runs out, freeze at the lead time, lift the freeze after payment',
      tag: 'runs',
      roles: WRITERS,
      body: dryRunBody,
      response: billingReportSchema,
      async handler({ ctx, body }) {
        const r = await runBilling(ctx, { dryRun: body.dryRun });
        return { dryRun: r.dryRun, people: [...r.people] };
      },
    }),
    route({
      method: 'post',
      path: '/purge',
      operationId: 'purge',
      summary: 'Purge accounts whose purge date has come; over the circuit breaker, a second admin must approve',
      tag: 'runs',
      roles: WRITERS,
      body: purgeBody,
      response: purgeReportSchema,
      notes: { 409: 'mass_change: over the circuit breaker; the problem carries `massChange` to approve' },
      async handler({ ctx, principal, body, request }) {
        if (body.dryRun) return purge(ctx, { dryRun: true }) as Promise<z.infer<typeof purgeReportSchema>>;
        if (body.approval !== undefined) {
          const { affected } = await purgeSummary(ctx);
          await claimApproval(ctx, body.approval, { action: 'purge', params: {}, affected });
          const r = await purge(ctx, { allowMassChange: true });
          await recordMassChangeResult(ctx, body.approval, { candidates: r.candidates.length, failed: r.results.filter((x) => !x.ok).length });
          return r as z.infer<typeof purgeReportSchema>;
        }
        try {
          return (await purge(ctx)) as z.infer<typeof purgeReportSchema>;
        } catch (e) {
          if (!(e instanceof RosterError) || e.code !== 'mass_change') throw e;
          return refuseMassChange(ctx, principal, e, new URL(request.url).pathname, { action: 'purge', params: {}, summary: await purgeSummary(ctx) }, metrics);
        }
      },
    }),
    route({
      method: 'post',
      path: '/sync/{source}',
      operationId: 'syncRoster',
      summary: 'Upload a roster file (text/csv) for a source and sync it; over the circuit breaker, a second admin must approve',
      tag: 'runs',
      roles: WRITERS,
      params: z.strictObject({ source: z.string().max(64) }),
      query: syncQuery,
      body: 'csv',
      maxBodyBytes: (config) => config.server.maxUploadBytes,
      response: z.record(z.string(), z.unknown()),
      notes: { 409: 'mass_change: over the circuit breaker; the problem carries `massChange` to approve' },
      async handler({ ctx, principal, params, query, body, request }) {
        const text = typeof body === 'string' ? body : '';
        const digest = createHash('sha256').update(text).digest('hex');
        const run = { action: `sync:${params.source}`, params: { source: params.source, sha256: digest } };
        const dir = await mkdtemp(join(tmpdir(), 'roster-upload-'));
        const file = join(dir, `${params.source}.csv`);
        try {
          await writeFile(file, text, { mode: 0o600 });
          const options = { file, source: params.source };
          if (query.dryRun) return { ...(await syncRoster(ctx, { ...options, dryRun: true, allowMassChange: true })), file: '(upload)' };
          if (query.approval !== undefined) {
            const plan = await syncRoster(ctx, { ...options, dryRun: true, allowMassChange: true });
            await claimApproval(ctx, query.approval, { ...run, affected: plan.breaker.affected });
            const r = await syncRoster(ctx, { ...options, allowMassChange: true });
            await recordMassChangeResult(ctx, query.approval, r.summary);
            return { ...r, file: '(upload)' };
          }
          try {
            return { ...(await syncRoster(ctx, options)), file: '(upload)' };
          } catch (e) {
            if (!(e instanceof RosterError) || e.code !== 'mass_change') throw e;
            const plan = await syncRoster(ctx, { ...options, dryRun: true, allowMassChange: true });
            return await refuseMassChange(ctx, principal, e, new URL(request.url).pathname, { ...run, summary: { affected: plan.breaker.affected, total: plan.breaker.total, limit: plan.breaker.limit } }, metrics);
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    }),
    route({
      method: 'get',
      path: '/mass-changes',
      operationId: 'listMassChanges',
      summary: 'Runs the circuit breaker refused, newest first',
      tag: 'runs',
      roles: READERS,
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(server.pageSize.max).default(server.pageSize.default) }),
      response: z.object({ items: z.array(massChangeSchema) }),
      async handler({ ctx, query }) {
        return { items: (await ctx.store.read.listMassChanges({ limit: query.limit })).map(massChangeView) };
      },
    }),
    route({
      method: 'get',
      path: '/mass-changes/{id}',
      operationId: 'getMassChange',
      summary: 'A refused run and its approval',
      tag: 'runs',
      roles: READERS,
      params: z.strictObject({ id: z.string().max(64) }),
      response: massChangeSchema,
      async handler({ ctx, params }) {
        return massChangeView(await requireMassChange(ctx, params.id));
      },
    }),
    route({
      method: 'post',
      path: '/mass-changes/{id}/approvals',
      operationId: 'approveMassChange',
      summary: 'Approve a refused run: by an admin token other than the one that asked',
      tag: 'runs',
      roles: ADMINS,
      params: z.strictObject({ id: z.string().max(64) }),
      body: z.strictObject({}),
      status: 201,
      response: massChangeSchema,
      async handler({ ctx, principal, params }) {
        return massChangeView(await approveMassChange(ctx, params.id, { tokenId: principal.token.id }));
      },
    }),
    route({
      method: 'get',
      path: '/jobs',
      operationId: 'listJobRuns',
      summary: 'Runs of the scheduled jobs (purge, billing, apply, notify, roster sync), newest first',
      tag: 'runs',
      roles: READERS,
      query: z.strictObject({ job: z.string().max(64).optional(), limit: z.coerce.number().int().min(1).max(server.pageSize.max).default(server.pageSize.default) }),
      response: z.object({ items: z.array(jobRunSchema) }),
      async handler({ ctx, query }) {
        const runs = await ctx.store.read.listJobRuns({ ...(query.job === undefined ? {} : { job: query.job }), limit: query.limit });
        return { items: runs.map((r) => ({ ...r, counts: { ...r.counts } })) };
      },
    }),
    route({
      method: 'get',
      path: '/audit',
      operationId: 'listAudit',
      summary: 'The hash-chained audit log in sequence order, from `after`',
      tag: 'audit',
      roles: READERS,
      query: z.strictObject({
        target: z.string().max(256).optional(),
        after: z.coerce.number().int().min(0).default(0).meta({ description: 'records after this sequence number' }),
        limit: z.coerce.number().int().min(1).max(server.pageSize.max).default(server.pageSize.default),
      }),
      response: z.object({ items: z.array(auditRecordSchema), next: z.string().nullable(), head: z.int() }),
      async handler({ ctx, query }) {
        const head = await ctx.store.read.auditHead();
        const records = await ctx.store.read.listAudit({ afterSeq: query.after, limit: query.limit + 1, ...(query.target === undefined ? {} : { target: query.target }) });
        const items = records.slice(0, query.limit);
        return { items, next: records.length > query.limit ? String(items.at(-1)?.seq ?? query.after) : null, head: head.seq };
      },
    }),
    route({
      method: 'get',
      path: '/audit/verify',
      operationId: 'verifyAudit',
      summary: 'Recompute the hash chain: detects edited, deleted, reordered and truncated records',
      tag: 'audit',
      roles: READERS,
      query: z.strictObject({ expectHead: z.string().max(128).optional().meta({ description: 'SEQ:HASH kept outside the database' }) }),
      response: auditVerificationSchema,
      async handler({ ctx, query }) {
        const v = await verifyAudit(ctx.store.read, query.expectHead === undefined ? {} : { expectHead: query.expectHead });
        return { ...v, problems: [...v.problems] };
      },
    }),
  ];
}
