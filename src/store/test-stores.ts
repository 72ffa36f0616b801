import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { RosterDatabase } from './database-schema.js';
import { openStore, type OpenStoreOptions } from './open-store.js';
import type { NewAccount, Store } from './store.js';

/**
 * Test support: fresh stores on both dialects, so every store test runs on
 * SQLite and PostgreSQL alike (DESIGN.md §6). Not used by Roster itself.
 */

/** Admin URL used to create and drop per-test databases. */
export function postgresAdminUrl(): string {
  return process.env.ROSTER_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** An empty PostgreSQL database with a unique name (`roster_test_<hex>`), and a way to drop it. */
export async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `roster_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(postgresAdminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // FORCE: a test that failed half-way may still hold connections.
    drop: () => adminQuery(`drop database if exists ${name} with (force)`),
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export interface OpenedTestStore {
  readonly store: Store;
  /** What was passed to openStore. */
  readonly url: string;
  /** A second, independent connection to the same database, for tampering and EXPLAIN. */
  readonly raw: Kysely<RosterDatabase>;
  /** Closes store and raw, and deletes the database. */
  cleanup(): Promise<void>;
}

export interface StoreFactory {
  readonly name: 'sqlite' | 'postgres';
  open(options?: OpenStoreOptions): Promise<OpenedTestStore>;
}

const sqliteFactory: StoreFactory = {
  name: 'sqlite',
  async open(options = {}) {
    const dir = await mkdtemp(join(tmpdir(), 'roster-store-'));
    const url = join(dir, 'roster.db');
    const store = await openStore(url, options);
    const connection = new Database(url, { timeout: 15_000 });
    const raw = new Kysely<RosterDatabase>({ dialect: new SqliteDialect({ database: connection }) });
    return {
      store,
      url,
      raw,
      async cleanup() {
        await store.close();
        await raw.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgresFactory: StoreFactory = {
  name: 'postgres',
  async open(options = {}) {
    const database = await createPostgresDatabase();
    try {
      const store = await openStore(database.url, options);
      const rawPool = new pg.Pool({ connectionString: database.url, max: 2 });
      // DROP DATABASE … WITH (FORCE) terminates idle connections (57P01); an
      // unhandled pool 'error' would then fail the whole test run.
      rawPool.on('error', () => undefined);
      const raw = new Kysely<RosterDatabase>({ dialect: new PostgresDialect({ pool: rawPool }) });
      return {
        store,
        url: database.url,
        raw,
        async cleanup() {
          await store.close();
          await raw.destroy();
          await database.drop();
        },
      };
    } catch (e) {
      await database.drop();
      throw e;
    }
  },
};

export const storeFactories: readonly StoreFactory[] = [sqliteFactory, postgresFactory];

/** A member account row for store tests (Jane Doe, a user-private group, nothing else set), made on 2026-01-02. */
export function testAccount(personId: string, username: string, uid: number, over: Partial<NewAccount> = {}): NewAccount {
  const at = '2026-01-02T03:04:05.000Z';
  return {
    personId,
    type: 'member',
    username,
    uid,
    gid: uid,
    primaryGroup: username,
    gecos: 'Jane Doe',
    shell: '/bin/bash',
    home: `/home/${username}`,
    passwordHash: null,
    principal: null,
    groups: [],
    expiresAt: null,
    purgeAt: null,
    purgedAt: null,
    pending: false,
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

/**
 * For each `[username, uid]`, a person `P1`, `P2`… (Jane Doe, source `test`)
 * and a member account of theirs (`testAccount`), all made on 2026-01-02 in
 * one transaction; the accounts' ids, in order.
 */
export async function insertTestMembers<const M extends ReadonlyArray<readonly [username: string, uid: number]>>(store: Store, members: M): Promise<{ -readonly [K in keyof M]: number }> {
  const at = '2026-01-02T03:04:05.000Z';
  const ids = await store.transaction(async (tx) => {
    const made: number[] = [];
    for (const [i, [username, uid]] of members.entries()) {
      const id = `P${i + 1}`;
      await tx.putPerson({ id, source: 'test', firstName: 'Jane', lastName: 'Doe', roles: [], classes: [], campuses: [], majors: [], emails: {}, verification: {}, createdAt: at, updatedAt: at });
      made.push((await tx.insertAccount(testAccount(id, username, uid))).id);
    }
    return made;
  });
  return ids as { -readonly [K in keyof M]: number };
}
