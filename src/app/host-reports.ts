import { createHash } from 'node:crypto';
import type { DesiredHost } from '../desired/desired-host.js';
import { projectHost } from '../desired/project-host.js';
import { RosterError } from '../domain/errors.js';
import { canonicalJson } from '../store/audit-chain.js';
import type { HostReport } from '../store/server-queries.js';
import type { AppContext } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';

/**
 * What agents pull and push (DESIGN.md §5 "Agent"): a host's desired state
 * with a revision, and reports of what they applied.
 */

export function requireHost(ctx: AppContext, host: string): void {
  if (ctx.config.hosts[host] === undefined) throw new RosterError('not_found', `no host "${printable(host)}" in roster.yaml`);
}

export interface DesiredRevision {
  /** Changes exactly when the desired state does, including changes that come from the clock (an expiry passing). */
  readonly revision: string;
  readonly desired: DesiredHost;
}

/**
 * The desired state of `host` now and its revision: a digest of the state
 * without its projection time, so an agent that already has this revision
 * can be answered "not modified". (Audit sequence numbers would miss the
 * changes that come from the clock alone: a retirement date passing turns
 * an account disabled without any write.)
 */
export async function desiredRevision(ctx: AppContext, host: string): Promise<DesiredRevision> {
  requireHost(ctx, host);
  const desired = await projectHost(ctx.store.read, ctx.config, host, ctx.clock.now());
  const { at: _at, ...content } = desired;
  const revision = createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 32);
  return { revision, desired };
}

export interface HostReportInput {
  readonly revision: string | null;
  readonly ok: boolean;
  readonly report: Readonly<Record<string, unknown>>;
  /** Counts for the audit record (applied, failed, …). */
  readonly counts: Readonly<Record<string, number>>;
}

export async function recordHostReport(ctx: AppContext, host: string, input: HostReportInput): Promise<HostReport> {
  requireHost(ctx, host);
  return mutate(ctx, {}, async (tx) => {
    const r = await tx.insertHostReport({ host, receivedAt: ctx.clock.now().toISOString(), actor: ctx.actor, revision: input.revision, ok: input.ok, report: input.report });
    await audit(tx, ctx, { action: 'host.report', target: `host:${host}`, before: null, after: { report: r.id, revision: input.revision, ok: input.ok, ...input.counts }, result: input.ok ? 'ok' : 'failed' });
    return r;
  });
}
