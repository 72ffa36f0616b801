import type { ServerDeps } from '../server/server-deps.js';

/**
 * Failed attempts limited per key (issue 14: sign-in per username and per
 * client address, sign-up identification per address and per person), in
 * the store so that several servers share the count. Keys name the flow and
 * what they count: `login:username:alice`, `login:address:192.0.2.1`,
 * `signup:person:P1`.
 */
export interface ThrottleState {
  /** True when the key has used up its attempts in the window. */
  readonly blocked: boolean;
  /** When blocked: whole minutes until one more attempt is allowed (at least 1). */
  readonly waitMinutes: number;
}

/** The state of the most limited of `keys` now. */
export async function throttleState(deps: ServerDeps, keys: readonly string[]): Promise<ThrottleState> {
  const { attempts, windowMinutes } = deps.config.portal.throttle;
  const now = deps.clock.now();
  const windowMs = windowMinutes * 60_000;
  const since = new Date(now.getTime() - windowMs).toISOString();
  let waitMs = 0;
  for (const key of keys) {
    const { count, oldest } = await deps.store.read.countPortalAttempts(key, since);
    if (count >= attempts && oldest !== null) waitMs = Math.max(waitMs, new Date(oldest).getTime() + windowMs - now.getTime());
  }
  return waitMs > 0 ? { blocked: true, waitMinutes: Math.max(1, Math.ceil(waitMs / 60_000)) } : { blocked: false, waitMinutes: 0 };
}

/** Counts one failed attempt against each key (and forgets attempts no window counts any more). */
export async function recordFailure(deps: ServerDeps, keys: readonly string[]): Promise<void> {
  const now = deps.clock.now();
  const windowMs = deps.config.portal.throttle.windowMinutes * 60_000;
  await deps.store.transaction(async (tx) => {
    for (const key of keys) await tx.recordPortalAttempt(key, now.toISOString());
    await tx.prunePortalAttempts(new Date(now.getTime() - windowMs).toISOString());
  });
}

/** Forgets a key's failures (a successful sign-in clears its username's count, not its address's). */
export async function clearFailures(deps: ServerDeps, key: string): Promise<void> {
  await deps.store.transaction((tx) => tx.clearPortalAttempts(key));
}
