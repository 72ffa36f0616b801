import type { Command } from 'commander';
import { resolveRoot } from '../reconcile/resolve-root.js';
import { describeDatabase } from '../store/database-url.js';
import { databaseFor, openSession } from './cli-context.js';
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

export function registerServeCommands(program: Command): void {
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
      const log = serviceLogger({ name: 'roster-serve', format: logFormat(process.stderr, process.env) });
      const session = await openSession(opts, process.env);
      const { loaded } = session;
      const ctx = { ...session.ctx, log };
      const root = await resolveRoot(o.root);
      const { actor: _cli, ...shared } = ctx;
      const deps = { ...shared, applyRoot: root };
      // The server and the scheduler load only here: other commands never pay for them.
      const [{ createServer }, { startServer }, { isJobName, JOB_NAMES, runJobs, scheduleOf }, { JobScheduler }, { targetRegistry }] = await Promise.all([
        import('../server/create-server.js'),
        import('../server/start-server.js'),
        import('../jobs/run-jobs.js'),
        import('../jobs/scheduler.js'),
        import('../targets/registry.js'),
      ]);
      try {
        const { app, metrics } = createServer(deps);
        metrics.collectProcessMetrics();
        const running = await startServer(app, o.listen ?? ctx.config.server.listen);
        // The jobs run on their schedules in the configured zone; the store's
        // record of runs decides what is due, so a slot already run by
        // `roster jobs run` from cron is not repeated here.
        const jobDeps = o.jobs ? { ...(await deliveryDeps(loaded)), targets: targetRegistry, root } : undefined;
        const scheduler = jobDeps === undefined ? undefined : new JobScheduler({
          jobs: JOB_NAMES.map((name) => ({ name, schedule: scheduleOf(ctx, name) })),
          timeZone: ctx.config.timeZone,
          clock: ctx.clock,
          runDue: async (job) => {
            if (!isJobName(job)) return;
            const reports = await runJobs({ ...ctx, actor: 'job:serve' }, jobDeps, { job, startedBy: 'serve' });
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
        const signal = await untilSignal();
        log.info(`${signal}, stopping`);
        await scheduler?.stop();
        jobDeps?.mailer?.close();
        await running.close();
      } finally {
        await ctx.store.close();
      }
    });
}
