import type { AppContext } from '../app/app-context.js';
import type { JobRun } from '../store/store.js';
import { JOB_NAMES, type JobName } from './job-names.js';
import { latestSlot, nextSlot } from './job-schedule.js';
import { scheduleOf } from './run-jobs.js';

/** One scheduled job as `roster jobs list` and the console show it. */
export interface JobSchedule {
  readonly job: JobName;
  /** Five-field cron expression from roster.yaml, read in `timeZone`. */
  readonly schedule: string;
  readonly timeZone: string;
  readonly nextRun: string | null;
  /** Its newest run, whatever its result. */
  readonly lastRun: JobRun | null;
  /** Whether `roster jobs run` would run it now: a scheduled instant passed that no completed run covers. */
  readonly due: boolean;
}

/** How many recent runs the overview lists by default. */
const RECENT_RUNS = 20;

/**
 * The scheduled jobs with their schedules, next runs and last runs, and the
 * most recent runs of all jobs (syncs included), newest first: what an admin
 * reads before running one by hand. "Due" is decided as runJobs decides it.
 */
export async function jobOverview(ctx: AppContext, options: { readonly runs?: number; readonly job?: string } = {}): Promise<{ readonly jobs: readonly JobSchedule[]; readonly runs: readonly JobRun[] }> {
  const tz = ctx.config.timeZone;
  const now = ctx.clock.now();
  const jobs = await Promise.all(
    JOB_NAMES.map(async (job): Promise<JobSchedule> => {
      const schedule = scheduleOf(ctx, job);
      const [last] = await ctx.store.read.listJobRuns({ job, limit: 1 });
      const [completed] = await ctx.store.read.listJobRuns({ job, results: ['ok', 'partial', 'refused'], limit: 1 });
      const slot = latestSlot(schedule, tz, now);
      return { job, schedule, timeZone: tz, nextRun: nextSlot(schedule, tz, now)?.toISOString() ?? null, lastRun: last ?? null, due: slot !== null && (completed === undefined || completed.slot < slot.toISOString()) };
    }),
  );
  const runs = await ctx.store.read.listJobRuns({ limit: options.runs ?? RECENT_RUNS, ...(options.job === undefined ? {} : { job: options.job }) });
  return { jobs, runs };
}
