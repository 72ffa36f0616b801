import type { Account } from '../domain/account.js';
import { restorePurged } from '../domain/restore-purged.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { accountSummary } from './account-view.js';
import { requireAccount } from './accounts.js';
import { audit, mutate } from './mutate.js';
import { saveAccount } from './save-account.js';

export interface RestoreResult {
  readonly account: Account;
  readonly changed: boolean;
}

/**
 * Restores a purged account in the store: active again, same username and
 * UID, no holds; the type's role address (removed by the purge) is set
 * again if the person has none for that role. The next `roster apply` on
 * each host brings its entries back and its home from the archive. `archive`
 * (where the caller found and checked one) goes into the audit record.
 */
export async function restoreAccount(ctx: AppContext, username: string, options: MutationOptions & { readonly archive?: Readonly<Record<string, unknown>> } = {}): Promise<RestoreResult> {
  return mutate(ctx, options, async (tx) => {
    const before = await requireAccount(tx, username);
    const now = ctx.clock.now();
    const after = restorePurged(before, now);
    await saveAccount(tx, before, after);
    const type = ctx.config.types[before.type];
    const person = await tx.getPerson(before.personId);
    if (person !== undefined && type?.emailRole !== undefined && type.emailDomain !== undefined && person.emails[type.emailRole] === undefined) {
      await tx.putPerson({ ...person, emails: { ...person.emails, [type.emailRole]: `${before.username}@${type.emailDomain}` }, updatedAt: now.toISOString() });
    }
    await audit(tx, ctx, { action: 'account.restore', target: `account:${username}`, before: accountSummary(before), after: { ...accountSummary(after), ...(options.archive === undefined ? {} : { archive: options.archive }) } });
    return { account: after, changed: true };
  });
}
