import { sql, type RawBuilder } from 'kysely';
import { RosterError } from '../../domain/errors.js';

/** Every column of a table, as a set its row type checks: a column added to the table and missing here does not compile. */
export type AllColumns<Row> = { readonly [K in keyof Row]-?: true };

/** One table of a hand-written join: its alias, its columns and the column that is null when an outer join found no row. */
export interface JoinedTable<Row> {
  readonly alias: string;
  readonly columns: readonly string[];
  readonly key: string;
  /** Never set: only carries the row type to JoinedSelect.read. */
  readonly row?: Row;
}

/**
 * A table's columns in a join, each selected as `<alias>_<column>` so
 * tables with the same column names (created_at, id) can share a result
 * row. For joins a hot path runs as one statement, where several reads
 * would cost a round trip and a compile each. Made once, where the query
 * is declared.
 */
export function joinedTable<Row>(alias: string, columns: AllColumns<Row>, key: keyof Row & string): JoinedTable<Row> {
  return { alias, columns: Object.keys(columns), key };
}

/** Reads one table's row out of a result row given as its column values in select order; undefined when an outer join found none. */
export type JoinedRead<Row> = (values: readonly unknown[]) => Row | undefined;

/** The select list of joined tables, and how their rows are read back out of a result row. */
export interface JoinedSelect {
  readonly select: RawBuilder<unknown>;
  /**
   * The result columns in select order. A row read as an object (Kysely)
   * is turned into its values by them; SQLite gives them as such directly
   * (QueryScope.sqliteRows), without an object with a property per column.
   */
  readonly names: readonly string[];
  /** The read of one of the tables. */
  read<Row>(table: JoinedTable<Row>): JoinedRead<Row>;
}

/** The select list of these tables, each table's columns after the ones before it. */
export function joinedSelect(tables: ReadonlyArray<JoinedTable<unknown>>): JoinedSelect {
  const names: string[] = [];
  const offsets = new Map<JoinedTable<unknown>, number>();
  for (const t of tables) {
    offsets.set(t, names.length);
    for (const c of t.columns) names.push(`${t.alias}_${c}`);
  }
  const select = sql.raw(tables.flatMap((t) => t.columns.map((c) => `${t.alias}.${c} as ${t.alias}_${c}`)).join(', '));
  return {
    select,
    names,
    read<Row>(table: JoinedTable<Row>): JoinedRead<Row> {
      const at = offsets.get(table);
      if (at === undefined) throw new RosterError('internal', `table ${table.alias} is not in this join`);
      const { columns } = table;
      const keyAt = at + columns.indexOf(table.key);
      return (values) => {
        const keyValue = values[keyAt];
        if (keyValue === null || keyValue === undefined) return undefined;
        const row: Record<string, unknown> = {};
        for (let i = 0; i < columns.length; i++) row[columns[i] as string] = values[at + i];
        return row as Row;
      };
    },
  };
}
