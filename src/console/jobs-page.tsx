import type { Hono } from 'hono';
import type { RosterConfig } from '../config/config-schema.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { isJobName, type JobName } from '../jobs/job-names.js';
import { jobOverview, type JobSchedule } from '../jobs/job-overview.js';
import { runJobs, type JobDeps, type JobReport } from '../jobs/run-jobs.js';
import { BUILT_IN_TEMPLATES } from '../notify/templates.js';
import { READERS, WRITERS } from '../server/permissions.js';
import type { JobRun } from '../store/store.js';
import { targetRegistry } from '../targets/registry.js';
import { can, consoleAppContext, requireRole } from './console-auth.js';
import type { ConsoleContext, ConsoleEnv } from './console-env.js';
import { ConsoleLayout, CsrfField, Message, ScrollTable } from './console-layout.js';
import { consoleTime } from './time-words.js';

/** Detail lines shown of one run (who was purged, frozen, …); the counts cover them all. */
const MAX_DETAILS = 200;

const s = {
  title: 'Jobs',
  intro: 'The scheduled jobs roster serve runs on their schedules. Running one now first shows what it would do; it runs only when you confirm.',
  jobsCaption: (tz: string) => `Scheduled jobs (times in ${tz})`,
  jobCols: ['Job', 'Schedule', 'Next run', 'Last run', 'Due', 'Action'],
  about: {
    purge: 'purges accounts whose purge date has come',
    billing: 'posts dues, warns, freezes at the lead and lifts after payment',
    apply: 'applies the hosts roster serve applies itself',
    notify: 'sends queued and failed messages again',
  } satisfies Record<JobName, string>,
  never: 'never',
  lastRun: (r: JobRun, at: string) => `${r.result}, ${at}`,
  yes: 'yes',
  no: 'no',
  runNow: (job: string) => `Run ${job} now…`,
  notHere: 'sent by roster serve’s scheduler',
  runsHeading: 'Recent runs',
  runsCaption: (tz: string) => `The last runs of every job, newest first (times in ${tz})`,
  runCols: ['Run', 'Job', 'Result', 'Started', 'Finished', 'Started by', 'Counts', 'Message'],
  noRuns: 'No run recorded yet.',
  forced: ' (run by hand)',
  counts: (c: Readonly<Record<string, number>>) => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ') || '–',
  planTitle: (job: string) => `Run ${job} now?`,
  planIntro: (job: string) => `This is a dry run: what the ${job} job would do now. Nothing has changed yet.`,
  countsCaption: 'What it would do',
  countCols: ['What', 'Count'],
  detailsHeading: 'In detail',
  detailsMore: (n: number) => `… and ${n} more`,
  nothing: 'It would do nothing now.',
  confirm: (job: string) => `Run ${job}`,
  cancel: 'Cancel',
  doneTitle: (job: string) => `${job}: run finished`,
  doneResult: (r: JobRun) => `Run ${r.id} finished: ${r.result}.`,
  doneCaption: 'What it did',
  elsewhere: (why: string) => `The job did not run here: ${why}.`,
  mailWaits: 'Notices it queued are sent by the notify job of roster serve.',
  failedTitle: (job: string) => `${job} was not run`,
  back: 'Back to the jobs',
  notFoundTitle: 'No such job',
  notFound: (job: string) => `There is no job ${job}.`,
  notRunnable: (job: string) => `${job} is not run from this page: this process has no mail transport; roster serve's scheduler sends the messages.`,
};

/**
 * What a job run from the console is given: no mail transport (the notices
 * a job queues wait for the notify job of roster serve, which has one), the
 * server's targets, and the root its hosts are applied under.
 */
function jobDeps(c: ConsoleContext): JobDeps {
  const { deps } = c.var;
  return { mailer: null, templates: BUILT_IN_TEMPLATES, targets: deps.targets ?? targetRegistry, root: deps.applyRoot ?? '/' };
}

/** The notify job needs the mail transport, which only roster serve's scheduler holds: with one configured, it is not run from here. */
function runnableHere(job: JobName, config: RosterConfig): boolean {
  return job !== 'notify' || config.notify.transport === 'none';
}

function JobsTable(props: { readonly c: ConsoleContext; readonly jobs: readonly JobSchedule[] }) {
  const { c, jobs } = props;
  const { config } = c.var.deps;
  const tz = config.timeZone;
  const writer = can(c, WRITERS);
  const cols = writer ? s.jobCols : s.jobCols.slice(0, -1);
  return (
    <ScrollTable captionId="jobs-caption" caption={s.jobsCaption(tz)} cols={cols}>
      {jobs.map((j) => (
        <tr>
          <th scope="row">
            {j.job} <span class="muted">({s.about[j.job]})</span>
          </th>
          <td>
            <code>{j.schedule}</code>
          </td>
          <td>{j.nextRun === null ? s.never : consoleTime(j.nextRun, tz)}</td>
          <td>{j.lastRun === null ? s.never : s.lastRun(j.lastRun, consoleTime(j.lastRun.startedAt, tz))}</td>
          <td>{j.due ? s.yes : s.no}</td>
          {writer ? (
            <td>
              {runnableHere(j.job, config) ? (
                <form method="get" action={`/console/jobs/${j.job}/run`}>
                  <button type="submit">{s.runNow(j.job)}</button>
                </form>
              ) : (
                <span class="muted">{s.notHere}</span>
              )}
            </td>
          ) : null}
        </tr>
      ))}
    </ScrollTable>
  );
}

function RunsTable(props: { readonly runs: readonly JobRun[]; readonly tz: string }) {
  const { runs, tz } = props;
  if (runs.length === 0) return <p>{s.noRuns}</p>;
  return (
    <ScrollTable captionId="runs-caption" caption={s.runsCaption(tz)} cols={s.runCols}>
      {runs.map((r) => (
        <tr>
          <td class="num">{r.id}</td>
          <td>{r.job}</td>
          <td>{r.result}</td>
          <td>{consoleTime(r.startedAt, tz)}</td>
          <td>{r.finishedAt === null ? '–' : consoleTime(r.finishedAt, tz)}</td>
          <td>
            {r.startedBy}
            {r.forced ? s.forced : ''}
          </td>
          <td>{s.counts(r.counts)}</td>
          <td>{r.message ?? ''}</td>
        </tr>
      ))}
    </ScrollTable>
  );
}

function JobsPage(props: { readonly c: ConsoleContext; readonly jobs: readonly JobSchedule[]; readonly runs: readonly JobRun[] }) {
  const { c } = props;
  const tz = c.var.deps.config.timeZone;
  return (
    <ConsoleLayout title={s.title} c={c}>
      <p>{s.intro}</p>
      <JobsTable c={c} jobs={props.jobs} />
      <h2>{s.runsHeading}</h2>
      <RunsTable runs={props.runs} tz={tz} />
    </ConsoleLayout>
  );
}

function Counts(props: { readonly id: string; readonly caption: string; readonly counts: Readonly<Record<string, number>> }) {
  const entries = Object.entries(props.counts);
  if (entries.length === 0) return null;
  return (
    <table class="counts">
      <caption id={props.id}>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">{s.countCols[0]}</th>
          <th scope="col" class="num">
            {s.countCols[1]}
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([k, v]) => (
          <tr>
            <th scope="row">{k}</th>
            <td class="num">{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Details(props: { readonly details: readonly string[] }) {
  const { details } = props;
  if (details.length === 0) return null;
  return (
    <>
      <h2 id="job-details">{s.detailsHeading}</h2>
      <ul class="plan" aria-labelledby="job-details">
        {details.slice(0, MAX_DETAILS).map((d) => (
          <li>{d}</li>
        ))}
        {details.length > MAX_DETAILS ? <li>{s.detailsMore(details.length - MAX_DETAILS)}</li> : null}
      </ul>
    </>
  );
}

function PlanPage(props: { readonly c: ConsoleContext; readonly job: JobName; readonly report: JobReport }) {
  const { c, job, report } = props;
  const outcome = report.outcome;
  const idle = outcome === null || (outcome.details.length === 0 && Object.values(outcome.counts).every((n) => n === 0));
  return (
    <ConsoleLayout title={s.planTitle(job)} c={c}>
      <p>{s.planIntro(job)}</p>
      {outcome?.message == null ? null : <Message kind="error">{outcome.message}</Message>}
      {idle ? <p>{s.nothing}</p> : null}
      {outcome === null ? null : (
        <>
          <Counts id="job-counts" caption={s.countsCaption} counts={outcome.counts} />
          <Details details={outcome.details} />
        </>
      )}
      <form method="post" action={`/console/jobs/${job}/run`} class="actions">
        <CsrfField c={c} />
        <button type="submit">{s.confirm(job)}</button> <a href="/console/jobs">{s.cancel}</a>
      </form>
    </ConsoleLayout>
  );
}

function DonePage(props: { readonly c: ConsoleContext; readonly job: JobName; readonly report: JobReport }) {
  const { c, job, report } = props;
  const { run, outcome } = report;
  return (
    <ConsoleLayout title={s.doneTitle(job)} c={c}>
      {run === null ? (
        <Message kind="error">{s.elsewhere(report.elsewhere ?? 'it was not due')}</Message>
      ) : (
        <Message kind={run.result === 'ok' ? 'info' : 'error'}>
          {s.doneResult(run)}
          {run.message === null ? '' : ` ${run.message}`}
        </Message>
      )}
      {outcome === null ? null : (
        <>
          <Counts id="job-counts" caption={s.doneCaption} counts={outcome.counts} />
          <Details details={outcome.details} />
        </>
      )}
      {run !== null && c.var.deps.config.notify.transport !== 'none' ? <p>{s.mailWaits}</p> : null}
      <p>
        <a href="/console/jobs">{s.back}</a>
      </p>
    </ConsoleLayout>
  );
}

function Refusal(props: { readonly c: ConsoleContext; readonly title: string; readonly text: string }) {
  return (
    <ConsoleLayout title={props.title} c={props.c}>
      <Message kind="error">{props.text}</Message>
      <p>
        <a href="/console/jobs">{s.back}</a>
      </p>
    </ConsoleLayout>
  );
}

/** The job a URL names, or the answer refusing it: 404 for no such job, 409 for one this process does not run. */
function jobOf(c: ConsoleContext): JobName | Response | Promise<Response> {
  const job = c.req.param('job') ?? '';
  if (!isJobName(job)) return c.html(<Refusal c={c} title={s.notFoundTitle} text={s.notFound(job)} />, 404);
  if (!runnableHere(job, c.var.deps.config)) return c.html(<Refusal c={c} title={s.failedTitle(job)} text={s.notRunnable(job)} />, 409);
  return job;
}

/**
 * The scheduled jobs in the console (issue 16 item 5): each job's schedule,
 * next and last run, and the recent runs with their counts (every role).
 * Admins and operators can run one now: "Run … now" first shows the job's
 * dry run (`roster jobs run JOB --force --dry-run`: what it would do, with
 * counts), and only the confirmation, a POST, runs it as `roster jobs run
 * JOB --force` would, recorded as started by the console user; the result
 * page shows what it did.
 */
export function mountJobsPage(console: Hono<ConsoleEnv>): void {
  console.get('/jobs', requireRole(READERS), async (c) => {
    const { jobs, runs } = await jobOverview(consoleAppContext(c));
    return c.html(<JobsPage c={c} jobs={jobs} runs={runs} />);
  });

  console.get('/jobs/:job/run', requireRole(WRITERS), async (c) => {
    const job = jobOf(c);
    if (typeof job !== 'string') return job;
    const ctx = consoleAppContext(c);
    const [report] = await runJobs(ctx, jobDeps(c), { job, force: true, dryRun: true, startedBy: ctx.actor });
    if (report === undefined) throw new Error(`runJobs reported nothing for ${job}`);
    return c.html(<PlanPage c={c} job={job} report={report} />);
  });

  console.post('/jobs/:job/run', requireRole(WRITERS), async (c) => {
    const job = jobOf(c);
    if (typeof job !== 'string') return job;
    const ctx = consoleAppContext(c);
    try {
      const [report] = await runJobs(ctx, jobDeps(c), { job, force: true, startedBy: ctx.actor });
      if (report === undefined) throw new Error(`runJobs reported nothing for ${job}`);
      return await c.html(<DonePage c={c} job={job} report={report} />);
    } catch (e) {
      // Another process running the job right now is an answer, not a crash.
      if (!(e instanceof RosterError) || e.code !== 'conflict') throw e;
      return c.html(<Refusal c={c} title={s.failedTitle(job)} text={errorMessage(e)} />, 409);
    }
  });
}
