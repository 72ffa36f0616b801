import { sql, type RawBuilder } from 'kysely';

/** Every column of a table, as a set its row type checks: a column added to the table and missing here does not compile. */
export type AllColumns<Row> = { readonly [K in keyof Row]-?: true };

/** One table of a hand-written join: its columns in the select list, and its row read back out of a result row. */
export interface JoinedTable<Row> {
  /** `a.id as a_id, a.username as a_username, …` */
  readonly select: string;
  /** The table's row in `joined`, or undefined when an outer join found none (its key column is null). */
  read(joined: Readonly<Record<string, unknown>>): Row | undefined;
}

/**
 * A table's columns in a join, each as `<alias>_<column>` so tables with
 * the same column names (created_at, id) can share a result row. For joins
 * a hot path runs as one statement, where several reads would cost a round
 * trip and a compile each. Made once, where the query is declared.
 */
export function joinedTable<Row>(alias: string, columns: AllColumns<Row>, key: keyof Row & string): JoinedTable<Row> {
  const names = Object.keys(columns).map((c) => [c, `${alias}_${c}`] as const);
  const keyName = `${alias}_${key}`;
  return {
    select: names.map(([c, as]) => `${alias}.${c} as ${as}`).join(', '),
    read(joined) {
      const keyValue = joined[keyName];
      if (keyValue === null || keyValue === undefined) return undefined;
      const row: Record<string, unknown> = {};
      for (const [c, as] of names) row[c] = joined[as];
      return row as Row;
    },
  };
}

/** The select list of these tables. */
export function selectJoined(tables: ReadonlyArray<Pick<JoinedTable<unknown>, 'select'>>): RawBuilder<unknown> {
  return sql.raw(tables.map((t) => t.select).join(', '));
}
