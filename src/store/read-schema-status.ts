import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { errorMessage, RosterError } from '../domain/errors.js';
import type { RosterDatabase } from './database-schema.js';
import { describeDatabase, parseDatabaseUrl } from './database-url.js';
import { schemaStatus } from './migrations/migrate-to-latest.js';
import type { SchemaStatus } from './store.js';

/** What `roster doctor` finds at the database location, without creating or migrating anything (openStore does both). */
export type DatabaseProbe =
  | { readonly state: 'no-file'; readonly where: string }
  | { readonly state: 'unreachable'; readonly where: string; readonly reason: string }
  | ({ readonly state: 'reachable'; readonly where: string } & SchemaStatus);

/**
 * Loads both drivers: import it lazily (the bundle's dynamic import of a
 * bare module fails, a relative one becomes a lazy chunk).
 *
 * Connects to the store at `url` read-only and compares its schema with this
 * Roster's migrations. A SQLite file that is not there is reported, not
 * created; PostgreSQL gets `timeoutMs` to answer.
 */
export async function readSchemaStatus(url: string, options: { readonly timeoutMs?: number } = {}): Promise<DatabaseProbe> {
  const location = parseDatabaseUrl(url);
  const where = describeDatabase(url);
  const timeoutMs = options.timeoutMs ?? 5_000;
  let db: Kysely<RosterDatabase>;
  if (location.dialect === 'sqlite') {
    if (location.path === ':memory:') throw new RosterError('bad_config', 'the database is :memory:, which holds nothing between commands');
    let file;
    try {
      file = new Database(location.path, { readonly: true, fileMustExist: true, timeout: timeoutMs });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'SQLITE_CANTOPEN' && !existsSync(location.path)) return { state: 'no-file', where };
      return { state: 'unreachable', where, reason: errorMessage(e) };
    }
    db = new Kysely<RosterDatabase>({ dialect: new SqliteDialect({ database: file }) });
  } else {
    const pool = new pg.Pool({ connectionString: location.url, max: 1, connectionTimeoutMillis: timeoutMs });
    // An idle client's error would otherwise be an unhandled 'error' event.
    pool.on('error', () => undefined);
    db = new Kysely<RosterDatabase>({ dialect: new PostgresDialect({ pool }) });
  }
  try {
    return { state: 'reachable', where, ...(await schemaStatus(db, location.dialect)) };
  } catch (e) {
    return { state: 'unreachable', where, reason: errorMessage(e) };
  } finally {
    await db.destroy().catch(() => undefined);
  }
}
