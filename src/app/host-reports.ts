import { createHash } from 'node:crypto';
import type { DesiredHost } from '../desired/desired-host.js';
import { projectHost } from '../desired/project-host.js';
import type { BreakerPolicy } from '../domain/circuit-breaker.js';
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
  /** Changes exactly when what the agent receives does, including changes that come from the clock (an expiry passing). */
  readonly revision: string;
  readonly desired: DesiredHost;
  /** The host's `targets` section of roster.yaml: which targets run there and their settings (each target checks its own). */
  readonly targets: Readonly<Record<string, unknown>>;
  readonly breaker: BreakerPolicy;
}

/**
 * How long a computed revision may be served again while nothing was
 * written: changes that come from the clock alone (a retirement date
 * passing) reach agents at most this late.
 */
export const REVISION_TTL_MS = 60_000;

interface CachedRevision {
  readonly auditSeq: number;
  readonly until: number;
  readonly from: number;
  readonly value: DesiredRevision;
}

/** Per store (one per server process) and host: the last computed revision. */
const revisionCache = new WeakMap<object, Map<string, CachedRevision>>();

/**
 * The desired state of `host` now, the settings of its targets and a
 * revision: a digest of all three without the projection time, so an agent
 * that already has this revision can be answered "not modified". (Audit
 * sequence numbers alone would miss the changes that come from the clock:
 * a retirement date passing turns an account disabled without any write.)
 *
 * An unchanged host must cost one small request (DESIGN.md §6): the result
 * is kept per host and served again while no change was written (every
 * change writes an audit record, so the audit head tells) and for at most
 * REVISION_TTL_MS of the clock.
 */
export async function desiredRevision(ctx: AppContext, host: string): Promise<DesiredRevision> {
  requireHost(ctx, host);
  const now = ctx.clock.now().getTime();
  const { seq } = await ctx.store.read.auditHead();
  let perHost = revisionCache.get(ctx.store);
  if (perHost === undefined) revisionCache.set(ctx.store, (perHost = new Map()));
  const cached = perHost.get(host);
  if (cached !== undefined && cached.auditSeq === seq && now >= cached.from && now < cached.until) return cached.value;
  const desired = await projectHost(ctx.store.read, ctx.config, host, new Date(now));
  const targets = (ctx.config.hosts[host]?.targets ?? {}) as Readonly<Record<string, unknown>>;
  const breaker = ctx.config.breaker;
  const { at: _at, ...content } = desired;
  const revision = createHash('sha256').update(canonicalJson({ desired: content, targets, breaker })).digest('hex').slice(0, 32);
  const value = { revision, desired, targets, breaker };
  perHost.set(host, { auditSeq: seq, from: now, until: now + REVISION_TTL_MS, value });
  return value;
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
