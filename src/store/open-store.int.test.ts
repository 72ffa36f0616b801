import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import { rosterMigrations } from './migrations/migrate-to-latest.js';
import { openStore } from './open-store.js';
import type { Store } from './store.js';
import { createPostgresDatabase, storeFactories } from './test-stores.js';
import { verifyAudit } from './verify-audit.js';

const run = promisify(execFile);
const T0 = '2026-01-02T03:04:05.000Z';

async function rejection(p: Promise<unknown>): Promise<RosterError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RosterError) return e;
    throw e;
  }
  throw new Error('expected a RosterError, but the call succeeded');
}

/** A promise and the function that settles it: holds a transaction open until the test says so. */
function gate(): { readonly wait: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

describe('openStore on SQLite', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roster-open-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the file in WAL mode with the schema, and reopens without migrating again', async () => {
    const file = join(dir, 'wal.db');
    const store = await openStore(file);
    expect(store.dialect).toBe('sqlite');
    await store.transaction((q) => q.recordNotice('P1', 'warn:60', '2026-03-01', T0));
    await store.close();
    const again = await openStore(`sqlite:${file}`);
    expect(await again.transaction((q) => q.recordNotice('P1', 'warn:60', '2026-03-01', T0))).toBe(false);
    await again.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      // Every migration of the list, in order (each engineer's migration adds itself there).
      expect((db.prepare('select name from kysely_migration order by name').all() as Array<{ name: string }>).map((r) => r.name)).toEqual(Object.keys(rosterMigrations('sqlite')));
      expect(Object.keys(rosterMigrations('sqlite')).slice(0, 2)).toEqual(['0001-initial-schema', '0002-jobs-and-outbox']);
      const indexes = (db.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'accounts'").all() as Array<{ name: string }>).map((r) => r.name);
      expect(indexes).toEqual(expect.arrayContaining(['accounts_username_lower', 'accounts_purge_due', 'accounts_person', 'accounts_type']));
    } finally {
      db.close();
    }
  });

  it('accepts sqlite:// URLs and :memory:', async () => {
    const viaUrl = await openStore(`sqlite://${join(dir, 'url.db')}`);
    await viaUrl.close();
    const memory = await openStore(':memory:');
    await memory.transaction((q) => q.allocateUid('a', 'P1', { min: 1, max: 9 }, T0));
    expect(await memory.read.getReservation('a')).toMatchObject({ uid: 1 });
    await memory.close();
  });

  it('reports a file that cannot be opened as unavailable', async () => {
    const e = await rejection(openStore(join(dir, 'no-such-dir', 'x.db')));
    expect(e.code).toBe('unavailable');
    expect(e.message).toContain('no-such-dir');
  });

  it('refuses a database written by a newer Roster', async () => {
    const file = join(dir, 'newer.db');
    await (await openStore(file)).close();
    const db = new Database(file);
    db.prepare("insert into kysely_migration (name, timestamp) values ('9999-from-the-future', 'x')").run();
    db.close();
    const e = await rejection(openStore(file));
    expect(e.code).toBe('bad_config');
    expect(e.message).toContain('9999-from-the-future');
  });

  it('a writer blocked past busy_timeout gets lock_timeout, and the holder still commits', async () => {
    const file = join(dir, 'busy.db');
    const a = await openStore(file, { busyTimeoutMs: 200 });
    const b = await openStore(file, { busyTimeoutMs: 200 });
    try {
      const held = gate();
      const first = a.transaction(async (q) => {
        await q.allocateUid('first', 'P1', { min: 1, max: 9 }, T0);
        await held.wait;
      });
      // Let `first` take the write lock before `b` asks for it.
      await new Promise((r) => setTimeout(r, 20));
      const started = Date.now();
      const e = await rejection(b.transaction((q) => q.allocateUid('second', 'P2', { min: 1, max: 9 }, T0)));
      expect(e.code).toBe('lock_timeout');
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      // Readers are not blocked by the writer (WAL).
      expect(await b.read.listReservations()).toEqual([]);
      held.open();
      await first;
      expect(await b.transaction((q) => q.allocateUid('second', 'P2', { min: 1, max: 9 }, T0))).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('openStore on PostgreSQL', () => {
  it('reports an unreachable server as unavailable without printing the password', async () => {
    const e = await rejection(openStore('postgres://roster:s3cret@127.0.0.1:1/roster'));
    expect(e.code).toBe('unavailable');
    expect(e.message).toContain('127.0.0.1:1');
    expect(e.message).not.toContain('s3cret');
  });

  it('reports a missing database as unavailable', async () => {
    const url = new URL(process.env.ROSTER_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    url.pathname = '/roster_test_does_not_exist';
    const e = await rejection(openStore(url.toString()));
    expect(e.code).toBe('unavailable');
    expect(e.message).toContain('roster_test_does_not_exist');
  });

  it('refuses an unsupported scheme', async () => {
    await expect(openStore('mysql://root@localhost/roster')).rejects.toMatchObject({ code: 'bad_config' });
  });

  it('migrates once when several stores open a new database at the same time', async () => {
    const database = await createPostgresDatabase();
    try {
      const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(database.url)));
      for (const s of stores) expect(s.dialect).toBe('postgres');
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await database.drop();
    }
  });

  it('a writer blocked past lock_timeout gets lock_timeout', async () => {
    const database = await createPostgresDatabase();
    const store = await openStore(database.url, { busyTimeoutMs: 200 });
    try {
      const held = gate();
      const first = store.transaction(async (q) => {
        await q.allocateUid('first', 'P1', { min: 1, max: 9 }, T0);
        await held.wait;
      });
      await new Promise((r) => setTimeout(r, 50));
      const e = await rejection(store.transaction((q) => q.allocateUid('second', 'P2', { min: 1, max: 9 }, T0)));
      expect(e.code).toBe('lock_timeout');
      held.open();
      await first;
      expect(await store.transaction((q) => q.allocateUid('second', 'P2', { min: 1, max: 9 }, T0))).toBe(2);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});

const WORKERS = 4;
const EACH = 40;
const OPEN_STORE = resolve(import.meta.dirname, 'open-store.ts');

/** One process: open the store (racing the others to migrate it), then allocate and audit EACH times, one transaction each. */
function workerSource(url: string, worker: number): string {
  return `
    import { openStore } from ${JSON.stringify(OPEN_STORE)};
    const store = await openStore(${JSON.stringify(url)});
    const uids = [];
    for (let i = 0; i < ${EACH}; i++) {
      uids.push(await store.transaction(async (q) => {
        const username = 'w${worker}u' + i;
        const uid = await q.allocateUid(username, 'P${worker}', { min: 5000, max: 60000 }, new Date().toISOString());
        await q.appendAudit({ at: new Date().toISOString(), actor: 'test:w${worker}', action: 'uid.allocate', target: 'reservation:' + username, before: null, after: { uid }, result: 'ok' });
        return uid;
      }));
    }
    await store.close();
    process.stdout.write(JSON.stringify(uids));
  `;
}

describe.each(storeFactories)('several processes on one $name database', (factory) => {
  let store: Store | undefined;
  let url: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (factory.name === 'postgres') {
      const database = await createPostgresDatabase();
      url = database.url;
      cleanup = () => database.drop();
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'roster-procs-'));
      url = join(dir, 'roster.db');
      cleanup = () => rm(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await store?.close();
    await cleanup();
  });

  it(`${WORKERS} processes × ${EACH} transactions: distinct UIDs and one unbroken audit chain`, async () => {
    const outputs = await Promise.all(
      Array.from({ length: WORKERS }, (_, w) => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', workerSource(url, w)], { cwd: resolve(import.meta.dirname, '../..') })),
    );
    const uids = outputs.flatMap((o) => JSON.parse(o.stdout) as number[]);
    expect(uids).toHaveLength(WORKERS * EACH);
    expect(new Set(uids).size).toBe(WORKERS * EACH);
    store = await openStore(url);
    expect(await store.read.listReservations()).toHaveLength(WORKERS * EACH);
    const v = await verifyAudit(store.read);
    expect(v.problems).toEqual([]);
    expect(v.records).toBe(WORKERS * EACH);
  }, 120_000);
});
