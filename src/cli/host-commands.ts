import type { Command } from 'commander';
import { applyHost } from '../app/apply-host.js';
import { planHost } from '../reconcile/host-plan.js';
import { formatPlan, planView } from '../reconcile/plan-view.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import { targetRegistry } from '../targets/registry.js';
import { collect, withContext } from './command-runner.js';
import { hostApplyView } from './host-apply-view.js';
import { parseSeconds } from './parse-seconds.js';

interface HostOptions {
  readonly host: string;
  readonly root: string;
  readonly account?: string[];
}

const ACCOUNT_OPTION = 'only what concerns this account (repeatable); the whole host is planned when that cannot be exact (an account to remove, a group to leave)';

/** `roster plan` and `roster apply`: bring one host (under a root prefix) to its desired state. */
export function registerHostCommands(program: Command): void {
  program
    .command('plan')
    .description("show what `roster apply` would change on a host (changes nothing)")
    .requiredOption('--host <host>', 'host name from roster.yaml hosts')
    .option('--root <dir>', 'root prefix the host lives under, like useradd -R', '/')
    .option('--account <username>', ACCOUNT_OPTION, collect)
    .action(async (o: HostOptions, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const root = await resolveRoot(o.root);
        const prepared = await planHost(ctx, targetRegistry, { host: o.host, root, ...(o.account === undefined ? {} : { accounts: o.account }) });
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
    .option('--account <username>', ACCOUNT_OPTION, collect)
    .option('--allow-mass-change', 'proceed even if more accounts would be removed than the circuit breaker allows')
    .option('--lock-timeout <seconds>', 'how long to wait for another apply on the same root', '60')
    .option('--dry-run', 'show the plan and change nothing (same as roster plan)')
    .action(async (o: HostOptions & { allowMassChange?: boolean; lockTimeout?: string }, cmd: Command) => {
      const lockTimeoutMs = o.lockTimeout === undefined ? undefined : parseSeconds(o.lockTimeout, '--lock-timeout');
      await withContext(cmd, async (ctx, out, opts) => {
        const accounts = o.account === undefined ? {} : { accounts: o.account };
        if (opts.dryRun === true) {
          const root = await resolveRoot(o.root);
          const view = planView((await planHost(ctx, targetRegistry, { host: o.host, root, ...accounts })).plan);
          out.print(view, () => formatPlan(view));
          out.pending(view.pending > 0);
          return;
        }
        const applied = hostApplyView(await applyHost(ctx, targetRegistry, { host: o.host, root: o.root, ...accounts, allowMassChange: o.allowMassChange === true, ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }) }));
        if (applied.exitCode !== null) process.exitCode = applied.exitCode;
        out.print(applied.json, () => applied.text);
      });
    });
}
