import { sql } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { QueryScope } from './query-scope.js';
import { toNumber } from './row-values.js';

/**
 * UID and GID allocation shared by reservations and groups: the high-water
 * marks (`counters`) and the search for free numbers above them.
 */

/** Used numbers fetched per round trip while looking for a free UID or GID. */
const GAP_PAGE = 500;

export type NumberColumn = readonly ['reservations' | 'accounts' | 'groups', 'uid' | 'gid'];

export function checkRange(range: { readonly min: number; readonly max: number }, what: string): void {
  if (!Number.isSafeInteger(range.min) || !Number.isSafeInteger(range.max) || range.min < 0 || range.min > range.max) {
    throw new RosterError('bad_config', `the ${what} range ${range.min}–${range.max} is not a range of whole numbers`);
  }
}

/**
 * Reads the high-water mark. On PostgreSQL the row is locked with
 * `SELECT … FOR UPDATE`, so concurrent allocations queue there; on SQLite the
 * transaction already holds the database's write lock.
 */
export async function lockCounter(s: QueryScope, name: 'uid' | 'gid'): Promise<number> {
  const row = await s.db
    .selectFrom('counters')
    .select('value')
    .where('name', '=', name)
    .$if(s.dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirstOrThrow();
  return toNumber(row.value);
}

export async function raiseCounter(s: QueryScope, name: 'uid' | 'gid', value: number): Promise<void> {
  // `value` is above the counter by construction; the guard keeps the
  // high-water mark monotonic even if that ever stopped being true.
  await s.db.updateTable('counters').set({ value }).where('name', '=', name).where('value', '<', value).execute();
}

/**
 * Up to `count` numbers in [start, max], in order, used by none of the
 * given columns. Walks the columns' indexes in order a page at a time, so a
 * long run of used numbers (accounts whose GID is their UID) costs a few
 * round trips, never a table scan.
 */
export async function freeNumbers(s: QueryScope, start: number, max: number, count: number, ...columns: readonly NumberColumn[]): Promise<number[]> {
  const out: number[] = [];
  let candidate = start;
  while (out.length < count && candidate <= max) {
    const used = new Set<number>();
    let pageEnd = max;
    for (const [table, column] of columns) {
      const values = await usedFrom(s, table, column, candidate, max);
      for (const v of values) used.add(v);
      // Only numbers up to the smallest "last value seen" are known to be complete.
      if (values.length === GAP_PAGE) pageEnd = Math.min(pageEnd, values[values.length - 1] ?? max);
    }
    for (; candidate <= pageEnd && out.length < count; candidate++) if (!used.has(candidate)) out.push(candidate);
  }
  return out;
}

/** The smallest number in [start, max] used by none of the given columns, or undefined when there is none. */
export async function firstFree(s: QueryScope, start: number, max: number, ...columns: readonly NumberColumn[]): Promise<number | undefined> {
  return (await freeNumbers(s, start, max, 1, ...columns))[0];
}

async function usedFrom(s: QueryScope, table: 'reservations' | 'accounts' | 'groups', column: 'uid' | 'gid', from: number, to: number): Promise<number[]> {
  const rows = await s.db
    .selectFrom(table)
    .select(sql<number>`${sql.ref(column)}`.as('n'))
    .where(sql.ref(column), '>=', from)
    .where(sql.ref(column), '<=', to)
    .orderBy(sql.ref(column))
    .limit(GAP_PAGE)
    .execute();
  return rows.map((r) => toNumber(r.n));
}
