/**
 * `npm run bench`: figures on SQLite, each with its ratio to the target in
 * issue/DESIGN terms (the named baseline). Targets are checked here, never in
 * timed unit tests. BENCH_ONLY=services (or a comma-separated list of the
 * parts below) runs only those parts.
 *
 * BENCH_DATABASE=postgres runs the server-side parts (server, billing-scim,
 * agents) on PostgreSQL: the cluster at BENCH_PG (else ROSTER_TEST_PG, else
 * postgres://postgres@127.0.0.1:5432/postgres), in databases of the bench's
 * own (`roster_bench_<pid>_<part>`), created at the start of each part and
 * dropped after it, also on failure (bench/bench-database.ts). The other
 * parts run on SQLite whatever it says. billing-scim and agents start the
 * built `roster serve` (dist/roster.mjs: `npm run build` first).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AppContext } from '../src/app/app-context.js';
import { createAccounts } from '../src/app/accounts.js';
import { buildPerson } from '../src/app/person-input.js';
import { parseConfig } from '../src/config/load-config.js';
import { exampleConfig } from '../src/config/example-config.js';
import { fixedClock } from '../src/domain/clock.js';
import { openStore } from '../src/store/open-store.js';
import { verifyAudit } from '../src/store/verify-audit.js';
import { benchAgents } from './agents-bench.js';
import { benchDialect, dropBenchDatabases } from './bench-database.js';
import { benchBillingScim } from './billing-scim-bench.js';
import { benchConsoleSearch } from './console-search-bench.js';
import { benchHomes } from './homes-bench.js';
import { benchLdap } from './ldap-bench.js';
import { benchPortal } from './portal-bench.js';
import { benchServer } from './server-bench.js';
import { benchServices } from './services-bench.js';
import { benchSync } from './sync-bench.js';
import { benchUnix } from './unix-bench.js';
import { benchWatch } from './watch-bench.js';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const BIG = Number(process.env.BENCH_BIG ?? 1_000_000);
const DUE = 1_000;

interface Row {
  readonly what: string;
  readonly figure: string;
  readonly target: string;
  readonly ratio: number;
}
const rows: Row[] = [];

function report(what: string, seconds: number, targetSeconds: number, unit = 's'): void {
  const figure = unit === 'ms' ? `${(seconds * 1000).toFixed(2)} ms` : `${seconds.toFixed(2)} s`;
  const target = unit === 'ms' ? `≤ ${targetSeconds * 1000} ms` : `≤ ${targetSeconds} s`;
  rows.push({ what, figure, target, ratio: seconds / targetSeconds });
  process.stdout.write(`${what}: ${figure} (target ${target}; ${(seconds / targetSeconds).toFixed(2)}× of target)\n`);
}

/** A figure without a target of its own (a ratio to a baseline that does other work), listed as reported. */
function reported(what: string, figure: string): void {
  rows.push({ what, figure, target: 'reported', ratio: NaN });
  process.stdout.write(`${what}: ${figure} (reported)\n`);
}

function contextFor(store: AppContext['store'], config: AppContext['config']): AppContext {
  return {
    store,
    config,
    clock: fixedClock(new Date('2026-11-23T12:00:00Z')),
    actor: 'bench',
    hmacKey: Buffer.alloc(32, 7),
    hasher: { hash: () => { throw new Error('the bench creates accounts without password hashing'); } },
    log: { info: () => undefined, warn: () => undefined },
  };
}

async function benchCreate(dir: string): Promise<void> {
  const config = { ...parseConfig(exampleConfig(), 'roster.yaml').config, uids: { min: 10_000, max: 10_000_000 }, gids: { min: 10_000, max: 10_000_000 } };
  const file = join(dir, 'create.db');
  const store = await openStore(file);
  const ctx = contextFor(store, config);
  // People arrive in one transaction (what a roster import does); the figure is account creation.
  await store.transaction(async (tx) => {
    for (let i = 0; i < ACCOUNTS; i++) await tx.putPerson(buildPerson({ id: `P${i}`, firstName: 'Bench', lastName: `Person${i}`, roles: ['MEMBER'] }, ctx.hmacKey, '2026-11-23T12:00:00.000Z'));
  });
  const start = process.hrtime.bigint();
  const results = await createAccounts(ctx, Array.from({ length: ACCOUNTS }, (_, i) => ({ personId: `P${i}`, type: 'member', username: `u${i}x` })));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const failed = results.filter((r) => !r.ok).length;
  if (failed > 0) throw new Error(`${failed} creations failed`);
  report(`create ${ACCOUNTS.toLocaleString('en')} accounts (batches of 500, one audit record each, no hashing)`, seconds * (100_000 / ACCOUNTS), 20);
  process.stdout.write(`  rate: ${Math.round(ACCOUNTS / seconds).toLocaleString('en')} accounts/s\n`);

  const vStart = process.hrtime.bigint();
  const v = await verifyAudit(store.read);
  const vSeconds = Number(process.hrtime.bigint() - vStart) / 1e9;
  if (!v.ok) throw new Error('audit chain did not verify');
  process.stdout.write(`audit verify: ${v.records.toLocaleString('en')} records in ${vSeconds.toFixed(2)} s = ${Math.round(v.records / vSeconds).toLocaleString('en')} records/s\n`);
  rows.push({ what: 'audit verify rate', figure: `${Math.round(v.records / vSeconds)} records/s`, target: 'reported', ratio: NaN });
  await store.close();
}

async function benchPurgeSelect(dir: string): Promise<void> {
  const file = join(dir, 'purge.db');
  const store = await openStore(file);
  await store.close();
  // Bulk-load with one prepared statement: the figure is the query, not the load.
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const person = db.prepare("insert into people (id, source, first_name, last_name, roles, classes, campuses, majors, emails, verification, created_at, updated_at) values ('BIG', 'manual', 'Big', 'Load', '[]', '[]', '[]', '[]', '{}', '{}', ?, ?)");
  const t = '2026-01-01T00:00:00.000Z';
  person.run(t, t);
  const insert = db.prepare(
    `insert into accounts (person_id, type, username, uid, gid, primary_group, gecos, shell, home, password_hash, principal, groups, expires_at, purge_at, purged_at, pending, created_at, updated_at)
     values ('BIG', 'member', ?, ?, ?, ?, 'Big Load', '/bin/bash', ?, null, null, '[]', ?, ?, null, 0, ?, ?)`,
  );
  const load = db.transaction(() => {
    for (let i = 0; i < BIG; i++) {
      const name = `b${i}x`;
      // 1,000 due (yesterday), 50,000 scheduled later, the rest not retiring.
      const purgeAt = i % (BIG / DUE) === 0 ? '2026-11-22T00:00:00.000Z' : i % 20 === 1 ? '2027-03-01T00:00:00.000Z' : null;
      insert.run(name, 100_000 + i, 100_000 + i, name, `/home/${name}`, purgeAt, purgeAt, t, t);
    }
  });
  load();
  db.pragma('optimize');
  db.close();

  const s = await openStore(file);
  const now = '2026-11-23T12:00:00.000Z';
  let found = 0;
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const start = process.hrtime.bigint();
    found = (await s.read.purgeCandidates(now)).length;
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  await s.close();
  times.sort((a, b) => a - b);
  if (found !== DUE) throw new Error(`expected ${DUE} candidates, found ${found}`);
  report(`select ${DUE} purge candidates among ${BIG.toLocaleString('en')} accounts (median of 21)`, times[10] ?? 0, 0.05, 'ms');
  const plan = new Database(file, { readonly: true });
  const rowsPlan = plan.prepare("explain query plan select id, username, purge_at from accounts where purged_at is null and purge_at <= ? order by purge_at").all(now) as Array<{ detail: string }>;
  plan.close();
  process.stdout.write(`  query plan: ${rowsPlan.map((r) => r.detail).join(' | ')}\n`);
}

/** Roster sync (bench/sync-bench.ts): times against their targets, and peak memory of each run (against its target where it has one). */
async function benchSyncFigures(dir: string): Promise<void> {
  for (const f of await benchSync(dir)) {
    if (f.targetSeconds === null) {
      rows.push({ what: f.what, figure: `${f.seconds.toFixed(2)} s`, target: 'reported', ratio: NaN });
      process.stdout.write(`${f.what}: ${f.seconds.toFixed(2)} s (reported)\n`);
    } else {
      report(f.what, f.seconds, f.targetSeconds);
    }
    if (f.peakTargetMiB === null) {
      process.stdout.write(`  peak RSS ${f.peakRssMiB.toFixed(0)} MiB; ${f.summary}\n`);
    } else {
      const ratio = f.peakRssMiB / f.peakTargetMiB;
      rows.push({ what: `peak RSS of ${f.what}`, figure: `${f.peakRssMiB.toFixed(0)} MiB`, target: `≤ ${f.peakTargetMiB} MiB`, ratio });
      process.stdout.write(`  peak RSS ${f.peakRssMiB.toFixed(0)} MiB (target ≤ ${f.peakTargetMiB} MiB; ${ratio.toFixed(2)}× of target); ${f.summary}\n`);
    }
  }
}

const dir = await mkdtemp(join(tmpdir(), 'roster-bench-'));
const parts: Readonly<Record<string, () => Promise<void>>> = {
  create: () => benchCreate(dir),
  purge: () => benchPurgeSelect(dir),
  sync: () => benchSyncFigures(dir),
  homes: () => benchHomes(dir, report),
  unix: () => benchUnix(dir, report),
  server: () => benchServer(dir, report),
  services: () => benchServices(dir, report, reported),
  ldap: () => benchLdap(dir, report, reported),
  portal: () => benchPortal(dir, report, reported),
  watch: () => benchWatch(dir, report, reported),
  'console-search': () => benchConsoleSearch(dir, report, reported),
  'billing-scim': () => benchBillingScim(dir, report, reported),
  agents: () => benchAgents(dir, report, reported),
};
const only = (process.env.BENCH_ONLY ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
const unknown = only.filter((p) => !Object.hasOwn(parts, p));
if (unknown.length > 0) throw new Error(`BENCH_ONLY names unknown parts: ${unknown.join(', ')} (parts: ${Object.keys(parts).join(', ')})`);
try {
  process.stdout.write(`Roster benchmarks on SQLite${benchDialect() === 'postgres' ? ' (server, billing-scim and agents on PostgreSQL)' : ''} (${new Date().toISOString()}, node ${process.version})\nbaseline: the targets of the core issue\n\n`);
  for (const [name, part] of Object.entries(parts)) if (only.length === 0 || only.includes(name)) await part();
  process.stdout.write(`\n${rows.filter((r) => !Number.isNaN(r.ratio)).every((r) => r.ratio <= 1) ? 'all targets met' : 'SOME TARGETS MISSED'}\n`);
} finally {
  await dropBenchDatabases();
  await rm(dir, { recursive: true, force: true });
}
