import type { Command } from 'commander';
import { errorMessage, RosterError } from '../domain/errors.js';
import { isJobName, JOB_NAMES } from '../jobs/job-names.js';
import type { JobWorkerMessage } from '../jobs/job-worker.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import { describeDatabase } from '../store/database-url.js';
import { databaseFor, openSession, type GlobalOptions } from './cli-context.js';
import { globalsOf } from './command-runner.js';
import { logFormat } from './log-format.js';
import { deliveryDeps } from './notify-delivery.js';

/** Waits for SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** The global options a job's worker must share with `roster serve` beyond roster.yaml: the database and the clock. */
function workerGlobals(opts: GlobalOptions): string[] {
  return [...(opts.db === undefined ? [] : ['--db', opts.db]), ...(opts.now === undefined ? [] : ['--now', opts.now])];
}

/** Sends the worker's one answer to `roster serve` and waits until it is handed over. */
function answer(message: JobWorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * `roster serve-job JOB` (hidden): one scheduled job run for `roster serve`
 * (src/jobs/job-worker.ts), in a process of its own with its own store
 * connection, as `roster jobs run JOB` would run it, recorded as started by
 * serve. The reports go back over the IPC channel serve opened; when serve
 * goes away (the channel closes), the worker stops too.
 */
async function runJobWorker(job: string, o: { root: string }, cmd: Command): Promise<void> {
  if (process.send === undefined || !process.connected) throw new RosterError('usage', 'serve-job is started by roster serve (it answers over an IPC channel)');
  let answered = false;
  process.once('disconnect', () => {
    if (!answered) process.exit(1);
  });
  try {
    if (!isJobName(job)) throw new RosterError('usage', `no job "${job}" (jobs: ${JOB_NAMES.join(', ')})`, [{ where: 'JOB', message: `one of ${JOB_NAMES.join(', ')}` }]);
    const { serviceLogger } = await import('./service-logger.js');
    const log = serviceLogger({ name: 'roster-serve', format: logFormat(process.stderr, process.env) });
    const session = await openSession(globalsOf(cmd), process.env);
    const ctx = { ...session.ctx, log };
    try {
      const [{ runJobs }, { targetRegistry }] = await Promise.all([import('../jobs/run-jobs.js'), import('../targets/registry.js')]);
      const deps = { ...(await deliveryDeps(session.loaded)), targets: targetRegistry, root: await resolveRoot(o.root) };
      try {
        const reports = await runJobs({ ...ctx, actor: 'job:serve' }, deps, { job, startedBy: 'serve' });
        answered = true;
        await answer({ kind: 'reports', reports });
      } finally {
        deps.mailer?.close();
      }
    } finally {
      await ctx.store.close();
    }
  } catch (e) {
    if (!answered) {
      answered = true;
      await answer({ kind: 'failed', message: errorMessage(e) });
    }
  } finally {
    // Closing the channel lets the worker exit once its store and mailer are closed.
    disconnect();
  }
}

/** Closes the IPC channel to `roster serve`, unless it is closed already (serve went away). */
function disconnect(): void {
  if (process.connected) process.disconnect();
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve-job <job>', { hidden: true })
    .description('run one scheduled job for roster serve, in a process of its own (started by serve)')
    .option('--root <dir>', 'root prefix for the apply job', '/')
    .action(runJobWorker);

  program
    .command('serve')
    .description('run the HTTP server: REST API under /api/v1 (OpenAPI at /api/v1/openapi.json) and SCIM 2.0 under /scim/v2')
    .option('--listen <host:port>', 'address to listen on (default: server.listen in roster.yaml, 127.0.0.1:8080); port 0 picks a free one')
    .option('--no-jobs', 'do not run the scheduled jobs (purge, billing, apply, notify) in this process')
    .option('--root <dir>', 'root prefix the hosts with appliedBy: server live under, for the apply job and the console, like useradd -R', '/')
    .action(async (o: { listen?: string; jobs: boolean; root: string }, cmd: Command) => {
      const opts = globalsOf(cmd);
      // JSON lines for the journal or a collector, readable lines on a terminal; stdout stays for where to look.
      // pino loads only for the long-running commands.
      const { serviceLogger } = await import('./service-logger.js');
      const log = serviceLogger({ name: 'roster-serve', format: logFormat(process.stderr, process.env), background: true });
      const session = await openSession(opts, process.env);
      const { loaded } = session;
      const ctx = { ...session.ctx, log };
      const root = await resolveRoot(o.root);
      const { actor: _cli, ...shared } = ctx;
      const deps = { ...shared, applyRoot: root };
      // The server and the scheduler load only here: other commands never pay for them.
      const [{ createServer }, { startServer }, { scheduleOf }, { JobScheduler }, { JobWorkers }] = await Promise.all([
        import('../server/create-server.js'),
        import('../server/start-server.js'),
        import('../jobs/run-jobs.js'),
        import('../jobs/scheduler.js'),
        import('../jobs/job-worker.js'),
      ]);
      try {
        const { app, metrics } = createServer(deps);
        metrics.collectProcessMetrics();
        const running = await startServer(app, o.listen ?? ctx.config.server.listen);
        // The jobs run on their schedules in the configured zone; the store's
        // record of runs decides what is due, so a slot already run by
        // `roster jobs run` from cron is not repeated here. Each runs in a
        // worker process of its own, off this process's event loop.
        // The workers run the script this server was started from (roster.mjs of dist/ or /usr/lib/roster).
        const entry = process.argv[1];
        if (o.jobs && entry === undefined) throw new RosterError('internal', 'cannot tell which script to start the job workers from (process.argv[1] is not set)');
        // The mail transport and templates are checked now, as the jobs' workers will load them.
        if (o.jobs) (await deliveryDeps(loaded)).mailer?.close();
        const workers = o.jobs && entry !== undefined ? new JobWorkers({ ctx, entry, globalArgs: [...workerGlobals(opts), '--config', loaded.path], root, log }) : undefined;
        const scheduler = workers === undefined ? undefined : new JobScheduler({
          jobs: JOB_NAMES.map((name) => ({ name, schedule: scheduleOf(ctx, name) })),
          timeZone: ctx.config.timeZone,
          clock: ctx.clock,
          runDue: async (job) => {
            if (!isJobName(job)) return;
            const reports = await workers.run(job);
            for (const r of reports) {
              if (r.run !== null) {
                metrics.jobFinished(r.job, r.run.result);
                log.info(`job ${r.job} ${r.run.result}`, { job: r.job, result: r.run.result });
              } else if (r.elsewhere !== null) log.info(`job ${r.job}: not run here (${r.elsewhere})`, { job: r.job });
            }
          },
          log,
        });
        scheduler?.start();
        // stdout: where to look (the first line is for scripts that wait for it); logs go to stderr.
        process.stdout.write(
          [
            `listening on ${running.url}`,
            `  API      ${running.url}/api/v1`,
            `  OpenAPI  ${running.url}/api/v1/openapi.json`,
            `  SCIM     ${running.url}/scim/v2`,
            `  console  ${running.url}/console (admins named in roster.yaml's console section)`,
            `  metrics  ${running.url}/metrics (health: /healthz, /readyz)`,
            `  config   ${loaded.path}`,
            `  database ${describeDatabase(databaseFor(opts, process.env, loaded))}`,
            '  tokens   roster token create --role admin|operator|auditor|scim|agent [--host H]',
            '',
          ].join('\n'),
        );
        // The agents' first requests find the desired states built (the incremental projection's first step is the whole store).
        const started = Date.now();
        void import('../app/host-reports.js')
          .then(({ warmDesiredStates }) => warmDesiredStates(ctx))
          .then((classes) => log.info(`desired states of ${classes} host class(es) built in ${Date.now() - started} ms`, { classes }))
          .catch((e: unknown) => log.warn(`desired states not built ahead: ${errorMessage(e)} (built at the first request instead)`));
        const signal = await untilSignal();
        log.info(`${signal}, stopping`);
        // A job in progress is stopped (its run is marked interrupted; the next slot finishes the work).
        workers?.stop();
        await scheduler?.stop();
        await running.close();
      } finally {
        await ctx.store.close();
      }
    });
}
