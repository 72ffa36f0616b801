import type { RosterConfig } from '../config/config-schema.js';
import { FREEZE_REASON } from '../domain/lifecycle.js';
import type { AccountState } from '../domain/account.js';
import { RosterError, type ErrorIssue } from '../domain/errors.js';
import { asciiLower } from '../store/queries/account-search-queries.js';
import type { AccountSearchQuery, HoldMatch } from '../store/store.js';
import type { AppContext } from './app-context.js';
import { accountView, type AccountView } from './account-view.js';
import { printable } from './person-input.js';

/** What the console's search asks for; every field given must match (DESIGN.md §3 for states and holds). */
export interface AccountSearchFilter {
  /** Free text: each word begins the username, person id, first or last name, or an e-mail address (ASCII letters in any case). */
  readonly q?: string | undefined;
  /** The account's state now. Without it purged tombstones are left out, as `roster account list` does. */
  readonly state?: AccountState | undefined;
  /** `retired`, `frozen` (any freeze) or a freeze reason (`billing`, `admin` …): a hold in force now. */
  readonly hold?: string | undefined;
  readonly type?: string | undefined;
  /** The person's source: `manual`, `scim` or a roster source. */
  readonly source?: string | undefined;
  /** A host the account lives on (its type lists it under hosts.live). */
  readonly host?: string | undefined;
}

/** One account found, with what the results table shows of its person. */
export interface SearchHit {
  readonly account: AccountView;
  readonly firstName: string;
  readonly lastName: string;
  /** The person's e-mail addresses, each once. */
  readonly emails: readonly string[];
}

export interface SearchPage {
  readonly items: readonly SearchHit[];
  /** The cursor of the next page, or null on the last. */
  readonly next: number | null;
}

/** Rows per page of results. */
export const SEARCH_PAGE_SIZE = 50;
/** Results counted before the count says "more than": counting is then as cheap as a page. */
export const SEARCH_COUNT_CAP = 1_000;

export const SEARCH_STATES: readonly AccountState[] = ['active', 'pending', 'disabled', 'purged'];
/** Hold values besides freeze reasons: any retirement, any freeze. */
export const SEARCH_HOLDS = ['retired', 'frozen'] as const;

const MAX_Q = 200;
const MAX_WORDS = 8;

/** The sources a person can come from: Roster's own and the configured roster sources. */
export function searchSources(config: RosterConfig): string[] {
  return ['manual', 'scim', ...Object.keys(config.sources)];
}

/**
 * Reads a search from query-string fields (the console's form, a bulk
 * action's "all results"). Empty fields are no condition. Every bad field is
 * reported at once, named (`state`, `host` …), so the form can show each
 * beside its field. `after` is the page cursor.
 */
export function parseSearchFields(config: RosterConfig, fields: Readonly<Record<string, string | undefined>>): { readonly filter: AccountSearchFilter; readonly after: number | undefined } {
  const issues: ErrorIssue[] = [];
  const given = (name: string): string | undefined => {
    const v = fields[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const q = given('q');
  if (q !== undefined && q.length > MAX_Q) issues.push({ where: 'q', message: `is longer than ${MAX_Q} characters` });
  else if (q !== undefined && q.split(/\s+/).length > MAX_WORDS) issues.push({ where: 'q', message: `has more than ${MAX_WORDS} words` });
  const state = given('state');
  if (state !== undefined && !(SEARCH_STATES as readonly string[]).includes(state)) {
    issues.push({ where: 'state', message: `"${printable(state)}" is not a state (${SEARCH_STATES.join(', ')})` });
  }
  const hold = given('hold');
  if (hold !== undefined && !(SEARCH_HOLDS as readonly string[]).includes(hold) && !FREEZE_REASON.test(hold)) {
    issues.push({ where: 'hold', message: `"${printable(hold)}" is not a hold (retired, frozen, or a freeze reason: a lower-case word)` });
  }
  const type = given('type');
  if (type !== undefined && !Object.hasOwn(config.types, type)) {
    issues.push({ where: 'type', message: `no account type "${printable(type)}" (${Object.keys(config.types).join(', ')})` });
  }
  const source = given('source');
  if (source !== undefined && !searchSources(config).includes(source)) {
    issues.push({ where: 'source', message: `no source "${printable(source)}" (${searchSources(config).join(', ')})` });
  }
  const host = given('host');
  if (host !== undefined && !Object.hasOwn(config.hosts, host)) {
    issues.push({ where: 'host', message: `no host "${printable(host)}" (${Object.keys(config.hosts).join(', ')})` });
  }
  const afterText = given('after');
  const after = afterText === undefined ? undefined : Number(afterText);
  if (after !== undefined && (!/^\d{1,15}$/.test(afterText ?? '') || !Number.isSafeInteger(after))) issues.push({ where: 'after', message: 'is not a page cursor (a whole number)' });
  if (issues.length > 0) throw new RosterError('bad_input', `bad search: ${issues.map((i) => `${i.where} ${i.message}`).join('; ')}`, issues);
  return {
    filter: { q, state: state as AccountState | undefined, hold, type, source, host },
    after,
  };
}

/** The query-string fields of a search (the inverse of parseSearchFields): links to the next page and the bulk form carry them. */
export function searchFieldsOf(filter: AccountSearchFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['q', 'state', 'hold', 'type', 'source', 'host'] as const) {
    const v = filter[key];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}

/** The store's query for a filter; a bad field (set by code rather than parsed) is refused by name. */
function storeQuery(ctx: AppContext, filter: AccountSearchFilter, after: number | undefined, limit: number): AccountSearchQuery {
  // Validates a filter built in code the same way as one read from a form.
  parseSearchFields(ctx.config, { ...searchFieldsOf(filter) });
  const words = [...new Set(asciiLower(filter.q ?? '').split(/\s+/).filter((w) => w !== ''))];
  let types: string[] | undefined;
  if (filter.type !== undefined) types = [filter.type];
  if (filter.host !== undefined) {
    const host = filter.host;
    const living = Object.entries(ctx.config.types)
      .filter(([, t]) => t.hosts.live.includes(host))
      .map(([name]) => name);
    types = types === undefined ? living : types.filter((t) => living.includes(t));
  }
  let hold: HoldMatch | undefined;
  if (filter.hold === 'retired') hold = { kind: 'retired' };
  else if (filter.hold === 'frozen') hold = { kind: 'freeze' };
  else if (filter.hold !== undefined) hold = { kind: 'freeze', reason: filter.hold };
  return { words, types, source: filter.source, state: filter.state, hold, now: ctx.clock.now().toISOString(), afterId: after, limit };
}

/**
 * One page of the search, in account id order (keyset pages: a page costs
 * the same however deep it is, and accounts added meanwhile never shift a
 * later page). `after` is the previous page's `next`.
 */
export async function searchAccounts(ctx: AppContext, filter: AccountSearchFilter, after?: number, limit = SEARCH_PAGE_SIZE): Promise<SearchPage> {
  const ids = await ctx.store.read.searchAccountIds(storeQuery(ctx, filter, after, limit + 1));
  const pageIds = ids.slice(0, limit);
  const accounts = await ctx.store.read.getAccountsByIds(pageIds);
  const people = new Map((await ctx.store.read.getPeople([...new Set(accounts.map((a) => a.personId))])).map((p) => [p.id, p]));
  const now = ctx.clock.now();
  const items = accounts.map((a): SearchHit => {
    const person = people.get(a.personId);
    return {
      account: accountView(a, now),
      firstName: person?.firstName ?? '',
      lastName: person?.lastName ?? '',
      emails: [...new Set(Object.values(person?.emails ?? {}))],
    };
  });
  const last = pageIds.at(-1);
  return { items, next: ids.length > limit && last !== undefined ? last : null };
}

/**
 * How many accounts match, counted up to `cap` (`more` when there are more):
 * shown above the results, and cheap however broad the search.
 */
export async function countSearch(ctx: AppContext, filter: AccountSearchFilter, cap = SEARCH_COUNT_CAP): Promise<{ readonly count: number; readonly more: boolean }> {
  const ids = await ctx.store.read.searchAccountIds(storeQuery(ctx, filter, undefined, cap + 1));
  return { count: Math.min(ids.length, cap), more: ids.length > cap };
}

/**
 * A page of results and, when it costs nothing more or was asked for, how
 * many match in all, as the search page shows them: when the first page is
 * also the last, its rows are the count; otherwise the count is run only on
 * request (`count`), so a page of results costs one search however broad it
 * is. `count` is null when not counted.
 */
export async function searchWithCount(ctx: AppContext, filter: AccountSearchFilter, after?: number, options: { readonly count?: boolean } = {}): Promise<{ readonly page: SearchPage; readonly count: { readonly count: number; readonly more: boolean } | null }> {
  const page = await searchAccounts(ctx, filter, after);
  if (after === undefined && page.next === null) return { page, count: { count: page.items.length, more: false } };
  return { page, count: options.count === true ? await countSearch(ctx, filter) : null };
}

/**
 * The usernames of every account the search matches, in id order: "select
 * the whole result" for a bulk action. Read page by page, so the cost is one
 * pass over the matches.
 */
export async function searchAllUsernames(ctx: AppContext, filter: AccountSearchFilter): Promise<string[]> {
  const out: string[] = [];
  const chunk = 1_000;
  let after: number | undefined;
  for (;;) {
    const ids = await ctx.store.read.searchAccountIds(storeQuery(ctx, filter, after, chunk));
    const accounts = await ctx.store.read.getAccountsByIds(ids);
    out.push(...accounts.map((a) => a.username));
    after = ids.at(-1);
    if (ids.length < chunk || after === undefined) return out;
  }
}
