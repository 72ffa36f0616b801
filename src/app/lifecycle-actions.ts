import type { Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import { freeze, reactivate, retire, unfreeze } from '../domain/lifecycle.js';
import type { Queries } from '../store/store.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { accountSummary } from './account-view.js';
import { requireLiveAccount, requireType } from './accounts.js';
import { audit, mutate } from './mutate.js';
import { queueNotices, retirementNotice } from './notices.js';
import { purgeAccount } from './purge.js';
import { saveAccount } from './save-account.js';

export interface LifecycleResult {
  readonly account: Account;
  readonly changed: boolean;
  readonly purged?: boolean;
}

async function transition(
  ctx: AppContext,
  username: string,
  action: string,
  options: MutationOptions,
  step: (tx: Queries, account: Account, now: Date) => Promise<LifecycleResult>,
): Promise<LifecycleResult> {
  return mutate(ctx, options, async (tx) => {
    const before = await requireLiveAccount(tx, username);
    const result = await step(tx, before, ctx.clock.now());
    if (result.changed && result.purged !== true) {
      await saveAccount(tx, before, result.account);
      await audit(tx, ctx, { action, target: `account:${username}`, before: accountSummary(before), after: accountSummary(result.account) });
    }
    return result;
  });
}

export function freezeAccount(ctx: AppContext, username: string, input: { reason: string; note?: string | undefined }, options: MutationOptions = {}): Promise<LifecycleResult> {
  return transition(ctx, username, 'account.freeze', options, async (_tx, account, now) =>
    freeze(account, { reason: input.reason, note: input.note ?? null, by: ctx.actor, now }),
  );
}

export function unfreezeAccount(ctx: AppContext, username: string, input: { reason: string }, options: MutationOptions = {}): Promise<LifecycleResult> {
  return transition(ctx, username, 'account.unfreeze', options, async (_tx, account, now) =>
    unfreeze(account, { reason: input.reason, by: ctx.actor, now }),
  );
}

export interface RetireInput {
  readonly deactivateAfter?: number | undefined;
  readonly deleteAfter?: number | undefined;
}

export function retireAccount(ctx: AppContext, username: string, input: RetireInput, options: MutationOptions & { readonly allowMassChange?: boolean } = {}): Promise<LifecycleResult> {
  return transition(ctx, username, 'account.retire', options, async (tx, account, now) => {
    const grace = requireType(ctx.config, account.type).grace;
    const outcome = retire(account, {
      deactivation: input.deactivateAfter ?? grace.deactivation,
      deletion: input.deleteAfter ?? grace.deletion,
      now,
      timeZone: ctx.config.timeZone,
      by: ctx.actor,
    });
    if ('purgeNow' in outcome) {
      // P = 0: purge at once (seed 002: "the user object is removed immediately").
      const purged = await purgeAccount(tx, ctx, account, 'retire with deletion grace 0');
      return { account: purged, changed: true, purged: true };
    }
    if (outcome.changed) await queueNotices(tx, ctx, [retirementNotice(ctx, await tx.getPerson(account.personId), outcome.account, 'retired by an administrator')]);
    return outcome;
  });
}

export function reactivateAccount(ctx: AppContext, username: string, options: MutationOptions = {}): Promise<LifecycleResult> {
  return transition(ctx, username, 'account.reactivate', options, async (_tx, account, now) => {
    if (account.purgedAt !== null) throw new RosterError('conflict', `${username} was purged; use roster account restore`);
    return reactivate(account, { by: ctx.actor, now });
  });
}
