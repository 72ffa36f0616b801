import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

const run = promisify(execFile);
const WORKER = resolve(import.meta.dirname, 'create-worker.ts');
const WORKERS = 8;
const EACH = 500;

async function race(configPath: string, databaseUrl: string): Promise<Array<{ username: string; uid: number }>> {
  const outputs = await Promise.all(
    Array.from({ length: WORKERS }, (_, w) =>
      run(process.execPath, ['--import', 'tsx', WORKER, configPath, databaseUrl, String(w), String(EACH)], { maxBuffer: 16 * 1024 * 1024, cwd: resolve(import.meta.dirname, '..'), timeout: 540_000 }),
    ),
  );
  return outputs.flatMap((o) => JSON.parse(o.stdout) as Array<{ username: string; uid: number }>);
}

describe('concurrent creation: 8 processes × 500 accounts into one database', () => {
  let sb: RosterSandbox;
  beforeAll(async () => {
    sb = await rosterSandbox();
  });
  afterAll(async () => sb.cleanup());

  it('SQLite: 4,000 distinct UIDs and usernames', async () => {
    const db = join(sb.dir, 'roster.db');
    const created = await race(join(sb.dir, 'roster.yaml'), db);
    expect(created).toHaveLength(WORKERS * EACH);
    expect(new Set(created.map((c) => c.uid)).size).toBe(WORKERS * EACH);
    expect(new Set(created.map((c) => c.username)).size).toBe(WORKERS * EACH);
    const store = await openStore(db);
    expect(await store.read.countAccounts()).toBe(WORKERS * EACH);
    await store.close();
  }, 600_000);

  it('PostgreSQL: 4,000 distinct UIDs and usernames', async () => {
    const { createPostgresDatabase } = await import('../src/store/test-stores.js');
    const pg = await createPostgresDatabase();
    try {
      const created = await race(join(sb.dir, 'roster.yaml'), pg.url);
      expect(new Set(created.map((c) => c.uid)).size).toBe(WORKERS * EACH);
      expect(new Set(created.map((c) => c.username)).size).toBe(WORKERS * EACH);
    } finally {
      await pg.drop();
    }
  }, 600_000);
});
