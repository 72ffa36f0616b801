import type { AccountState } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { AppContext } from './app-context.js';
import { accountView, type AccountView } from './account-view.js';
import { printable } from './person-input.js';

export interface AccountListFilter {
  readonly type?: string | undefined;
  readonly personId?: string | undefined;
  /** State is a function of the clock (DESIGN.md §3), so it is filtered after reading. */
  readonly state?: AccountState | undefined;
  /** Keyset cursor: accounts after this id. */
  readonly after?: number | undefined;
  readonly limit: number;
}

export interface AccountPage {
  readonly items: readonly AccountView[];
  /** Where the next page starts, or null when there is no more. */
  readonly next: number | null;
}

/** How many rows one page may read while looking for matches of a state filter: a page costs O(limit), never O(all accounts). */
const SCAN_FACTOR = 10;

/**
 * One page of accounts in id order (keyset pagination: stable while
 * accounts are added). With a state filter a page may come back short with
 * a `next` cursor: it stopped after reading SCAN_FACTOR × limit rows.
 */
export async function listAccountPage(ctx: AppContext, filter: AccountListFilter): Promise<AccountPage> {
  if (filter.type !== undefined && ctx.config.types[filter.type] === undefined) throw new RosterError('not_found', `no account type "${printable(filter.type)}"`);
  const now = ctx.clock.now();
  const items: AccountView[] = [];
  let after = filter.after ?? 0;
  let budget = filter.limit * SCAN_FACTOR;
  for (;;) {
    const want = filter.state === undefined ? filter.limit - items.length : Math.min(budget, Math.max(filter.limit, 100));
    // One row more than wanted tells whether another page exists.
    const page = await ctx.store.read.listAccounts({
      afterId: after,
      limit: want + 1,
      // As `roster account list`: tombstones only when asked for by state.
      includePurged: filter.state === 'purged',
      ...(filter.type === undefined ? {} : { type: filter.type }),
      ...(filter.personId === undefined ? {} : { personId: filter.personId }),
    });
    const rows = page.slice(0, want);
    for (const [i, a] of rows.entries()) {
      after = a.id;
      budget--;
      const v = accountView(a, now);
      if (filter.state === undefined || v.state === filter.state) items.push(v);
      const more = i < rows.length - 1 || page.length > want;
      if (items.length >= filter.limit) return { items, next: more ? after : null };
    }
    if (page.length <= want) return { items, next: null };
    if (budget <= 0) return { items, next: after };
  }
}
