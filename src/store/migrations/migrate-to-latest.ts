import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { errorMessage, RosterError } from '../../domain/errors.js';
import type { RosterDatabase } from '../database-schema.js';
import type { SchemaStatus } from '../store.js';
import { changelogSchema } from './changelog-schema.js';
import { consoleSchema } from './console-schema.js';
import { desiredFeedSchema } from './desired-feed-schema.js';
import { initialSchema } from './initial-schema.js';
import { jobsAndOutbox } from './jobs-and-outbox.js';
import { portalSchema } from './portal-schema.js';
import { resourcesSchema } from './resources-schema.js';
import { serverSchema } from './server-schema.js';
import { statusSchema } from './status-schema.js';
import { tokenLastUsedSchema } from './token-last-used.js';
import { usageSchema } from './usage-schema.js';
import { watchSchema } from './watch-schema.js';

type Dialect = 'sqlite' | 'postgres';

/**
 * Every schema version, in order. Names sort in application order; a
 * migration, once released, is never edited (add a new one instead). A static
 * list rather than a folder scan, so the build output needs no migration
 * files on disk and bundling cannot lose one.
 */
export function rosterMigrations(dialect: Dialect): Readonly<Record<string, Migration>> {
  return {
    '0001-initial-schema': initialSchema(dialect),
    '0002-jobs-and-outbox': jobsAndOutbox(dialect),
    '0003-server': serverSchema(dialect),
    '0004-resources': resourcesSchema(dialect),
    '0005-usage': usageSchema(dialect),
    '0006-portal': portalSchema(dialect),
    '0007-changelog': changelogSchema(dialect),
    '0008-watch': watchSchema(dialect),
    '0009-status': statusSchema(dialect),
    '0010-console': consoleSchema(dialect),
    '0011-token-last-used': tokenLastUsedSchema(dialect),
    '0012-desired-feed': desiredFeedSchema(dialect),
  };
}

function providerFor(dialect: Dialect): MigrationProvider {
  return { getMigrations: () => Promise.resolve({ ...rosterMigrations(dialect) }) };
}

async function appliedMigrations(db: Kysely<RosterDatabase>): Promise<string[] | undefined> {
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    return rows.rows.map((r) => r.name);
  } catch {
    // No migration table yet (a new database); the Migrator creates it.
    return undefined;
  }
}

/**
 * Reads the applied migrations without changing anything (readiness checks).
 * Unlike appliedMigrations, a failing query is not taken for a new database:
 * the table is looked up first, so an unreachable database throws.
 */
export async function schemaStatus(db: Kysely<RosterDatabase>, dialect: Dialect): Promise<SchemaStatus> {
  const known = Object.keys(rosterMigrations(dialect));
  const table =
    dialect === 'postgres'
      ? await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_name = 'kysely_migration'`.execute(db)
      : await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name = 'kysely_migration'`.execute(db);
  const applied = table.rows.length === 0 ? [] : (await sql<{ name: string }>`select name from kysely_migration`.execute(db)).rows.map((r) => r.name);
  return { missing: known.filter((name) => !applied.includes(name)), unknown: applied.filter((name) => !known.includes(name)) };
}

/**
 * Brings the schema up to date. Safe when several processes open the same
 * database at once: on PostgreSQL Kysely's Migrator holds an advisory lock;
 * on SQLite, whose Kysely adapter has no cross-process lock, the whole run
 * happens inside one `BEGIN IMMEDIATE`, so a second process waits on the
 * write lock and then finds nothing left to do.
 */
export async function migrateToLatest(
  db: Kysely<RosterDatabase>,
  dialect: Dialect,
  options: { readonly beginImmediate?: (conn: Kysely<RosterDatabase>) => Promise<void> } = {},
): Promise<void> {
  const known = Object.keys(rosterMigrations(dialect));
  const applied = await appliedMigrations(db);
  if (applied !== undefined) {
    const unknown = applied.filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new RosterError('bad_config', `the database schema is newer than this Roster (it has migration ${unknown.join(', ')}); upgrade Roster`);
    }
    // The common case, and read-only: no write lock taken just to open.
    if (known.every((name) => applied.includes(name))) return;
  }
  if (dialect === 'postgres') {
    check(await new Migrator({ db, provider: providerFor(dialect) }).migrateToLatest());
    return;
  }
  await db.connection().execute(async (conn) => {
    await (options.beginImmediate === undefined ? sql`begin immediate`.execute(conn) : options.beginImmediate(conn));
    try {
      check(await new Migrator({ db: conn, provider: providerFor(dialect), disableTransactions: true }).migrateToLatest());
      await sql`commit`.execute(conn);
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw e;
    }
  });
}

function check(result: { readonly error?: unknown; readonly results?: ReadonlyArray<{ readonly migrationName: string; readonly status: string }> }): void {
  if (result.error === undefined) return;
  const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
  if (result.error instanceof RosterError) throw result.error;
  // Connection problems pass through unchanged so openStore can report them as `unavailable`.
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- the driver's own error, rethrown as it came so openStore can classify it
  if (failed === undefined) throw result.error;
  const reason = errorMessage(result.error);
  throw new RosterError('internal', `database migration ${failed} failed: ${reason}`);
}
