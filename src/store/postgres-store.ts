import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { errorMessage, RosterError } from '../domain/errors.js';
import { describeDatabase } from './database-url.js';
import type { RosterDatabase } from './database-schema.js';
import { kyselyQueries } from './kysely-queries.js';
import type { PgRows } from './queries/query-scope.js';
import { migrateToLatest, schemaStatus } from './migrations/migrate-to-latest.js';
import { isUnavailable, mapStoreError, withStoreErrors } from './store-errors.js';
import type { Queries, Store } from './store.js';
import { TransactionScope } from './transaction-scope.js';

/** Advisory-lock key of the store's write lock: ('Rost', 1), clear of Kysely's migration lock and of job leases. */
const WRITE_LOCK_CLASS = 0x526f7374;
const WRITE_LOCK_ID = 1;
/** Advisory-lock class of leases ('Rosu'); the id is hashtext(name). */
const LEASE_CLASS = 0x526f7375;

/**
 * The production store (DESIGN.md §6): a pg Pool behind Kysely, shared by
 * any number of `roster serve` processes.
 *
 * Write transactions are serialised like SQLite's `BEGIN IMMEDIATE`: each
 * first takes one transaction-scoped advisory lock. Row locks alone would
 * leave check-then-act races in callers (two creates for the same person
 * both seeing "no account yet"); unique constraints catch only some of them.
 * The counter and audit-head rows are still locked with `SELECT … FOR
 * UPDATE` (see kyselyQueries), so allocation and the chain stay safe on their
 * own. Reads (`store.read`) take no lock and see committed data (READ
 * COMMITTED). lock_timeout is set per connection to the same budget as
 * SQLite's busy_timeout, so a stuck writer surfaces as `lock_timeout`, not a
 * hang.
 */
export async function openPostgresStore(url: string, options: { readonly busyTimeoutMs: number; readonly poolSize?: number }): Promise<Store> {
  // bigint (int8) columns hold UIDs and counts; every value fits a JS number
  // exactly, so parse them as numbers for this pool only (not pg's global table).
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: Math.max(options.busyTimeoutMs, 5_000),
    types,
  });
  // An idle client's error (server restart) would otherwise be an unhandled
  // 'error' event and kill the process; the next query reports it instead.
  pool.on('error', () => undefined);
  const lockTimeout = Math.max(1, Math.trunc(options.busyTimeoutMs));
  const db = new Kysely<RosterDatabase>({
    dialect: new PostgresDialect({
      pool,
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw(`set lock_timeout = ${lockTimeout}`));
      },
    }),
  });
  try {
    await migrateToLatest(db, 'postgres');
  } catch (e) {
    await db.destroy().catch(() => undefined);
    if (e instanceof RosterError) throw e;
    if (isUnavailable(e)) throw new RosterError('unavailable', `cannot reach PostgreSQL at ${describeDatabase(url)}: ${errorMessage(e)}`);
    throw mapStoreError(e, `PostgreSQL ${describeDatabase(url)}`);
  }
  const read = withStoreErrors<Queries>(kyselyQueries(db, { dialect: 'postgres', writable: false, pgRows: preparedRows(pool) }), 'store.read');
  const scope = new TransactionScope();
  let closing: Promise<void> | undefined;
  return {
    dialect: 'postgres',
    read,
    transaction<T>(fn: (tx: Queries) => Promise<T>): Promise<T> {
      return scope.run(async () => {
        try {
          return await db.transaction().execute(async (trx) => {
            await sql`select pg_advisory_xact_lock(${sql.lit(WRITE_LOCK_CLASS)}, ${sql.lit(WRITE_LOCK_ID)})`.execute(trx);
            return fn(withStoreErrors<Queries>(kyselyQueries(trx, { dialect: 'postgres', writable: true }), 'transaction'));
          });
        } catch (e) {
          throw mapStoreError(e, 'transaction');
        }
      });
    },
    async withLease<T>(name: string, fn: () => Promise<T>): Promise<{ readonly value: T } | null> {
      try {
        // One pooled connection holds the session lock for the whole run;
        // the work itself uses the pool as usual.
        return await db.connection().execute(async (conn) => {
          const got = await sql<{ held: boolean }>`select pg_try_advisory_lock(${sql.lit(LEASE_CLASS)}, hashtext(${name})) as held`.execute(conn);
          if (got.rows[0]?.held !== true) return null;
          try {
            return { value: await fn() };
          } finally {
            await sql`select pg_advisory_unlock(${sql.lit(LEASE_CLASS)}, hashtext(${name}))`.execute(conn).catch(() => undefined);
          }
        });
      } catch (e) {
        throw mapStoreError(e, `lease ${name}`);
      }
    },
    async schemaStatus() {
      try {
        return await schemaStatus(db, 'postgres');
      } catch (e) {
        if (isUnavailable(e)) throw new RosterError('unavailable', `cannot reach PostgreSQL at ${describeDatabase(url)}: ${errorMessage(e)}`);
        throw mapStoreError(e, 'schema status');
      }
    },
    close(): Promise<void> {
      closing ??= db.destroy();
      return closing;
    },
  };
}

/**
 * QueryScope.pgRows on the pool: each constant statement text gets a name
 * of its own, and pg prepares it on a connection the first time that
 * connection runs it (PostgreSQL then plans it once for all its runs, where
 * a plain query is planned anew at each). A read takes no row lock, so the
 * connection's lock_timeout (set when Kysely first takes it) does not matter
 * here.
 */
function preparedRows(pool: pg.Pool): PgRows {
  const names = new Map<string, string>();
  return async (text, parameters) => {
    let name = names.get(text);
    if (name === undefined) {
      name = `roster_read_${names.size + 1}`;
      names.set(text, name);
    }
    const result = await pool.query<unknown[]>({ name, text, values: [...parameters], rowMode: 'array' });
    return result.rows;
  };
}
