import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { beginImmediate } from './begin-immediate.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import type { RosterDatabase } from './database-schema.js';
import { kyselyQueries } from './kysely-queries.js';
import type { SqliteRows } from './queries/query-scope.js';
import { migrateToLatest, schemaStatus } from './migrations/migrate-to-latest.js';
import { mapStoreError, withStoreErrors } from './store-errors.js';
import type { Queries, Store } from './store.js';
import { TransactionScope } from './transaction-scope.js';

/**
 * The embedded store (DESIGN.md §6): one SQLite file in WAL mode.
 *
 * Two connections. The writer runs every transaction as `BEGIN IMMEDIATE`:
 * taking the write lock up front means two processes never both read under a
 * shared lock and then deadlock upgrading it (a deferred transaction that
 * reads then writes gets SQLITE_BUSY at once, without waiting). Kysely's
 * driver lets one caller at a time use the writer, so transactions of one
 * process queue in order. The reader serves `store.read`: under WAL it sees
 * the last committed state and never waits for the writer, and `query_only`
 * makes it unable to write.
 *
 * Waiting for the write lock is beginImmediate's fair, non-blocking retry
 * loop, not busy_timeout: the writer's busy_timeout is 0 once the file is
 * open (inside a write transaction nothing else needs waiting for in WAL
 * mode). The reader keeps busy_timeout for the rare WAL recovery wait.
 */
export async function openSqliteStore(path: string, options: { readonly busyTimeoutMs: number }): Promise<Store> {
  const memory = path === ':memory:';
  const writer = openConnection(path, options.busyTimeoutMs, false);
  const writeDb = new Kysely<RosterDatabase>({ dialect: new SqliteDialect({ database: withStatementCache(writer) }) });
  try {
    await migrateToLatest(writeDb, 'sqlite', { beginImmediate: (conn) => beginImmediate(conn, options.busyTimeoutMs) });
  } catch (e) {
    await writeDb.destroy();
    throw openError(e, path);
  }
  // An in-memory database exists only on its one connection, so reads share it.
  const reader = memory ? writer : openConnection(path, options.busyTimeoutMs, true);
  const readDb = new Kysely<RosterDatabase>({ dialect: new SqliteDialect({ database: withStatementCache(reader) }) });
  const read = withStoreErrors<Queries>(kyselyQueries(readDb, { dialect: 'sqlite', writable: false, sqliteRows: rowsOn(reader) }), 'store.read');
  const writerRows = rowsOn(writer);

  const scope = new TransactionScope();
  const leases = new Set<string>();
  let closing: Promise<void> | undefined;
  return {
    dialect: 'sqlite',
    read,
    transaction<T>(fn: (tx: Queries) => Promise<T>): Promise<T> {
      return scope.run(() => writeDb.connection().execute(async (conn) => {
        await beginImmediate(conn, options.busyTimeoutMs);
        try {
          const result = await fn(withStoreErrors<Queries>(kyselyQueries(conn, { dialect: 'sqlite', writable: true, sqliteRows: writerRows }), 'transaction'));
          await sql`commit`.execute(conn);
          return result;
        } catch (e) {
          // SQLite may already have rolled back by itself (e.g. SQLITE_FULL);
          // a second rollback would fail and hide the real error.
          if (writer.inTransaction) await sql`rollback`.execute(conn).catch(() => undefined);
          throw mapStoreError(e, 'transaction');
        }
      }));
    },
    async withLease<T>(name: string, fn: () => Promise<T>): Promise<{ readonly value: T } | null> {
      if (leases.has(name)) return null;
      leases.add(name);
      try {
        return { value: await fn() };
      } finally {
        leases.delete(name);
      }
    },
    async schemaStatus() {
      try {
        return await schemaStatus(readDb, 'sqlite');
      } catch (e) {
        throw mapStoreError(e, 'schema status');
      }
    },
    close(): Promise<void> {
      closing ??= (async () => {
        // Lets SQLite refresh planner statistics it found missing or stale (cheap; recommended on close).
        try {
          writer.pragma('optimize');
        } catch {
          // Best effort only: closing must not fail because of it.
        }
        await readDb.destroy();
        if (!memory) await writeDb.destroy();
      })();
      return closing;
    },
  };
}

/** Prepared statements kept per connection: Kysely prepares every query afresh, which costs more than running it. */
const STATEMENT_CACHE = 256;

function withStatementCache(db: Database.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(text: string): SqliteStatement {
      const hit = cache.get(text);
      if (hit !== undefined) {
        // Re-insert: Map order is then least recently used first.
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const statement = db.prepare(text);
      if (cache.size >= STATEMENT_CACHE) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

/**
 * QueryScope.sqliteRows on one connection. Kysely's driver takes that
 * connection one query at a time, but each query runs synchronously and
 * none is left open across an await (no streamed reads), so a statement
 * run here never interleaves with one of Kysely's; inside a transaction
 * it runs on the transaction's own connection.
 */
function rowsOn(db: Database.Database): SqliteRows {
  const statements = new Map<string, Database.Statement<unknown[], unknown[]>>();
  return (text, parameters) => {
    let statement = statements.get(text);
    if (statement === undefined) {
      statement = db.prepare<unknown[], unknown[]>(text).raw(true);
      statements.set(text, statement);
    }
    return statement.all(...parameters);
  };
}

/** The reader's page cache, in KiB: SQLite fills it as pages are read, so a small database never takes it all; 100,000 accounts take about 80 MB. */
const READER_CACHE_KIB = 128 * 1024;

function openConnection(path: string, busyTimeoutMs: number, readOnly: boolean): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: busyTimeoutMs });
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
    if (!readOnly) {
      // WAL is a property of the file; switching to it needs the write lock,
      // which busy_timeout (set first) lets us wait for.
      db.pragma('journal_mode = WAL');
      // See openSqliteStore: the writer waits for the write lock in beginImmediate.
      db.pragma('busy_timeout = 0');
      // A statement that writes several rows keeps the pages it changes in a
      // statement journal, so that it can be undone alone; past 64 KiB SQLite
      // spills that journal to a temporary file. A sync of 100,000 rows wrote
      // 2.3 GB to such files (578,000 pages, two system calls each): in memory,
      // freed as each statement ends, instead.
      db.pragma('temp_store = MEMORY');
      // A checkpoint copies every page in the WAL into the database and syncs
      // both. SQLite's default starts one after any commit that leaves 1,000
      // pages (4 MiB) in the WAL, so a long run of batches checkpoints after
      // nearly each and copies a page it changes in every batch (an index's
      // last leaf, the audit log's) every time. 10,000 pages (40 MiB) copy
      // such a page once per ten or so: a sync of 100,000 rows called fsync
      // 177 times instead of 1,071 and made a quarter fewer writes.
      db.pragma('wal_autocheckpoint = 10000');
    }
    // NORMAL is durable across application crashes in WAL mode; a power cut
    // may lose the last commits but never corrupts the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (readOnly) {
      db.pragma('query_only = ON');
      // The reader serves every request's reads (SCIM GET by id among 100,000
      // accounts touches a few pages of four tables, at random): with SQLite's
      // default 2 MB cache most of them were read from the file again, a
      // system call each, which cost a third of the statement's run (a commit
      // still empties it: SQLite rereads once the WAL has changed).
      db.pragma(`cache_size = -${READER_CACHE_KIB}`);
    }
    return db;
  } catch (e) {
    db?.close();
    throw openError(e, path);
  }
}

function openError(e: unknown, path: string): unknown {
  if (e instanceof RosterError) return e;
  const mapped = mapStoreError(e, `cannot open SQLite database ${path}`);
  if (mapped instanceof RosterError) return mapped;
  // better-sqlite3 throws a plain TypeError for a missing directory.
  return new RosterError('unavailable', `cannot open SQLite database ${path}: ${errorMessage(e)}`);
}
