/**
 * Roster sync figures for `npm run bench`: 100,000 rows into an empty store
 * (target ≤ 30 s), the same file again with no change (≤ 10 s), and a re-sync
 * with 1 % changes; peak resident memory of each.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { AppContext } from '../src/app/app-context.js';
import { parseConfig } from '../src/config/load-config.js';
import { exampleConfig } from '../src/config/example-config.js';
import { fixedClock } from '../src/domain/clock.js';
import { syncRoster, type SyncReport } from '../src/jobs/roster-sync.js';
import { openStore } from '../src/store/open-store.js';

const ROWS = Number(process.env.BENCH_SYNC_ROWS ?? 100_000);
const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Dennis', 'Radia', 'Frances', 'John', 'Leslie', 'Niklaus', 'Shafi', 'Tim'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Ritchie', 'Perlman', 'Allen', 'Backus', 'Lamport', 'Wirth', 'Goldwasser', 'Lee'];

export interface SyncFigure {
  readonly what: string;
  readonly seconds: number;
  readonly targetSeconds: number | null;
  readonly peakRssMiB: number;
  readonly summary: string;
}

/** Row i of the roster; `variant` changes 1 % of it: a class move, a leaver and a newcomer per 200 rows. */
function row(i: number, variant: boolean): string | null {
  if (variant && i % 200 === 1) return null;
  const id = `S${String(i).padStart(7, '0')}`;
  const cls = variant && i % 200 === 0 ? '01:198:113 (2026 fall)' : `01:198:${111 + (i % 3)} (2026 fall)`;
  return `${id},${FIRST[i % FIRST.length] ?? 'Ada'},${LAST[Math.floor(i / FIRST.length) % LAST.length] ?? 'Lee'}${Math.floor(i / 256)},STUDENT,${cls},NB,CS,`;
}

async function writeRoster(path: string, variant: boolean): Promise<void> {
  const out = createWriteStream(path);
  const write = async (line: string): Promise<void> => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  await write('id,first_name,last_name,roles,classes,campus,major,email');
  for (let i = 0; i < ROWS; i++) {
    const line = row(i, variant);
    if (line !== null) await write(line);
  }
  if (variant) for (let i = 0; i < ROWS / 200; i++) await write(`N${String(i).padStart(7, '0')},New,Comer${i},STUDENT,01:198:111 (2026 fall),NB,CS,`);
  out.end();
  await once(out, 'finish');
}

/** Peak RSS while `fn` runs, sampled every 20 ms (the process-wide maxRSS cannot be reset between runs). */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; peakRssMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const start = process.hrtime.bigint();
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9, peakRssMiB: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

function summary(r: SyncReport): string {
  const s = r.summary;
  return `added ${s.added}, created ${s.created}, updated ${s.updated}, retired ${s.retired}, reactivated ${s.reactivated}, unchanged ${s.unchanged}`;
}

export async function benchSync(dir: string): Promise<SyncFigure[]> {
  const base = parseConfig(exampleConfig(), join(dir, 'roster.yaml')).config;
  const config = { ...base, uids: { min: 10_000, max: 10_000_000 }, gids: { min: 10_000, max: 10_000_000 } };
  const store = await openStore(join(dir, 'sync.db'));
  const ctx = (at: string): AppContext => ({
    store,
    config,
    clock: fixedClock(new Date(at)),
    actor: 'bench',
    hmacKey: Buffer.alloc(32, 7),
    hasher: { hash: () => { throw new Error('the bench types do not generate passwords'); } },
    log: { info: () => undefined, warn: () => undefined },
  });
  const full = join(dir, 'roster-full.csv');
  const changed = join(dir, 'roster-changed.csv');
  await writeRoster(full, false);
  await writeRoster(changed, true);
  const figures: SyncFigure[] = [];
  const run = async (what: string, file: string, at: string, targetSeconds: number | null): Promise<void> => {
    global.gc?.();
    const { value, seconds, peakRssMiB } = await measured(() => syncRoster(ctx(at), { file, source: 'school' }));
    if (value.failures.length > 0) throw new Error(`${what}: ${value.failures.length} failures, e.g. ${value.failures[0]?.error ?? ''}`);
    figures.push({ what, seconds, targetSeconds, peakRssMiB, summary: summary(value) });
  };
  try {
    await run(`sync ${ROWS.toLocaleString('en')} rows into an empty store`, full, '2026-03-01T10:00:00Z', 30);
    await run(`re-sync ${ROWS.toLocaleString('en')} rows, no change`, full, '2026-03-02T10:00:00Z', 10);
    await run(`re-sync ${ROWS.toLocaleString('en')} rows with 1 % changes`, changed, '2026-03-03T10:00:00Z', null);
  } finally {
    await store.close();
  }
  return figures;
}
