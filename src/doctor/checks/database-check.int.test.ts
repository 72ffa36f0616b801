import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rosterMigrations } from '../../store/migrations/migrate-to-latest.js';
import { openStore } from '../../store/open-store.js';
import { createPostgresDatabase } from '../../store/test-stores.js';
import { doctorTestRoot, type DoctorTestRoot } from '../doctor-test-root.js';
import type { DoctorCheck } from '../doctor-check.js';
import { databaseCheck } from './database-check.js';

const MIGRATE = 'roster audit verify (any command that opens the database creates it and applies the migrations)';

describe('database check (reachable and migrated, read without changing anything)', () => {
  let t: DoctorTestRoot;
  beforeEach(async () => {
    t = await doctorTestRoot();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function run(url: string): Promise<DoctorCheck[]> {
    return [...(await databaseCheck(t.global(await t.config('timeZone: UTC\ntypes: { member: {} }\n'), await t.system(), url)))];
  }

  it('fails a SQLite file that is not there, and does not create it', async () => {
    const file = join(t.dir, 'roster.db');
    expect(await run(file)).toEqual([{ check: 'database', status: 'fail', message: `the database ${file} does not exist yet`, fix: MIGRATE }]);
    await expect(access(file)).rejects.toThrow(/ENOENT/);
  });

  it('passes a migrated SQLite database, fails one missing a migration or with one from a newer Roster', async () => {
    const file = join(t.dir, 'roster.db');
    await (await openStore(file)).close();
    expect(await run(file)).toMatchObject([{ status: 'ok', message: `the database ${file} is reachable and its schema is current` }]);
    const last = Object.keys(rosterMigrations('sqlite')).at(-1) ?? '';
    const db = new Database(file);
    db.prepare('delete from kysely_migration where name = ?').run(last);
    expect(await run(file)).toEqual([{ check: 'database', status: 'fail', message: `the database ${file} lacks migrations ${last}`, fix: MIGRATE }]);
    db.prepare("insert into kysely_migration (name, timestamp) values (?, 'x'), ('9999-from-the-future', 'x')").run(last);
    db.close();
    expect(await run(file)).toMatchObject([{ status: 'fail', message: `the database ${file} has migrations this Roster does not know (9999-from-the-future): a newer Roster uses it` }]);
  });

  it('fails a file that is not a database', async () => {
    const file = join(t.dir, 'roster.db');
    await writeFile(file, 'not a database, just text that is long enough to have a header\n'.repeat(10));
    const [check] = await run(file);
    expect(check?.status).toBe('fail');
    expect(check?.message).toMatch(new RegExp(`^cannot read the database ${file}: file is not a database`));
  });

  it('fails an unreachable PostgreSQL with the password hidden', async () => {
    const [check] = await run('postgres://roster:secret@127.0.0.1:1/roster');
    expect(check?.status).toBe('fail');
    expect(check?.message).toMatch(/^cannot read the database postgres:\/\/roster:\*\*\*@127\.0\.0\.1:1\/roster: /);
    expect(JSON.stringify(check)).not.toContain('secret');
  });

  it('fails an empty PostgreSQL database as unmigrated and passes it once migrated', async () => {
    const pg = await createPostgresDatabase();
    try {
      const [empty] = await run(pg.url);
      expect(empty).toMatchObject({ status: 'fail', fix: MIGRATE });
      expect(empty?.message).toContain(`lacks migrations ${Object.keys(rosterMigrations('postgres')).join(', ')}`);
      await (await openStore(pg.url)).close();
      expect(await run(pg.url)).toMatchObject([{ status: 'ok' }]);
    } finally {
      await pg.drop();
    }
  });
});
