import type { AppContext } from '../app/app-context.js';
import { applyServerHosts, planServerHosts, serverAppliedHosts, type ServerHostApply } from '../app/apply-server-hosts.js';
import { runBilling } from '../app/billing-run.js';
import { mutate } from '../app/mutate.js';
import { queueNotices, wallTime } from '../app/notices.js';
import { purge } from '../app/purge.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import type { JobRun, JobResult } from '../store/store.js';
import type { AnyTarget } from '../targets/registry.js';
import { deliverOutbox, type DeliveryDeps, type DeliveryReport } from '../notify/deliver-outbox.js';
import { claimJobRun, finishJobRun } from './job-runs.js';
import { latestSlot, nextSlot } from './job-schedule.js';

import { JOB_NAMES, type JobName } from './job-names.js';

export { isJobName, JOB_NAMES, type JobName } from './job-names.js';

/** What the jobs need beyond the context: mail delivery, and the targets the apply job applies. */
export interface JobDeps extends DeliveryDeps {
  readonly targets: readonly AnyTarget[];
  /** The root prefix the apply job applies under: `/` (the live system) unless given. */
  readonly root?: string;
}

export interface JobOutcome {
  readonly result: Exclude<JobResult, 'running' | 'interrupted'>;
  readonly counts: Readonly<Record<string, number>>;
  readonly message: string | null;
  /** Lines for the admin digest (who was purged, frozen, …). */
  readonly details: readonly string[];
}

/** A job's schedule from roster.yaml (purge.schedule, billing.schedule, notify.schedule). */
export function scheduleOf(ctx: AppContext, job: JobName): string {
  switch (job) {
    case 'purge':
      return ctx.config.purge.schedule;
    case 'billing':
      return ctx.config.billing.schedule;
    case 'apply':
      return ctx.config.apply.schedule;
    case 'notify':
      return ctx.config.notify.schedule;
  }
}

async function runJob(ctx: AppContext, job: JobName, deps: JobDeps, dryRun: boolean): Promise<JobOutcome> {
  switch (job) {
    case 'purge': {
      try {
        const r = await purge(ctx, { dryRun });
        const failed = r.results.filter((x) => !x.ok);
        return {
          result: failed.length === 0 ? 'ok' : 'partial',
          counts: { candidates: r.candidates.length, purged: r.results.length - failed.length, failed: failed.length },
          message: failed.length === 0 ? null : `${failed.length} account(s) could not be purged`,
          details: dryRun ? r.candidates.map((c) => `would purge ${c.username}`) : r.results.map((x) => (x.ok ? `purged ${x.username}` : `FAILED ${x.username}: ${x.error ?? ''}`)),
        };
      } catch (e) {
        // The circuit breaker is an answer, not a crash: recorded, and the admin hears of it.
        if (e instanceof RosterError && e.code === 'mass_change') return { result: 'refused', counts: {}, message: e.message, details: [] };
        throw e;
      }
    }
    case 'billing': {
      const r = await runBilling(ctx, { dryRun });
      const count = (action: string): number => r.people.filter((p) => p.action === action && p.error === undefined).length;
      const failed = r.people.filter((p) => p.error !== undefined);
      return {
        result: failed.length === 0 ? 'ok' : 'partial',
        counts: { people: r.people.length, warned: count('warn'), frozen: count('freeze'), lifted: count('lift'), duesPosted: r.people.filter((p) => p.duesPosted !== undefined).length, failed: failed.length },
        message: failed.length === 0 ? null : `${failed.length} member(s) could not be evaluated`,
        details: r.people.filter((p) => p.action !== 'none' || p.error !== undefined).map((p) => `${p.personId}: ${p.error === undefined ? p.action : `FAILED ${p.error}`}${p.warnKind === undefined ? '' : ` (${p.warnKind})`}; runs out ${p.runOut ?? 'never'}`),
      };
    }
    case 'apply': {
      const hosts = serverAppliedHosts(ctx);
      if (dryRun) {
        const plans = await planServerHosts(ctx, deps.targets, deps.root);
        const unplanned = plans.filter((p) => p.error !== undefined);
        return {
          result: unplanned.length === 0 ? 'ok' : 'partial',
          counts: { hosts: hosts.length, changes: plans.reduce((n, p) => n + p.changes, 0), unplanned: unplanned.length },
          message: unplanned.length === 0 ? null : `${unplanned.length} host(s) could not be planned`,
          details: plans.flatMap((p) => (p.error !== undefined ? [`${p.host}: not planned: ${p.error}`] : [`${p.host}: would apply ${p.changes} change(s)`, ...p.targets.flatMap((t) => t.changes.map((c) => `${p.host}: ${t.target}: ${c}`))])),
        };
      }
      const r = await applyServerHosts(ctx, deps.targets, deps.root);
      const sum = (f: (h: ServerHostApply) => number): number => r.reduce((n, h) => n + f(h), 0);
      const broken = r.filter((h) => h.error !== undefined || h.failed > 0 || h.skipped > 0).length;
      return {
        result: broken === 0 ? 'ok' : 'partial',
        counts: { hosts: r.length, applied: sum((h) => h.applied), failed: sum((h) => h.failed), skipped: sum((h) => h.skipped) },
        message: broken === 0 ? null : `${broken} host(s) not fully applied`,
        details: r.flatMap((h) => (h.applied === 0 ? h.failures : [`${h.host}: ${h.applied} change(s) applied`, ...h.failures])),
      };
    }
    case 'notify': {
      if (dryRun) {
        const counts = await ctx.store.read.countMessages();
        return { result: 'ok', counts: { waiting: counts.queued }, message: null, details: [] };
      }
      const r = await deliverOutbox(ctx, deps);
      return {
        result: r.gaveUp > 0 || r.retrying > 0 ? 'partial' : 'ok',
        counts: { sent: r.sent, retrying: r.retrying, gaveUp: r.gaveUp, waiting: r.waiting },
        message: r.transport === null && r.waiting > 0 ? `${r.waiting} message(s) queued but no transport is configured (notify.transport)` : null,
        details: r.errors.map((e) => `#${e.id} ${e.kind} to ${e.to}: ${e.error}`),
      };
    }
  }
}

export interface JobReport {
  readonly job: JobName;
  readonly schedule: string;
  readonly due: boolean;
  /** The slot a run now covers (latest scheduled instant), or null. */
  readonly slot: string | null;
  readonly nextRun: string | null;
  readonly dryRun: boolean;
  /** The recorded run, when one happened. */
  readonly run: JobRun | null;
  readonly outcome: JobOutcome | null;
  readonly delivery: DeliveryReport | null;
  /** Why a due job did not run here: another process holds its lease, or ran it meanwhile. */
  readonly elsewhere: string | null;
}

export interface RunJobsOptions {
  /** Only this job (default: all). */
  readonly job?: JobName;
  /** Run even when this slot already ran. */
  readonly force?: boolean;
  readonly dryRun?: boolean;
  /** Recorded on the run: `cli:root`, `serve`. */
  readonly startedBy?: string;
}

/**
 * `roster jobs run [JOB]` and the scheduler: runs every job that is due.
 *
 * A job is due when the latest instant its schedule names (in the
 * configured time zone) is later than the slot of its last completed run.
 * So a run missed while the machine was off is caught up once, not once per
 * missed slot, and a second `jobs run` in the same slot does nothing unless
 * forced. Failed and interrupted runs do not complete their slot: the next
 * `jobs run` tries again, which is safe because every job's changes are
 * idempotent and committed one item at a time.
 *
 * Each run is recorded (start, end, result, counts); afterwards the admin
 * digest is queued and the outbox is flushed, so the job's own notices go
 * out with it.
 */
export async function runJobs(base: AppContext, deps: JobDeps, options: RunJobsOptions = {}): Promise<JobReport[]> {
  const reports: JobReport[] = [];
  for (const job of options.job === undefined ? JOB_NAMES : [options.job]) {
    const ctx: AppContext = { ...base, actor: `job:${job}` };
    const now = ctx.clock.now();
    const schedule = scheduleOf(ctx, job);
    const slot = latestSlot(schedule, ctx.config.timeZone, now);
    const next = nextSlot(schedule, ctx.config.timeZone, now);
    const [last] = await ctx.store.read.listJobRuns({ job, results: ['ok', 'partial', 'refused'], limit: 1 });
    const due = options.force === true || (slot !== null && (last === undefined || last.slot < slot.toISOString()));
    const head = { job, schedule, due, slot: slot?.toISOString() ?? null, nextRun: next?.toISOString() ?? null, dryRun: options.dryRun === true };
    const none = { run: null, outcome: null, delivery: null, elsewhere: null };
    if (!due) {
      reports.push({ ...head, ...none });
      continue;
    }
    if (options.dryRun === true) {
      reports.push({ ...head, ...none, outcome: await runJob(ctx, job, deps, true) });
      continue;
    }
    // One holder of the job's lease at a time (DESIGN.md §5: with several
    // servers on PostgreSQL a job runs once); the claim then re-checks, in
    // its transaction, that no other process completed this slot meanwhile.
    const leased = await ctx.store.withLease(`job:${job}`, async () => {
      const claimed = await claimJobRun(ctx, job, slot ?? now, { forced: options.force === true, oncePerSlot: options.force !== true, ownersHoldLease: ctx.store.dialect === 'postgres', ...(options.startedBy === undefined ? {} : { startedBy: options.startedBy }) });
      if (claimed === null) return null;
      let outcome: JobOutcome;
      try {
        outcome = await runJob(ctx, job, deps, false);
      } catch (e) {
        outcome = { result: 'failed', counts: {}, message: errorMessage(e), details: [] };
      }
      const run = await finishJobRun(ctx, claimed, { result: outcome.result, counts: outcome.counts, message: outcome.message });
      return { run, outcome };
    });
    if (leased === null || leased.value === null) {
      reports.push({ ...head, ...none, elsewhere: leased === null ? 'running in another process' : 'this slot was run by another process' });
      continue;
    }
    const { run, outcome } = leased.value;
    // The notify and apply jobs run often: their digest is for when something happened.
    if (!(job === 'notify' || job === 'apply') || outcome.result !== 'ok' || outcome.details.length > 0) await queueDigest(ctx, run, outcome);
    const delivery = await deliverOutbox(ctx, deps).catch((e: unknown) => {
      ctx.log.warn(`notifications: ${errorMessage(e)}`);
      return null;
    });
    reports.push({ ...head, run, outcome, delivery, elsewhere: null });
  }
  return reports;
}

/** The admin digest of one job run (GlobeNet: every intervention reported), when an admin address is configured. */
async function queueDigest(ctx: AppContext, run: JobRun, outcome: JobOutcome): Promise<void> {
  const to = ctx.config.notify.adminAddress;
  if (to === undefined) return;
  const tz = ctx.config.timeZone;
  const details = outcome.details.length > 200 ? [...outcome.details.slice(0, 200), `… and ${outcome.details.length - 200} more`] : outcome.details;
  await mutate(ctx, {}, (tx) =>
    queueNotices(tx, ctx, [
      {
        kind: 'admin-digest',
        to,
        data: {
          job: run.job,
          result: run.result,
          started: wallTime(run.startedAt, tz),
          finished: run.finishedAt === null ? '' : wallTime(run.finishedAt, tz),
          counts: Object.entries(run.counts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none',
          message: run.message ?? '',
          details: details.join('\n'),
        },
        dedupeKey: `admin-digest:${run.id}`,
      },
    ]),
  );
}
