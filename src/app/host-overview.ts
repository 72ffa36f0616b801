import * as z from 'zod';
import type { HostReport } from '../store/queries/host-report-queries.js';
import type { JobRun } from '../store/queries/job-queries.js';
import type { AppContext } from './app-context.js';
import { desiredRevision, requireHost } from './host-reports.js';

/**
 * What the console's hosts pages show of each host (issue 16 item 5): its
 * settings from roster.yaml, what its agent last reported, whether that is
 * the revision the server would hand out now, and the drift and failures
 * the reports name. Read-only: it never changes the store.
 */

/** A change a report lists: a failure, or drift (a change found when re-applying a revision already applied). */
export interface ReportedChange {
  readonly target: string;
  readonly action: string;
  readonly subject: string;
  readonly summary: string | null;
  readonly error: string | null;
}

/** One agent report, put into figures: what applied, failed, was skipped and drifted, and why nothing applied when nothing did. */
export interface ReportFacts {
  readonly id: number;
  readonly receivedAt: string;
  readonly actor: string;
  readonly revision: string | null;
  readonly ok: boolean;
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  readonly drift: number;
  readonly lockTimeout: boolean;
  /** Why the agent applied nothing (the circuit breaker, a target unavailable), as it said. */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** The failed changes the report lists (an agent lists at most a few hundred, failures first). */
  readonly failures: readonly ReportedChange[];
  /** The drifted changes it lists. */
  readonly drifted: readonly ReportedChange[];
}

export interface RevisionFacts {
  /** The revision the server hands out now. */
  readonly desired: string;
  /** The revision of the last report; null before the first. */
  readonly applied: string | null;
  /** Whether the last report is of the revision handed out now. */
  readonly current: boolean;
  /** When the host first reported the revision it last reported (within the reports looked at): how long it has run it. */
  readonly appliedSince: string | null;
}

export interface HostOverview {
  readonly host: string;
  readonly description: string | null;
  readonly appliedBy: 'agent' | 'server';
  /** The targets enabled on it, in roster.yaml's order. */
  readonly targets: readonly string[];
  readonly revision: RevisionFacts;
  /** The newest report first; only the last one for the list of hosts. */
  readonly reports: readonly ReportFacts[];
  /** For a host roster serve applies itself: the apply job's last run (such hosts send no reports). */
  readonly lastApplyRun: JobRun | null;
}

const count = z.number().int().min(0);
const listedChange = z.looseObject({
  target: z.string(),
  action: z.string(),
  subject: z.string(),
  summary: z.string().optional(),
  status: z.string().optional(),
  error: z.string().optional(),
});
/**
 * The body an agent sends (src/server/api-schemas.ts hostReportBody), read
 * leniently: a report stored by an older agent that lacks a field, or has
 * one of another shape, still shows what it has.
 */
const storedReport = z.looseObject({
  outcomes: z.array(listedChange).catch([]),
  totals: z.object({ ok: count, failed: count, skipped: count, recurring: count.optional() }).optional().catch(undefined),
  lockTimeout: z.boolean().catch(false),
  drift: z.array(listedChange).optional().catch(undefined),
  driftTotal: count.optional().catch(undefined),
  error: z.object({ code: z.string(), message: z.string() }).optional().catch(undefined),
});

/** Changes listed in one report that the page shows: the rest are counted. */
const LISTED = 50;
/** Reports looked at to find since when a host runs its revision. */
const REVISION_WINDOW = 20;

function change(c: z.infer<typeof listedChange>): ReportedChange {
  return { target: c.target, action: c.action, subject: c.subject, summary: c.summary ?? null, error: c.error ?? null };
}

/** A stored report in figures; the counts come from the agent's totals when it sent them, else from the changes it listed. */
export function reportFacts(r: HostReport): ReportFacts {
  const parsed = storedReport.safeParse(r.report);
  const body = parsed.success ? parsed.data : { outcomes: [], totals: undefined, lockTimeout: false, drift: undefined, driftTotal: undefined, error: undefined };
  const listed = (status: string): number => body.outcomes.filter((o) => o.status === status).length;
  const recurring = body.totals?.recurring ?? 0;
  return {
    id: r.id,
    receivedAt: r.receivedAt,
    actor: r.actor,
    revision: r.revision,
    ok: r.ok,
    // Recurring changes (onEnsure hooks) run at every apply: not news.
    applied: body.totals === undefined ? listed('ok') : Math.max(0, body.totals.ok - recurring),
    failed: body.totals?.failed ?? listed('failed'),
    skipped: body.totals?.skipped ?? listed('skipped'),
    drift: body.driftTotal ?? body.drift?.length ?? 0,
    lockTimeout: body.lockTimeout,
    error: body.error ?? null,
    failures: body.outcomes.filter((o) => o.status === 'failed').slice(0, LISTED).map(change),
    drifted: (body.drift ?? []).slice(0, LISTED).map(change),
  };
}

/** Since when the newest report's revision has been reported: the oldest of the unbroken run of reports carrying it. */
function appliedSince(reports: readonly HostReport[]): string | null {
  const [last] = reports;
  if (last === undefined) return null;
  let since = last.receivedAt;
  for (const r of reports) {
    if (r.revision !== last.revision) break;
    since = r.receivedAt;
  }
  return since;
}

/**
 * One host as the console shows it, with its `reports` newest reports
 * (at least the last one). Throws not_found for a host roster.yaml does not
 * declare.
 */
export async function hostOverview(ctx: AppContext, host: string, options: { readonly reports?: number } = {}): Promise<HostOverview> {
  requireHost(ctx, host);
  const settings = ctx.config.hosts[host];
  const appliedBy = settings?.appliedBy ?? 'agent';
  const wanted = Math.max(1, options.reports ?? 1);
  const reports = await ctx.store.read.listHostReports({ host, limit: Math.max(wanted, REVISION_WINDOW) });
  const desired = (await desiredRevision(ctx, host)).revision;
  const applied = reports[0]?.revision ?? null;
  const [lastApplyRun] = appliedBy === 'server' ? await ctx.store.read.listJobRuns({ job: 'apply', limit: 1 }) : [];
  return {
    host,
    description: settings?.description ?? null,
    appliedBy,
    targets: Object.keys(settings?.targets ?? {}),
    revision: { desired, applied, current: applied === desired, appliedSince: appliedSince(reports) },
    reports: reports.slice(0, wanted).map(reportFacts),
    lastApplyRun: lastApplyRun ?? null,
  };
}

/** Every host in roster.yaml, in its order, with its last report. */
export async function hostOverviews(ctx: AppContext): Promise<HostOverview[]> {
  const out: HostOverview[] = [];
  for (const host of Object.keys(ctx.config.hosts)) out.push(await hostOverview(ctx, host));
  return out;
}
