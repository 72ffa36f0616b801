import { hostname } from 'node:os';
import type { AppContext } from '../app/app-context.js';
import { RosterError } from '../domain/errors.js';
import type { JobRun, JobRunEnd } from '../store/store.js';

/** A run on another host that has not finished after this long is taken as interrupted. */
export const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

/** `host:pid` of the process that runs a job (this one, or a worker it started), as recorded on the run. */
export function runOwner(pid: number = process.pid): string {
  return `${hostname()}:${pid}`;
}

/** The message of a run whose process stopped before it finished. */
function interruptedMessage(owner: string): string {
  return `interrupted: ${owner} stopped before the run finished`;
}

/** Whether the process that owns a `running` row is gone: on this host we can ask the kernel, elsewhere only the clock. */
function ownerGone(run: JobRun, now: Date): boolean {
  const [host, pidText] = [run.owner.slice(0, run.owner.lastIndexOf(':')), run.owner.slice(run.owner.lastIndexOf(':') + 1)];
  const pid = Number(pidText);
  if (host === hostname() && Number.isSafeInteger(pid) && pid > 0) {
    if (pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      // EPERM: the process exists but belongs to someone else.
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  return now.getTime() - Date.parse(run.startedAt) > STALE_AFTER_MS;
}

/**
 * Records the start of a run of `job` for `slot`, inside one write
 * transaction (serialised on both dialects), so two processes never run the
 * same job at once. With `oncePerSlot`, returns null when a run that
 * completed meanwhile (in another process or server) already covers
 * `slot`: the caller's "due" was read before this transaction, and a
 * scheduled job must not run twice for one slot.
 *
 * A `running` row left by a process that died is marked `interrupted`
 * first: every job is safe to run again after an interruption (each change
 * is its own transaction, notices are deduplicated), so the new run simply
 * finishes the work. With `ownersHoldLease` (the caller holds the job's
 * lease, and leases span servers) every such row is a dead owner's.
 */
export interface ClaimOptions {
  readonly forced?: boolean;
  readonly startedBy?: string;
  readonly oncePerSlot?: boolean;
  readonly ownersHoldLease?: boolean;
}

export async function claimJobRun(ctx: AppContext, job: string, slot: Date, options: ClaimOptions & { readonly oncePerSlot: boolean }): Promise<JobRun | null>;
export async function claimJobRun(ctx: AppContext, job: string, slot: Date, options?: ClaimOptions & { readonly oncePerSlot?: never }): Promise<JobRun>;
export async function claimJobRun(ctx: AppContext, job: string, slot: Date, options: ClaimOptions = {}): Promise<JobRun | null> {
  const now = ctx.clock.now();
  return ctx.store.transaction(async (tx) => {
    if (options.oncePerSlot === true) {
      const [done] = await tx.listJobRuns({ job, results: ['ok', 'partial', 'refused'], limit: 1 });
      if (done !== undefined && done.slot >= slot.toISOString()) return null;
    }
    for (const run of await tx.listJobRuns({ job, results: ['running'] })) {
      if (options.ownersHoldLease !== true && !ownerGone(run, now)) {
        throw new RosterError('conflict', `${job} is already running (since ${run.startedAt}, ${run.owner}); try again when it has finished`);
      }
      await tx.finishJobRun(run.id, { finishedAt: now.toISOString(), result: 'interrupted', counts: run.counts, message: interruptedMessage(run.owner) });
    }
    return tx.insertJobRun({ job, slot: slot.toISOString(), startedAt: now.toISOString(), owner: runOwner(), startedBy: options.startedBy ?? ctx.actor, forced: options.forced === true });
  });
}

export async function finishJobRun(ctx: AppContext, run: JobRun, end: Omit<JobRunEnd, 'finishedAt'>): Promise<JobRun> {
  const finishedAt = ctx.clock.now().toISOString();
  await ctx.store.transaction((tx) => tx.finishJobRun(run.id, { ...end, finishedAt }));
  return { ...run, ...end, finishedAt };
}

/**
 * Marks the `running` runs of `job` that `owner` left as `interrupted`, at
 * once: `roster serve` does so when a job's worker process died, rather than
 * leaving the row for the next claim to find. Returns the ids marked.
 */
export async function interruptRunsOf(ctx: AppContext, job: string, owner: string): Promise<number[]> {
  const finishedAt = ctx.clock.now().toISOString();
  return ctx.store.transaction(async (tx) => {
    const left = (await tx.listJobRuns({ job, results: ['running'] })).filter((r) => r.owner === owner);
    for (const run of left) await tx.finishJobRun(run.id, { finishedAt, result: 'interrupted', counts: run.counts, message: interruptedMessage(owner) });
    return left.map((r) => r.id);
  });
}
