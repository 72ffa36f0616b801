import type { Command } from 'commander';
import { wallTime } from '../app/notices.js';
import { outcomeExit, RosterError } from '../domain/errors.js';
import { isJobName, JOB_NAMES } from '../jobs/job-names.js';
import type { JobReport } from '../jobs/run-jobs.js';
import type { JobRun } from '../store/store.js';
import { withDelivery } from './command-runner.js';

function counts(c: Readonly<Record<string, number>>): string {
  return Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
}

function runLine(r: JobRun, tz: string): string {
  return `#${r.id} ${r.job}: ${r.result}, started ${wallTime(r.startedAt, tz)}${r.finishedAt === null ? '' : `, finished ${wallTime(r.finishedAt, tz)}`}; ${counts(r.counts)}${r.forced ? ' (forced)' : ''}${r.message === null ? '' : ` — ${r.message}`}`;
}

function reportLine(r: JobReport, tz: string): string {
  const next = r.nextRun === null ? '' : `; next ${wallTime(r.nextRun, tz)}`;
  if (!r.due) return `${r.job}: not due (slot ${r.slot === null ? '-' : wallTime(r.slot, tz)} already ran${next})`;
  if (r.elsewhere !== null) return `${r.job}: due, not run here: ${r.elsewhere}`;
  if (r.dryRun) return `${r.job}: due; would run: ${counts(r.outcome?.counts ?? {})}${r.outcome?.details.length ? `\n${r.outcome.details.map((d) => `  ${d}`).join('\n')}` : ''}`;
  const lines = [`${r.job}: ${r.run?.result ?? '?'}; ${counts(r.outcome?.counts ?? {})}${r.outcome?.message == null ? '' : ` — ${r.outcome.message}`}`];
  lines.push(...(r.outcome?.details ?? []).map((d) => `  ${d}`));
  if (r.delivery !== null && (r.delivery.sent > 0 || r.delivery.errors.length > 0)) lines.push(`  notifications: ${r.delivery.sent} sent, ${r.delivery.retrying} to retry, ${r.delivery.gaveUp} given up`);
  return lines.join('\n');
}

export function registerJobsCommands(program: Command): void {
  const jobs = program.command('jobs').description(`scheduled jobs (${JOB_NAMES.join(', ')}): run the due ones from cron or a systemd timer, list past runs`);

  jobs
    .command('run [job]')
    .description('run every job that is due now (or only JOB); each run is recorded and a missed run is caught up once')
    .option('--force', 'run even if this slot already ran')
    .option('--dry-run', 'show which jobs are due and what they would do; change and record nothing')
    .action(async (job: string | undefined, o: { force?: boolean }, cmd: Command) => {
      if (job !== undefined && !isJobName(job)) throw new RosterError('usage', `no job "${job}" (jobs: ${JOB_NAMES.join(', ')})`, [{ where: 'JOB', message: `one of ${JOB_NAMES.join(', ')}` }]);
      await withDelivery(cmd, async (ctx, out, opts, deps) => {
        const [{ runJobs }, { targetRegistry }] = await Promise.all([import('../jobs/run-jobs.js'), import('../targets/registry.js')]);
        const reports = await runJobs(ctx, { ...deps, targets: targetRegistry }, { ...(job === undefined ? {} : { job }), force: o.force === true, dryRun: opts.dryRun === true, startedBy: ctx.actor });
        out.print(reports, () => reports.map((r) => reportLine(r, ctx.config.timeZone)).join('\n'));
        if (reports.some((r) => r.run !== null && r.run.result !== 'ok')) process.exitCode = outcomeExit.someFailed;
        if (opts.dryRun === true) out.pending(reports.some((r) => r.due));
      });
    });

  jobs
    .command('list')
    .description('the jobs, their schedules and next runs, and the most recent runs (start, end, result, counts)')
    .option('--limit <n>', 'how many recent runs to show', '20')
    .option('--job <name>', 'only runs of this job (purge, billing, apply, notify, sync:<source>)')
    .action(async (o: { limit: string; job?: string }, cmd: Command) => {
      if (!/^\d+$/.test(o.limit)) throw new RosterError('usage', `--limit "${o.limit}" is not a number`, [{ where: '--limit', message: 'expected an integer' }]);
      await withDelivery(cmd, async (ctx, out) => {
        const { jobOverview } = await import('../jobs/job-overview.js');
        const tz = ctx.config.timeZone;
        const { jobs: schedules, runs } = await jobOverview(ctx, { runs: Number(o.limit), ...(o.job === undefined ? {} : { job: o.job }) });
        out.print({ jobs: schedules, runs }, () =>
          [
            ...schedules.map((s) => `${s.job.padEnd(8)} ${s.schedule.padEnd(14)} next ${s.nextRun === null ? '-' : wallTime(s.nextRun, tz)}; last ${s.lastRun === null ? 'never' : `${s.lastRun.result} at ${wallTime(s.lastRun.startedAt, tz)}`}`),
            '',
            runs.length === 0 ? 'no runs recorded yet' : 'recent runs:',
            ...runs.map((r) => `  ${runLine(r, tz)}`),
          ].join('\n'),
        );
      });
    });
}
