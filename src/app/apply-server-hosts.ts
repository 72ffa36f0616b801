import { errorMessage, RosterError } from '../domain/errors.js';
import type { AnyTarget } from '../targets/registry.js';
import type { AppContext } from './app-context.js';
import { applyHost } from './apply-host.js';

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
 * host failing does not keep the others from being applied.
 */
export async function applyServerHosts(ctx: AppContext, targets: readonly AnyTarget[]): Promise<readonly ServerHostApply[]> {
  const results: ServerHostApply[] = [];
  for (const host of serverAppliedHosts(ctx)) {
    try {
      const { report, summary } = await applyHost(ctx, targets, { host, root: '/' });
      const failures = report.outcomes.filter((o) => o.status === 'failed').map((o) => `${host}: ${o.target} ${o.summary}: ${o.error ?? 'failed'}`);
      results.push({ host, applied: summary.applied, failed: summary.failed, skipped: summary.skipped, failures });
    } catch (e) {
      // The issues say which target and why (a server that does not answer, a refused login).
      const why = e instanceof RosterError ? e.issues.map((i) => `${i.where}: ${i.message}`) : [];
      const error = [errorMessage(e), ...why].join('; ');
      results.push({ host, applied: 0, failed: 0, skipped: 0, error, failures: [`${host}: not applied: ${error}`] });
    }
  }
  return results;
}
