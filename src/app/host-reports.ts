import { projectHost } from '../desired/project-host.js';
import { targetRegistry } from '../targets/registry.js';
import { RosterError } from '../domain/errors.js';
import { deltaFrom, digestsOf, type Assignment, type HostDelta, type RevisionDigests } from '../desired/host-delta.js';
import type { HostReport } from '../store/queries/host-report-queries.js';
import type { AppContext } from './app-context.js';
import { recordApplyEntry, type AppliedChange, type ApplySummary } from './changelog.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';

/**
 * What agents pull and push (DESIGN.md §5 "Agent"): a host's desired state
 * with a revision, and reports of what they applied.
 */

export function requireHost(ctx: AppContext, host: string): void {
  if (ctx.config.hosts[host] === undefined) throw new RosterError('not_found', `no host "${printable(host)}" in roster.yaml`);
}

/** The host's assignment now; the revision changes exactly when what the agent receives does, including changes that come from the clock (an expiry passing). */
export type DesiredRevision = Assignment;

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

/** Revisions a delta can start from, per host: an agent more than this many changes behind gets the whole state. */
export const DELTA_HISTORY = 4;

interface HostCache {
  current?: CachedRevision;
  /** Digests of the latest revisions, newest last. */
  history: RevisionDigests[];
}

/** Per store (one per server process) and host: the last computed revision and the digests of the latest ones. */
const revisionCache = new WeakMap<object, Map<string, HostCache>>();

function hostCache(ctx: AppContext, host: string): HostCache {
  let perHost = revisionCache.get(ctx.store);
  if (perHost === undefined) revisionCache.set(ctx.store, (perHost = new Map<string, HostCache>()));
  let cache = perHost.get(host);
  if (cache === undefined) perHost.set(host, (cache = { history: [] }));
  return cache;
}

/**
 * The desired state of `host` now, the settings of its targets and a
 * revision: a digest of all three without the projection time (see
 * `revisionOf`), so an agent that already has this revision can be answered
 * "not modified". (Audit sequence numbers alone would miss the changes that
 * come from the clock: a retirement date passing turns an account disabled
 * without any write.)
 *
 * An unchanged host must cost one small request (DESIGN.md §6): the result
 * is kept per host and served again while no change was written (every
 * change writes an audit record, so the audit head tells) and for at most
 * REVISION_TTL_MS of the clock. Each new revision's per-account digests are
 * kept too, so an agent a few revisions behind gets only what changed.
 */
export async function desiredRevision(ctx: AppContext, host: string): Promise<DesiredRevision> {
  requireHost(ctx, host);
  const now = ctx.clock.now().getTime();
  const { seq } = await ctx.store.read.auditHead();
  const cache = hostCache(ctx, host);
  const cached = cache.current;
  if (cached !== undefined && cached.auditSeq === seq && now >= cached.from && now < cached.until) return cached.value;
  const desired = await projectHost(ctx.store.read, ctx.config, host, new Date(now), targetRegistry);
  const targets = (ctx.config.hosts[host]?.targets ?? {}) as Readonly<Record<string, unknown>>;
  const breaker = ctx.config.breaker;
  const digests = digestsOf({ desired, targets, breaker });
  const value: DesiredRevision = { revision: digests.revision, desired, targets, breaker };
  cache.current = { auditSeq: seq, from: now, until: now + REVISION_TTL_MS, value };
  if (cache.history.at(-1)?.revision !== value.revision) {
    cache.history = [...cache.history.filter((h) => h.revision !== value.revision), digests].slice(-DELTA_HISTORY);
  }
  return value;
}

/** What changed since `base`, when this server still has its digests; null means "send the whole state". */
export function desiredDelta(ctx: AppContext, host: string, current: DesiredRevision, base: string): HostDelta | null {
  const cache = hostCache(ctx, host);
  const from = cache.history.find((h) => h.revision === base);
  const to = cache.history.find((h) => h.revision === current.revision);
  return from === undefined || to === undefined ? null : deltaFrom(from, current, to);
}

export interface HostReportInput {
  /** The agent's own id for the report, made when the report was: the same report sent again is stored once. */
  readonly id?: string | undefined;
  /** When the agent applied (ISO 8601, by the host's clock); its apply's changelog entry is dated by it. */
  readonly at?: string | undefined;
  readonly revision: string | null;
  readonly ok: boolean;
  readonly report: Readonly<Record<string, unknown>>;
  /** Counts for the audit record (applied, failed, …). */
  readonly counts: Readonly<Record<string, number>>;
  /** What the apply changed (recurring changes left out), for its changelog entry; none when absent or 0. */
  readonly applied?: Pick<ApplySummary, 'root' | 'applied' | 'changes'>;
}

/** The outcomes of a report as an agent sends them (src/agent/agent-cycle.ts): some listed, all counted in `totals`. */
export interface ReportedOutcomes {
  readonly outcomes: ReadonlyArray<{ readonly target: string; readonly action: string; readonly subject: string; readonly summary?: string | undefined; readonly status: string; readonly recurring?: unknown }>;
  readonly totals?: { readonly ok: number; readonly recurring?: number | undefined } | undefined;
}

/**
 * The changes a report says were applied, recurring ones (onEnsure hooks,
 * which run at every apply) left out: counted from the totals where the
 * agent lists only some outcomes, named from those it lists.
 */
export function appliedChanges(report: ReportedOutcomes): { readonly applied: number; readonly changes: readonly AppliedChange[] } {
  const done = report.outcomes.filter((o) => o.status === 'ok');
  const listedRecurring = done.filter((o) => o.recurring === true).length;
  const changes = done.filter((o) => o.recurring !== true).map((o) => ({ target: o.target, summary: o.summary ?? `${o.action} ${o.subject}` }));
  const applied = report.totals === undefined ? changes.length : Math.max(changes.length, report.totals.ok - (report.totals.recurring ?? listedRecurring));
  return { applied, changes };
}

/** How many of a host's latest reports a report sent again is looked for among (an agent keeps at most 20 waiting). */
const RESENT_WINDOW = 50;

/**
 * When an apply's entry says it was made: the time the agent reports, but
 * never after the server's now (a host clock ahead) nor before the host's
 * previous report was received (a host clock behind: that report already
 * told of an earlier apply).
 */
function applyTime(at: string | undefined, now: Date, previous: HostReport | undefined): string {
  const reported = at === undefined ? Number.NaN : new Date(at).getTime();
  if (Number.isNaN(reported)) return now.toISOString();
  const floor = previous === undefined ? Number.NEGATIVE_INFINITY : new Date(previous.receivedAt).getTime();
  return new Date(Math.max(Math.min(reported, now.getTime()), floor)).toISOString();
}

/**
 * Stores an agent's report, and for an apply that changed something, its
 * changelog entry (seed GlobeNet: Roster's own interventions are logged
 * like anyone's), in the same transaction, dated by the apply. A report
 * with the agent's id that is already stored (sent again after its answer
 * was lost) is not stored again (`created: false`), and its entry, kept
 * under `report:<id>`, is never added twice.
 */
export async function recordHostReport(ctx: AppContext, host: string, input: HostReportInput): Promise<{ readonly report: HostReport; readonly created: boolean }> {
  requireHost(ctx, host);
  return mutate(ctx, {}, async (tx) => {
    const latest = await tx.listHostReports({ host, limit: input.id === undefined ? 1 : RESENT_WINDOW });
    const known = input.id === undefined ? undefined : latest.find((l) => l.report.id === input.id);
    if (known !== undefined) return { report: known, created: false };
    const now = ctx.clock.now();
    const r = await tx.insertHostReport({ host, receivedAt: now.toISOString(), actor: ctx.actor, revision: input.revision, ok: input.ok, report: input.report });
    const ref = input.id === undefined ? `report:${r.id}` : `report:${input.id}`;
    const applied = input.applied === undefined || (input.id !== undefined && (await tx.findChangelogByRef(host, 'apply', ref)) !== undefined) ? undefined : input.applied;
    const at = applyTime(input.at, now, latest[0]);
    const entry = applied === undefined ? null : await recordApplyEntry(tx, ctx, { host, revision: input.revision, ...applied, ref, at });
    await audit(tx, ctx, {
      action: 'host.report',
      target: `host:${host}`,
      before: null,
      after: { report: r.id, revision: input.revision, ok: input.ok, ...input.counts, ...(entry === null ? {} : { changelog: entry.id }) },
      result: input.ok ? 'ok' : 'failed',
    });
    return { report: r, created: true };
  });
}
