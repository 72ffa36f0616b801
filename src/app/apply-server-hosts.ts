import { errorMessage, RosterError } from '../domain/errors.js';
import type { AnyTarget } from '../targets/registry.js';
import type { AppContext } from './app-context.js';
import { pendingChanges, planHost } from '../reconcile/host-plan.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import { applyHost } from './apply-host.js';

/** Why a host could not be planned or applied: the issues say which target and why (a server that does not answer, a refused login). */
function whyNot(e: unknown): string {
  const why = e instanceof RosterError ? e.issues.map((i) => `${i.where}: ${i.message}`) : [];
  return [errorMessage(e), ...why].join('; ');
}

/** What the apply job did on one host. */
export interface ServerHostApply {
  readonly host: string;
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  /** The host could not be applied at all (a target unavailable, the circuit breaker): why. */
  readonly error?: string;
  /** One line per change that failed, for the admin digest. */
  readonly failures: readonly string[];
}

/** The hosts roster.yaml says the server applies itself (`hosts.<h>.appliedBy: server`), by name. */
export function serverAppliedHosts(ctx: Pick<AppContext, 'config'>): readonly string[] {
  return Object.entries(ctx.config.hosts)
    .filter(([, h]) => h.appliedBy === 'server')
    .map(([name]) => name)
    .sort();
}

/**
 * The apply job (issue 13 item 3): brings every host with `appliedBy:
 * server` to its desired state from this process, on the live system (root
 * `/`), for targets that reach their service over the network (an LDAP
 * server, a KDC's kadmind) where no agent runs. Each host is planned, guarded
 * by the circuit breaker and audited exactly as `roster apply` does it; one
 * host failing does not keep the others from being applied. `root` is `/`
 * but where a test (or `roster serve --root`) keeps the hosts under a
 * prefix.
 */
export async function applyServerHosts(ctx: AppContext, targets: readonly AnyTarget[], root = '/'): Promise<readonly ServerHostApply[]> {
  const results: ServerHostApply[] = [];
  for (const host of serverAppliedHosts(ctx)) {
    try {
      const { report, summary } = await applyHost(ctx, targets, { host, root });
      const failures = report.outcomes.filter((o) => o.status === 'failed').map((o) => `${host}: ${o.target} ${o.summary}: ${o.error ?? 'failed'}`);
      results.push({ host, applied: summary.applied, failed: summary.failed, skipped: summary.skipped, failures });
    } catch (e) {
      const error = whyNot(e);
      results.push({ host, applied: 0, failed: 0, skipped: 0, error, failures: [`${host}: not applied: ${error}`] });
    }
  }
  return results;
}

/** What the apply job would do on one host: the changes pending per target, or why it could not be planned. */
export interface ServerHostPlan {
  readonly host: string;
  /** Changes apply would make (recurring ones left out), by target, in apply order. */
  readonly targets: ReadonlyArray<{ readonly target: string; readonly changes: readonly string[] }>;
  readonly changes: number;
  readonly error?: string;
}

/**
 * The apply job's dry run: each host with `appliedBy: server` planned as
 * `roster plan --host H` plans it, nothing applied, so an admin sees what
 * running the job would change before running it. One host that cannot be
 * planned does not hide the others.
 */
export async function planServerHosts(ctx: AppContext, targets: readonly AnyTarget[], root = '/'): Promise<readonly ServerHostPlan[]> {
  const plans: ServerHostPlan[] = [];
  for (const host of serverAppliedHosts(ctx)) {
    try {
      const { plan } = await planHost(ctx, targets, { host, root: await resolveRoot(root) });
      const pending = new Set(pendingChanges(plan));
      const byTarget = plan.targets.map((t) => ({ target: t.target, changes: t.changes.filter((c) => pending.has(c)).map((c) => c.summary) })).filter((t) => t.changes.length > 0);
      plans.push({ host, targets: byTarget, changes: pending.size });
    } catch (e) {
      plans.push({ host, targets: [], changes: 0, error: whyNot(e) });
    }
  }
  return plans;
}
