import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AccountState } from '../../domain/account.js';
import type { Person } from '../../domain/person.js';
import type { RosterDatabase } from '../database-schema.js';
import type { QueryScope } from './query-scope.js';
import { IN_CHUNK, INSERT_CHUNK, pageSize, toNumber, utc } from './row-values.js';

/** Which holds a search asks for: a retirement, or a freeze (of one reason, or any). */
export type HoldMatch = { readonly kind: 'retired' } | { readonly kind: 'freeze'; readonly reason?: string | undefined };

/**
 * An account search (the admin console's): every given condition must hold.
 * Words match by prefix, case-insensitively for ASCII letters (SQLite's and
 * the "C" collation's lower() fold ASCII only; callers fold the same way).
 */
export interface AccountSearchQuery {
  /** Lower-cased words: each must begin the username, the person id, the first or last name, or one of the person's e-mail addresses. */
  readonly words: readonly string[];
  /** Only accounts of these types (a host filter becomes the types that live on it). An empty list matches nothing. */
  readonly types?: readonly string[] | undefined;
  /** Only accounts of people of this source. */
  readonly source?: string | undefined;
  /** The state at `now` (DESIGN.md §3); without it tombstones are left out, as `roster account list` does. */
  readonly state?: AccountState | undefined;
  /** An effective hold (in force at `now`) of this kind. */
  readonly hold?: HoldMatch | undefined;
  /** ISO 8601 UTC: the time state and holds are taken at. */
  readonly now: string;
  /** Keyset pagination: accounts with id > afterId, in id order. */
  readonly afterId?: number | undefined;
  readonly limit: number;
  /** Accounts read in id order before an index range is looked for (default WINDOW); tests make it small to exercise both ways. */
  readonly window?: number | undefined;
  /** How far each index range of a way in is counted (default DRIVER_CAP); tests make it small so the window is read before the candidates. */
  readonly driverCap?: number | undefined;
}

export interface AccountSearchReads {
  /** The ids of the accounts that match, in id order, at most `limit`. */
  searchAccountIds(query: AccountSearchQuery): Promise<number[]>;
}

/**
 * Accounts read in id order before the search looks for another way in: when
 * matches are dense, one window of this many rows fills a page.
 */
const WINDOW = 2_000;
/** A way in (an index range) with more ids than this is not counted further: any smaller one is better. */
const DRIVER_CAP = 500;

type Cond = RawBuilder<unknown>;

/** ASCII-only lower case, the folding SQLite's lower() and PostgreSQL's lower() under the "C" collation do. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Just above every string that starts with `prefix` (bytewise, as both dialects compare text here). */
function prefixEnd(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

function startsWith(expr: Cond, prefix: string): Cond {
  return sql`(${expr} >= ${prefix} and ${expr} < ${prefixEnd(prefix)})`;
}

/**
 * The conditions on one account row, `a` being the accounts table or a
 * subquery of it with its columns. Written without index hints: the search
 * decides which rows it reads, these only filter them.
 */
function conditions(a: string, q: AccountSearchQuery): Cond[] {
  const t = sql.table(a);
  const now = utc(q.now, 'search time');
  const out: Cond[] = [];
  for (const w of q.words) {
    out.push(sql`(${startsWith(sql`lower(${t}.username)`, w)}
      or ${startsWith(sql`lower(${t}.person_id)`, w)}
      or exists (select 1 from people p where p.id = ${t}.person_id and (${startsWith(sql`lower(p.first_name)`, w)} or ${startsWith(sql`lower(p.last_name)`, w)}))
      or exists (select 1 from person_emails e where e.person_id = ${t}.person_id and ${startsWith(sql`e.address`, w)}))`);
  }
  if (q.types !== undefined) out.push(q.types.length === 0 ? sql`1 = 0` : sql`${t}.type in (${sql.join(q.types)})`);
  if (q.source !== undefined) out.push(sql`exists (select 1 from people p where p.id = ${t}.person_id and p.source = ${q.source})`);
  if (q.hold !== undefined) {
    const reason = q.hold.kind === 'freeze' && q.hold.reason !== undefined ? sql` and h.reason = ${q.hold.reason}` : sql``;
    out.push(sql`exists (select 1 from holds h where h.account_id = ${t}.id and h.kind = ${q.hold.kind}${reason} and h.since <= ${now})`);
  }
  const held = sql`exists (select 1 from holds h where h.account_id = ${t}.id and h.since <= ${now})`;
  switch (q.state) {
    case undefined:
      out.push(sql`${t}.purged_at is null`);
      break;
    case 'purged':
      out.push(sql`${t}.purged_at is not null`);
      break;
    case 'disabled':
      out.push(sql`${t}.purged_at is null and ${held}`);
      break;
    case 'pending':
      out.push(sql`${t}.purged_at is null and ${t}.pending = 1 and not ${held}`);
      break;
    case 'active':
      out.push(sql`${t}.purged_at is null and ${t}.pending = 0 and not ${held}`);
      break;
  }
  return out;
}

/** A way into the accounts: a query of candidate account ids, and the index ranges whose sizes (each counted up to DRIVER_CAP) estimate how many it lists. */
interface Driver {
  readonly ids: Cond;
  readonly parts: readonly Cond[];
}

/** A driver read straight from one index range, which is also its estimate. */
function single(ids: Cond): Driver {
  return { ids, parts: [ids] };
}

/**
 * The index ranges that can list candidate accounts: each word's ranges
 * (username, person id, first and last name, e-mail), the hold, the state
 * when it is rare (disabled, pending, purged), the source, the types. Each
 * lists a superset of the matches.
 */
function drivers(q: AccountSearchQuery): Driver[] {
  const out: Driver[] = [];
  const now = utc(q.now, 'search time');
  // Longest first: of two ways counted as large alike, the first is kept, and a longer word has narrower ranges.
  for (const word of [...q.words].sort((x, y) => y.length - x.length)) {
    const username = startsWith(sql`lower(username)`, word);
    const personId = startsWith(sql`lower(person_id)`, word);
    const first = startsWith(sql`lower(first_name)`, word);
    const last = startsWith(sql`lower(last_name)`, word);
    const address = startsWith(sql`address`, word);
    out.push({
      ids: sql`select id from accounts where ${username}
        union select id from accounts where ${personId}
        union select a.id from people p join accounts a on a.person_id = p.id where ${first}
        union select a.id from people p join accounts a on a.person_id = p.id where ${last}
        union select a.id from person_emails e join accounts a on a.person_id = e.person_id where ${address}`,
      // Counted on the indexes alone (a person has few accounts).
      parts: [
        sql`select id from accounts where ${username}`,
        sql`select id from accounts where ${personId}`,
        sql`select id from people where ${first}`,
        sql`select id from people where ${last}`,
        sql`select person_id from person_emails where ${address}`,
      ],
    });
  }
  if (q.hold !== undefined) {
    const reason = q.hold.kind === 'freeze' && q.hold.reason !== undefined ? sql` and reason = ${q.hold.reason}` : sql``;
    out.push(single(sql`select account_id as id from holds where kind = ${q.hold.kind}${reason} and since <= ${now}`));
  }
  if (q.state === 'disabled') out.push(single(sql`select account_id as id from holds where since <= ${now}`));
  if (q.state === 'pending') out.push(single(sql`select id from accounts where pending = 1`));
  if (q.state === 'purged') out.push(single(sql`select id from accounts where purged_at is not null`));
  if (q.source !== undefined) out.push(single(sql`select a.id from people p join accounts a on a.person_id = p.id where p.source = ${q.source}`));
  if (q.types !== undefined && q.types.length > 0) out.push(single(sql`select id from accounts where type in (${sql.join(q.types)})`));
  return out;
}

/** About how many candidates a driver lists: its ranges' sizes, each counted up to DRIVER_CAP (cheap: index entries only). */
async function estimate(db: Kysely<RosterDatabase>, driver: Driver, cap: number): Promise<number> {
  let n = 0;
  for (const part of driver.parts) {
    const counted = await sql<{ n: number | string }>`select count(*) as n from (${part} limit ${cap}) c`.execute(db);
    n += toNumber(counted.rows[0]?.n ?? 0);
  }
  return n;
}

function and(conds: readonly Cond[]): Cond {
  return conds.length === 0 ? sql`1 = 1` : sql.join(conds, sql` and `);
}

/**
 * The search: one page of matching account ids in id order, at a cost that
 * does not grow with the table. When the narrowest way in (index ranges
 * counted up to DRIVER_CAP) has fewer candidates than that, they alone are
 * filtered. Otherwise one window of WINDOW accounts in id order is read and
 * filtered first (broad searches fill their page there); if it did not fill
 * the page, matches are rare, and the narrowest way's candidates after the
 * window are filtered in id order until the page is full.
 */
async function searchAccountIds(db: Kysely<RosterDatabase>, q: AccountSearchQuery): Promise<number[]> {
  const limit = pageSize(q.limit);
  if (limit === 0) return [];
  const after = q.afterId ?? 0;
  const window = Math.max(1, pageSize(q.window ?? WINDOW));
  const cap = Math.max(1, pageSize(q.driverCap ?? DRIVER_CAP));
  // The narrowest way in, by the sizes of its index ranges (each counted up to DRIVER_CAP).
  const ways = drivers(q);
  let best: Driver | undefined;
  let bestCount = Infinity;
  for (const way of ways) {
    const n = await estimate(db, way, cap);
    if (n < bestCount) {
      best = way;
      bestCount = n;
    }
  }
  // One statement: the candidates become a sorted set of ids, read in id order and filtered until the page is full.
  const candidates = async (way: Driver, from: number, want: number): Promise<number[]> => {
    const rows = await sql<{ id: number }>`select id from accounts a where id in (${way.ids}) and id > ${from} and ${and(conditions('a', q))} order by id limit ${want}`.execute(db);
    return rows.rows.map((r) => toNumber(r.id));
  };
  // Few candidates (an address, a username, a rare hold): read them alone, without a window.
  if (best !== undefined && bestCount < cap) return candidates(best, after, limit);
  const found: number[] = [];
  // The window: WINDOW accounts after the cursor, filtered. A subquery with
  // LIMIT is read as it stands on both planners, so the filter cannot pull in
  // an index that reads matches from the whole table.
  const windowed = await sql<{ id: number }>`select w.id from (select * from accounts where id > ${after} order by id limit ${window}) w
    where ${and(conditions('w', q))} order by w.id limit ${limit}`.execute(db);
  found.push(...windowed.rows.map((r) => toNumber(r.id)));
  if (found.length >= limit) return found;
  const end = await sql<{ id: number }>`select id from accounts where id > ${after} order by id limit 1 offset ${Math.max(window - 1, 0)}`.execute(db);
  const windowEnd = end.rows[0] === undefined ? undefined : toNumber(end.rows[0].id);
  // The window reached the last account: nothing more to find.
  if (windowEnd === undefined) return found;
  if (best === undefined) {
    // Nothing narrows the search (only "active", or no condition): it is dense, so read on in id order.
    const rest = await sql<{ id: number }>`select id from accounts a where id > ${windowEnd} and ${and(conditions('a', q))} order by id limit ${limit - found.length}`.execute(db);
    return [...found, ...rest.rows.map((r) => toNumber(r.id))];
  }
  return [...found, ...(await candidates(best, windowEnd, limit - found.length))];
}

/** The account search's reads (the admin console's search and bulk selection). */
export function accountSearchQueries(s: QueryScope): AccountSearchReads {
  return {
    searchAccountIds: (query) => searchAccountIds(s.db, query),
  };
}

/**
 * Keeps the e-mail search index in step with people: the addresses of these
 * people (lower-cased, each once) replace what it held for them. Called by
 * putPeople in the same transaction, so a search finds an address as soon as
 * the person is saved.
 */
export async function replacePersonEmails(db: Kysely<RosterDatabase>, people: ReadonlyArray<Pick<Person, 'id' | 'emails'>>): Promise<void> {
  for (let i = 0; i < people.length; i += IN_CHUNK) {
    await db.deleteFrom('person_emails').where('person_id', 'in', people.slice(i, i + IN_CHUNK).map((p) => p.id)).execute();
  }
  const rows = people.flatMap((p) => [...new Set(Object.values(p.emails).map(asciiLower))].map((address) => ({ person_id: p.id, address })));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) await db.insertInto('person_emails').values(rows.slice(i, i + INSERT_CHUNK)).execute();
}
