import type { Command } from 'commander';
import { errorCatalogue, RosterError } from '../domain/errors.js';
import { planHost } from '../reconcile/host-plan.js';
import { formatPlan, formatReport, planView, summarise } from '../reconcile/plan-view.js';
import { reconcileHost } from '../reconcile/reconcile-host.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import { targetRegistry } from '../targets/registry.js';
import type { AppContext } from '../app/app-context.js';
import { collect, withContext, type Output } from './command-runner.js';
import { parseSeconds } from './parse-seconds.js';

interface HostOptions {
  readonly host: string;
  readonly root: string;
  readonly account?: string[];
}

/** What `roster apply` (and `--apply HOST` of the account commands) runs and prints. */
export interface HostApply {
  readonly host: string;
  readonly root: string;
  readonly accounts?: readonly string[];
  readonly allowMassChange?: boolean;
  readonly lockTimeoutMs?: number;
}

export interface HostApplied {
  /** The --json form. */
  readonly json: unknown;
  readonly text: string;
}

/**
 * Applies one host (only some accounts of it, with `accounts`) under its
 * root and sets the exit code: 1 when a change failed or was skipped, 75 on
 * a lock timeout.
 */
export async function applyHost(ctx: AppContext, out: Output, o: HostApply): Promise<HostApplied> {
  const root = await resolveRoot(o.root);
  if (root === '/') out.note(`applying host ${o.host} to the live system (root /)`);
  const { report } = await reconcileHost(
    ctx,
    targetRegistry,
    { host: o.host, root, ...(o.accounts === undefined ? {} : { accounts: o.accounts }) },
    { allowMassChange: o.allowMassChange === true, ...(o.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: o.lockTimeoutMs }) },
  );
  const summary = summarise(report);
  if (report.lockTimeout) process.exitCode = errorCatalogue.lock_timeout.exit;
  else if (summary.failed > 0 || summary.skipped > 0) process.exitCode = 1;
  const { outcomes, lockTimeout: _lockTimeout, ...head } = report;
  return { json: { ...head, ...summary, outcomes }, text: formatReport(report) };
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
        const applied = await applyHost(ctx, out, { host: o.host, root: o.root, ...accounts, allowMassChange: o.allowMassChange === true, ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }) });
        out.print(applied.json, () => applied.text);
      });
    });
}
