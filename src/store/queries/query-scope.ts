import type { CompiledQuery, Kysely } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { RosterDatabase } from '../database-schema.js';

export type StoreDialect = 'sqlite' | 'postgres';

/**
 * What every concept's queries run on: one connection (or transaction) and
 * whether it may write. A `writable: false` scope (`store.read`) refuses
 * every write: a change made outside `transaction` would escape the
 * serialisation that UID allocation and the audit chain depend on.
 */
export interface QueryScope {
  readonly db: Kysely<RosterDatabase>;
  readonly dialect: StoreDialect;
  /** Throws unless the scope is a write transaction; `method` names the refused call. */
  mustWrite(method: string): void;
  /**
   * On SQLite, runs a read on the scope's connection itself, each row as
   * its column values in select order (better-sqlite3's raw mode), for the
   * reads a hot path makes (SCIM GET by id): Kysely's way round a query (a
   * promise at each of its steps, an object with a property per column for
   * each row) cost more than SQLite's lookup. Only for statement texts
   * that are constants: each is prepared once and kept. Absent on PostgreSQL.
   */
  readonly sqliteRows?: SqliteRows;
  /**
   * On PostgreSQL (`store.read` only), the same reads as named prepared
   * statements through the pool, each row as an array: planning the SCIM
   * GET's four-table join took 0.2 ms of the server's time per request and
   * running it 0.03 ms, and a prepared statement is planned once per
   * connection. Only for statement texts that are constants.
   */
  readonly pgRows?: PgRows;
}

export type SqliteRows = (text: string, parameters: readonly unknown[]) => unknown[][];
export type PgRows = (text: string, parameters: readonly unknown[]) => Promise<unknown[][]>;

export interface ScopeOptions {
  readonly dialect: StoreDialect;
  readonly writable: boolean;
  readonly sqliteRows?: SqliteRows;
  readonly pgRows?: PgRows;
}

export function queryScope(db: Kysely<RosterDatabase>, options: ScopeOptions): QueryScope {
  return {
    db,
    dialect: options.dialect,
    ...(options.sqliteRows === undefined ? {} : { sqliteRows: options.sqliteRows }),
    ...(options.pgRows === undefined ? {} : { pgRows: options.pgRows }),
    mustWrite(method: string): void {
      if (!options.writable) throw new RosterError('internal', `${method} changes the database and must run inside store.transaction, not on store.read`);
    },
  };
}

/**
 * Runs a compiled statement whose text is a constant and gives each row as
 * its values in `names` order (the select's order): on SQLite's connection
 * itself or as a PostgreSQL prepared statement where the scope has that
 * (QueryScope.sqliteRows, pgRows), through Kysely otherwise.
 */
export async function valueRows(s: QueryScope, query: CompiledQuery<Record<string, unknown>>, names: readonly string[]): Promise<unknown[][]> {
  if (s.sqliteRows !== undefined) return s.sqliteRows(query.sql, query.parameters);
  if (s.pgRows !== undefined) return s.pgRows(query.sql, query.parameters);
  return (await s.db.executeQuery(query)).rows.map((r) => names.map((n) => r[n]));
}
