import type { Command } from 'commander';
import { errorCatalogue, RosterError } from '../domain/errors.js';
import { planHost } from '../reconcile/host-plan.js';
import { formatPlan, formatReport, planView, summarise } from '../reconcile/plan-view.js';
import { reconcileHost } from '../reconcile/reconcile-host.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import { targetRegistry } from '../targets/registry.js';
import { withContext } from './command-runner.js';
import { parseSeconds } from './parse-seconds.js';

interface HostOptions {
  readonly host: string;
  readonly root: string;
}


/** `roster plan` and `roster apply`: bring one host (under a root prefix) to its desired state. */
export function registerHostCommands(program: Command): void {
  program
    .command('plan')
    .description("show what `roster apply` would change on a host (changes nothing)")
    .requiredOption('--host <host>', 'host name from roster.yaml hosts')
    .option('--root <dir>', 'root prefix the host lives under, like useradd -R', '/')
    .action(async (o: HostOptions, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const root = await resolveRoot(o.root);
        const prepared = await planHost(ctx, targetRegistry, { host: o.host, root });
        const view = planView(prepared.plan);
        out.print(view, () => formatPlan(view));
        out.pending(view.pending > 0);
      });
    });

  program
    .command('apply')
    .description('apply the plan of a host: observe, plan, check the circuit breaker, apply, audit')
    .requiredOption('--host <host>', 'host name from roster.yaml hosts')
    .option('--root <dir>', 'root prefix the host lives under, like useradd -R', '/')
    .option('--allow-mass-change', 'proceed even if more accounts would be removed than the circuit breaker allows')
    .option('--lock-timeout <seconds>', 'how long to wait for another apply on the same root', '60')
    .option('--dry-run', 'show the plan and change nothing (same as roster plan)')
    .action(async (o: HostOptions & { allowMassChange?: boolean; lockTimeout?: string }, cmd: Command) => {
      const lockTimeoutMs = o.lockTimeout === undefined ? undefined : parseSeconds(o.lockTimeout, '--lock-timeout');
      await withContext(cmd, async (ctx, out, opts) => {
        const root = await resolveRoot(o.root);
        if (opts.dryRun === true) {
          const view = planView((await planHost(ctx, targetRegistry, { host: o.host, root })).plan);
          out.print(view, () => formatPlan(view));
          out.pending(view.pending > 0);
          return;
        }
        if (root === '/') out.note(`applying host ${o.host} to the live system (root /)`);
        const { report } = await reconcileHost(ctx, targetRegistry, { host: o.host, root }, { allowMassChange: o.allowMassChange === true, ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }) });
        const summary = summarise(report);
        out.print({ host: report.host, root: report.root, at: report.at, ...summary, outcomes: report.outcomes }, () => formatReport(report));
        if (report.lockTimeout) process.exitCode = errorCatalogue.lock_timeout.exit;
        else if (summary.failed > 0 || summary.skipped > 0) process.exitCode = 1;
      });
    });
}
