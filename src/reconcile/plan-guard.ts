import { checkBreaker, type BreakerPolicy, type BreakerVerdict } from '../domain/circuit-breaker.js';
import type { DesiredHost } from '../desired/desired-host.js';
import { changeAccount } from './change-account.js';
import type { HostPlan } from './host-plan.js';

export interface GuardResult {
  readonly verdict: BreakerVerdict;
  /** Accounts with at least one destructive change. */
  readonly affected: readonly string[];
  /** Accounts the host knows in this run: those living there plus the affected ones that are not. */
  readonly total: number;
}

/**
 * The circuit breaker over a host's plan (DESIGN.md §3): counts the
 * accounts — not the changes: one purge removes a home, a passwd line and a
 * user-private group — touched by a destructive change, against the
 * accounts living on the host. A change is an account's by its `account`,
 * a `user:<name>` subject, or a subject naming an account the host knows
 * (`group:alice` of a purged alice). Destructive changes of no account (an
 * emptied shared group, a file) follow from account changes and are not
 * counted. Checked before the first change is applied.
 */
export function guardPlan(plan: HostPlan, desired: DesiredHost, breaker: BreakerPolicy, allowMassChange: boolean): GuardResult {
  const known = new Set([...desired.accounts.map((a) => a.username), ...desired.removed.map((r) => r.username)]);
  const affected = new Set<string>();
  for (const t of plan.targets) {
    for (const c of t.changes) {
      if (!c.destructive) continue;
      const named = c.subject.slice(c.subject.indexOf(':') + 1);
      const account = changeAccount(c) ?? (known.has(named) ? named : undefined);
      if (account !== undefined) affected.add(account);
    }
  }
  const living = new Set(desired.accounts.map((a) => a.username));
  const total = living.size + [...affected].filter((a) => !living.has(a)).length;
  const verdict = checkBreaker({ action: 'remove', affected: affected.size, total, breaker, allowMassChange });
  return { verdict, affected: [...affected].sort(), total };
}
