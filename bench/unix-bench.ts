/**
 * The unix target (`npm run bench`, called from main.ts).
 *
 * 1. Apply 100,000 accounts (each with its user-private group) to an empty
 *    root: observe + plan + apply, no homes. Target ≤ 1 s (issue 17 item 6;
 *    writing the four files with fsync and rename alone costs ~0.29 s).
 * 2. The same against the loop an admin would run instead, `useradd -R` once
 *    per account: useradd rewrites the whole files each time, so its cost per
 *    user grows with the number of users. Measured at 1,000 and 5,000
 *    existing users, fitted as a + b·n and summed over n = 0 … 99,999.
 * 3. Freezing one account among 100,000: the target's observe + plan + apply
 *    (the `roster apply` command around it is measured in homes-bench), next
 *    to `usermod -L -e 1970-01-02 -R` doing the same edit on the same files.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DesiredAccount } from '../src/desired/desired-host.js';
import { fixedClock } from '../src/domain/clock.js';
import type { TargetContext } from '../src/targets/target.js';
import { fixtureAccount, fixtureHost, frozen } from '../src/targets/unix/desired-fixture.js';
import { unixTarget } from '../src/targets/unix/unix-target.js';

const run = promisify(execFile);

export type Report = (what: string, seconds: number, targetSeconds: number, unit?: 's' | 'ms') => void;

const ACCOUNTS = Number(process.env.BENCH_UNIX_ACCOUNTS ?? 100_000);
const USERADD_SAMPLES = 20;
// A yescrypt hash's length, so the files are as big as real ones.
const HASH = `$y$j9T$${'s'.repeat(22)}$${'h'.repeat(43)}`;

function accounts(n: number, from = 0): DesiredAccount[] {
  return Array.from({ length: n }, (_, i) => fixtureAccount(`b${String(from + i).padStart(6, '0')}`, 100_000 + from + i, { passwordField: HASH, gecos: `Bench User ${from + i}` }));
}

function context(root: string): TargetContext {
  return { root, host: 'bench', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
}

const config = unixTarget.hostSettings.parse({});

interface Timed {
  readonly observe: number;
  readonly plan: number;
  readonly apply: number;
  readonly total: number;
  /** CPU time (user + system) of the whole converge: on a busy machine the wall time measures the other processes too. */
  readonly cpu: number;
  readonly changes: number;
}

async function converge(root: string, list: readonly DesiredAccount[]): Promise<Timed> {
  const desired = fixtureHost(list);
  const ctx = context(root);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const observed = await unixTarget.observe(ctx, config, desired);
  const t1 = performance.now();
  const plan = unixTarget.plan(desired, observed, config);
  const t2 = performance.now();
  const results = await unixTarget.apply(ctx, config, plan, desired);
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) throw new Error(`unix bench: ${failed.length} changes failed, first: ${failed[0]?.error ?? ''}`);
  return { observe: (t1 - t0) / 1000, plan: (t2 - t1) / 1000, apply: (t3 - t2) / 1000, total: (t3 - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6, changes: plan.length };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Seconds per `useradd -R` on a root that already holds `existing` users. */
async function useraddCost(dir: string, existing: number): Promise<number> {
  const root = await mkdtemp(join(dir, 'unix-useradd-'));
  try {
    await converge(root, accounts(existing));
    const start = performance.now();
    for (let i = 0; i < USERADD_SAMPLES; i++) {
      const name = `ua${i}`;
      await run('useradd', ['-R', root, '-u', String(900_000 + i), '-U', '-M', '-c', `Bench User ${i}`, '-d', `/home/${name}`, '-s', '/bin/bash', '-p', HASH, name]);
    }
    return (performance.now() - start) / 1000 / USERADD_SAMPLES;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function benchUnix(dir: string, report: Report): Promise<void> {
  const all = accounts(ACCOUNTS);
  const scale = ACCOUNTS.toLocaleString('en');

  // 1. Empty root → ACCOUNTS accounts, median of 3 fresh roots.
  const runs: Timed[] = [];
  let root = '';
  for (let i = 0; i < 3; i++) {
    if (root !== '') await rm(root, { recursive: true, force: true });
    root = await mkdtemp(join(dir, 'unix-bench-'));
    runs.push(await converge(root, all));
  }
  const fill = runs.slice().sort((a, b) => a.total - b.total)[1] ?? runs[0];
  if (fill === undefined) throw new Error('no run');
  process.stdout.write(
    `unix: ${scale} accounts into an empty root: observe ${(fill.observe * 1000).toFixed(0)} ms + plan ${(fill.plan * 1000).toFixed(0)} ms + apply ${(fill.apply * 1000).toFixed(0)} ms (${fill.changes.toLocaleString('en')} changes; runs ${runs.map((r) => `${r.total.toFixed(2)} s`).join(', ')}; CPU time ${runs.map((r) => `${r.cpu.toFixed(2)} s`).join(', ')})\n`,
  );
  report(`unix: apply ${scale} accounts to an empty root (observe+plan+apply, no homes, median of 3)`, fill.total, 1);

  // 2. The useradd loop, extrapolated from its cost at two sizes.
  const at1k = await useraddCost(dir, 1_000);
  const at5k = await useraddCost(dir, 5_000);
  const b = Math.max(0, (at5k - at1k) / 4_000);
  const a = at1k - b * 1_000;
  const loop = ACCOUNTS * a + (b * ACCOUNTS * (ACCOUNTS - 1)) / 2;
  process.stdout.write(
    `unix: useradd -R costs ${(at1k * 1000).toFixed(1)} ms per user at 1,000 users and ${(at5k * 1000).toFixed(1)} ms at 5,000 (${USERADD_SAMPLES} each): a loop of ${scale} from empty ≈ ${(loop / 60).toFixed(1)} min\n`,
  );
  report(`unix: the same ${scale} accounts, as a share of a useradd -R loop (extrapolated)`, fill.total, loop);

  // 3. Freeze one account among ACCOUNTS: target-level apply vs usermod -L -e.
  const freezeTimes: number[] = [];
  const current = [...all];
  for (let i = 0; i < 5; i++) {
    const k = 1_000 + i * 7_919;
    const victim = current[k];
    if (victim === undefined) break;
    current[k] = frozen(victim);
    const t = await converge(root, current);
    if (t.changes !== 1) throw new Error(`freezing one account planned ${t.changes} changes`);
    freezeTimes.push(t.total);
  }
  const usermodTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const name = all[2_000 + i * 7_919]?.username ?? '';
    const start = performance.now();
    await run('usermod', ['-R', root, '-L', '-e', '1970-01-02', name]);
    usermodTimes.push((performance.now() - start) / 1000);
  }
  const ours = median(freezeTimes);
  const theirs = median(usermodTimes);
  process.stdout.write(
    `unix: freeze one among ${scale}: target observe+plan+apply ${(ours * 1000).toFixed(0)} ms (median of 5) vs usermod -L -e -R ${(theirs * 1000).toFixed(0)} ms (median of 5) = ${(ours / theirs).toFixed(2)}× usermod\n`,
  );
  await rm(root, { recursive: true, force: true });
}
