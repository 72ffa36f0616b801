/**
 * The circuit breaker (DESIGN.md §3): a run that would retire, purge or
 * remove more than max(count, percent % of all accounts) stops before its
 * first change unless an admin explicitly allows a mass change. An empty or
 * truncated roster file must never retire a school.
 */

/** The shape roster.yaml gives (consumer-owned, DESIGN.md §9.2); defaults 50 and 5. */
export interface BreakerPolicy {
  readonly count: number;
  readonly percent: number;
}

export type BreakerAction = 'retire' | 'purge' | 'remove';

export type BreakerVerdict = { readonly ok: true } | { readonly ok: false; readonly limit: number; readonly message: string };

/**
 * How many accounts one run may touch. The percentage is rounded up; the
 * small epsilon keeps binary floating point from turning 0.1 % of 3000
 * (3.0000000000000004) into 4.
 */
export function breakerLimit(totalAccounts: number, breaker: BreakerPolicy): number {
  const share = Math.ceil((breaker.percent * Math.max(0, totalAccounts)) / 100 - 1e-9);
  return Math.max(breaker.count, Math.max(0, share));
}

export interface BreakerCheck {
  readonly action: BreakerAction;
  readonly affected: number;
  readonly total: number;
  readonly breaker: BreakerPolicy;
  readonly allowMassChange: boolean;
}

export function checkBreaker({ action, affected, total, breaker, allowMassChange }: BreakerCheck): BreakerVerdict {
  const limit = breakerLimit(total, breaker);
  if (affected <= limit || allowMassChange) return { ok: true };
  const message =
    `would ${action} ${affected} of ${total} account${total === 1 ? '' : 's'}, over the limit of ${limit} ` +
    `(max(${breaker.count}, ${breaker.percent} % of ${total})); re-run with --allow-mass-change after checking the input`;
  return { ok: false, limit, message };
}
