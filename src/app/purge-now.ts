import type { AppContext, MutationOptions } from './app-context.js';
import { requireLiveAccount } from './accounts.js';
import type { LifecycleResult } from './lifecycle-actions.js';
import { mutate } from './mutate.js';
import { printable } from './person-input.js';
import { purgeAccount } from './purge.js';
import { RosterError } from '../domain/errors.js';

/**
 * An administrator purges one account now, without waiting for its purge
 * date (seed 002: retiring with deletion grace 0 does the same): the same
 * purge as the purge job's, audited with the reason given. One account is
 * not a mass change, so the circuit breaker is the apply's (which judges
 * the removal against the whole host), not this step's.
 */
export async function purgeAccountNow(ctx: AppContext, username: string, input: { readonly reason: string }, options: MutationOptions = {}): Promise<LifecycleResult> {
  const reason = input.reason.trim();
  if (reason === '') throw new RosterError('bad_input', 'a purge needs a reason, for the audit log', [{ where: 'reason', message: 'is empty' }]);
  if (/[\u0000-\u001f\u007f]/.test(reason) || reason.length > 500) {
    throw new RosterError('bad_input', `the reason "${printable(reason)}" must be one line of at most 500 characters`, [{ where: 'reason', message: 'one line, at most 500 characters' }]);
  }
  return mutate(ctx, options, async (tx) => {
    const account = await requireLiveAccount(tx, username);
    const purged = await purgeAccount(tx, ctx, account, `purged now by an administrator: ${reason}`);
    return { account: purged, changed: true, purged: true };
  });
}
