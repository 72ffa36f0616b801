import type { Account } from '../domain/account.js';
import { checkBreaker } from '../domain/circuit-breaker.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { markPurged } from '../domain/lifecycle.js';
import type { AccountWrites, AuditWrites, OutboxWrites, PeopleQueries, ResourceReads } from '../store/store.js';
import type { AppContext } from './app-context.js';
import { accountSummary } from './account-view.js';
import { audit, mutate } from './mutate.js';
import { purgedNotice, queueNotices } from './notices.js';
import { saveAccount } from './save-account.js';

/**
 * Purges one account inside the caller's transaction (RATS removal, seed 002
 * D): the account becomes a tombstone whose username and UID stay reserved,
 * and its address is removed from the person's roles where it is the
 * account's own. Host targets archive and remove files when they see the
 * tombstone. The resources it owned stay in the store with the tombstone
 * (named in the audit record) but leave the desired state, so the targets
 * that manage them archive and remove them on their hosts, as each decides;
 * a restore of the account makes them desired again, and the targets bring
 * them back from their archives. `roster reservations prune` deletes them
 * with the tombstone.
 */
export async function purgeAccount(tx: PeopleQueries & AccountWrites & OutboxWrites & AuditWrites & ResourceReads, ctx: AppContext, account: Account, why: string): Promise<Account> {
  const now = ctx.clock.now();
  const after = markPurged(account, now);
  await saveAccount(tx, account, after);
  const person = await tx.getPerson(account.personId);
  await queueNotices(tx, ctx, [purgedNotice(ctx, person, account, after.purgedAt ?? now.toISOString())]);
  if (person !== undefined) {
    const type = ctx.config.types[account.type];
    const own = type?.emailDomain === undefined ? null : `${account.username}@${type.emailDomain}`.toLowerCase();
    const emails = Object.fromEntries(Object.entries(person.emails).filter(([, address]) => address.toLowerCase() !== own));
    if (Object.keys(emails).length !== Object.keys(person.emails).length) {
      await tx.putPerson({ ...person, emails, updatedAt: now.toISOString() });
    }
  }
  const owned = await tx.resourcesOfAccounts([account.id]);
  const resources = owned.map((r) => `${r.host}/${r.kind}/${r.name}`);
  await audit(tx, ctx, { action: 'account.purge', target: `account:${account.username}`, before: accountSummary(account), after: { ...accountSummary(after), why, ...(resources.length === 0 ? {} : { resources }) } });
  return after;
}

export interface PurgeCandidate {
  readonly username: string;
  readonly purgeAt: string;
}

export interface PurgeItemResult extends PurgeCandidate {
  readonly ok: boolean;
  readonly error?: string;
}

export interface PurgeReport {
  readonly dryRun: boolean;
  readonly candidates: readonly PurgeCandidate[];
  readonly results: readonly PurgeItemResult[];
}

/**
 * The purge job (seed 002 D): candidates come from the purge index, the
 * circuit breaker is checked before the first change, then each account is
 * purged in its own transaction and reported; one failure never stops the
 * rest (DESIGN.md §9.4).
 */
export async function purge(ctx: AppContext, options: { readonly dryRun?: boolean; readonly allowMassChange?: boolean } = {}): Promise<PurgeReport> {
  const nowIso = ctx.clock.now().toISOString();
  const candidates = (await ctx.store.read.purgeCandidates(nowIso)).map((c) => ({ username: c.username, purgeAt: c.purgeAt }));
  if (options.dryRun === true) return { dryRun: true, candidates, results: [] };
  const total = await ctx.store.read.countAccounts();
  const verdict = checkBreaker({ action: 'purge', affected: candidates.length, total, breaker: ctx.config.breaker, allowMassChange: options.allowMassChange === true });
  if (!verdict.ok) {
    await mutate(ctx, {}, (tx) => audit(tx, ctx, { action: 'purge.refused', target: 'accounts', before: null, after: { candidates: candidates.length, limit: verdict.limit }, result: 'refused' }));
    throw new RosterError('mass_change', verdict.message);
  }
  const results: PurgeItemResult[] = [];
  for (const c of candidates) {
    try {
      await mutate(ctx, {}, async (tx) => {
        const account = await tx.getAccount(c.username);
        // Re-check inside the transaction: a reactivation may have won the race.
        if (account === undefined || account.purgedAt !== null || account.purgeAt === null || account.purgeAt > nowIso) return;
        await purgeAccount(tx, ctx, account, `purgeAt ${account.purgeAt} reached`);
      });
      results.push({ ...c, ok: true });
    } catch (e) {
      results.push({ ...c, ok: false, error: errorMessage(e) });
    }
  }
  return { dryRun: false, candidates, results };
}
