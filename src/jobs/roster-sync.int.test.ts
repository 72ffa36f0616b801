import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import type { AppContext } from '../app/app-context.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import { syncRoster } from './roster-sync.js';
import { CHUNK_ROWS } from './sync-parts.js';

const HEADER = 'id,first_name,last_name,roles,classes,campus,major,email';
const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken'];

/** `n` students with distinct names; `skip` rows left out (people absent from the file). */
function roster(n: number, skip: (i: number) => boolean = () => false): string {
  const lines = [HEADER];
  for (let i = 0; i < n; i++) if (!skip(i)) lines.push(`S${String(i).padStart(5, '0')},${FIRST[i % 8] ?? 'Ada'},Chunk${Math.floor(i / 8)},STUDENT,,NB,CS,`);
  return `${lines.join('\n')}\n`;
}

/**
 * The sync reads its file three times (validate, plan, apply) and plans a
 * chunk of rows at a time: more rows than a chunk must give one plan, the
 * report may list only the first changes while counting all, and a file
 * that changes between the passes changes nothing.
 */
describe.each(storeFactories)('roster sync in chunks on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;
  let dir: string;
  const rows = CHUNK_ROWS * 2 + 7;

  beforeEach(async () => {
    s = await factory.open();
    dir = await mkdtemp(join(tmpdir(), 'roster-sync-chunks-'));
    const base = exampleAppContext(s.store, '2026-05-01T10:00:00Z');
    const school = base.config.sources.school;
    if (school === undefined) throw new Error('the example declares the school source');
    // The leavers below are a third of the school: not what this test is about.
    ctx = { ...base, config: { ...base.config, sources: { school: { ...school, breaker: { count: 1_000_000, percent: 100 } } } } };
  });
  afterEach(async () => {
    await s.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('plans and applies more rows than a chunk as one plan; the report lists the first changes and counts all', async () => {
    const csv = join(dir, 'school.csv');
    await writeFile(csv, roster(rows));
    const dry = await syncRoster(ctx, { source: 'school', file: csv, dryRun: true, listed: 5 });
    expect(dry.summary).toMatchObject({ added: rows, created: rows });
    expect(dry.changes).toHaveLength(5);
    expect(dry.unlisted).toEqual({ changes: rows * 2 - 5, notes: 0 });
    const real = await syncRoster(ctx, { source: 'school', file: csv });
    expect(real.failures).toEqual([]);
    expect(real.changes).toHaveLength(rows * 2);
    expect(real.changes.slice(0, 5)).toEqual(dry.changes);
    const names = real.changes.flatMap((c) => (c.action === 'create' ? [c.username] : []));
    expect(new Set(names).size).toBe(rows);
    expect((await s.store.read.listAccounts({ limit: rows + 1 })).map((a) => a.username).sort()).toEqual([...names].sort());

    // Every third person leaves: absent people across chunks, retired in one plan.
    await writeFile(csv, roster(rows, (i) => i % 3 === 0));
    const leave = await syncRoster(ctx, { source: 'school', file: csv, listed: 0 });
    expect(leave.failures).toEqual([]);
    expect(leave.summary).toMatchObject({ retired: Math.ceil(rows / 3), unchanged: rows - Math.ceil(rows / 3) });
    expect(leave.breaker).toMatchObject({ affected: Math.ceil(rows / 3), total: rows });
    expect(leave.changes).toEqual([]);
  });

  it('a file changed after it was validated changes nothing', async () => {
    const csv = join(dir, 'school.csv');
    await writeFile(csv, roster(rows));
    let swapped = false;
    const run = syncRoster(ctx, {
      source: 'school',
      file: csv,
      progress: {
        // The validating pass reports its end: the file changes before it is read again.
        reading: (bytes, total) => {
          if (bytes === total && !swapped) {
            swapped = true;
            writeFileSync(csv, roster(rows).replace('Grace,Chunk0', 'Grace,Changed'));
          }
        },
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/changed while the sync was reading it/) });
    expect(swapped).toBe(true);
    expect(await s.store.read.listPeople({ source: 'school', limit: 1 })).toEqual([]);
  });
});
