import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashAccountNames, crashDesired } from '../../../test/unix-crash-desired.js';
import { transpileForNode } from '../../../test/transpile-for-node.js';
import { converge, judge, makeRoot, planOnly, removeRoot } from '../../../test/unix-root.js';
import { OWNED_STATE_PATH } from './owned-state.js';
import { processAlive as alive } from '../../system/process-alive.js';

/**
 * Crash safety (DESIGN.md §7): an apply of a big change (2,000 accounts
 * changed, 2,000 added) is SIGKILLed at a random moment, 200 times. Every
 * time, each file must be exactly its old or its new version (a stray
 * `<file>+` is allowed), and the next apply must converge to exactly the new
 * version. pwck and grpck judge the old and the new version once: a file
 * that is byte-identical to a judged version needs no second opinion (and
 * grpck on 4,000 members costs seconds, 400 times over).
 */
const N = 2000;
const RUNS = 200;
const SLOTS = 3;
const FILES = ['etc/group', 'etc/gshadow', 'etc/passwd', 'etc/shadow'] as const;

type Version = Record<string, Buffer>;
const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let work: string;
let driver: string;
let oldVersion: Version;
let newVersion: Version;
let applyMs = 0;
const slots: string[] = [];

async function snapshot(root: string): Promise<Version> {
  const out: Version = {};
  for (const f of [...FILES, OWNED_STATE_PATH]) out[f] = await readFile(join(root, f));
  return out;
}

async function restore(root: string, version: Version): Promise<void> {
  await mkdir(join(root, OWNED_STATE_PATH, '..'), { recursive: true });
  for (const [f, bytes] of Object.entries(version)) {
    await writeFile(join(root, f), bytes);
    const secret = f.endsWith('shadow');
    await chown(join(root, f), 0, secret ? 42 : 0);
    await chmod(join(root, f), secret ? 0o640 : f === OWNED_STATE_PATH ? 0o600 : 0o644);
  }
}

async function expectJudgesClean(root: string): Promise<void> {
  const { pwck, grpck } = await judge(root);
  expect(`${pwck.stdout}${pwck.stderr}${grpck.stdout}${grpck.stderr}`).toBe('');
  expect([pwck.code, grpck.code]).toEqual([0, 0]);
}

/** Starts the driver, lets it load, says go, and kills it `delayMs` later (or lets it finish). */
async function runDriver(root: string, delayMs: number | null): Promise<{ readonly killed: boolean; readonly report: string }> {
  const child = spawn(process.execPath, [driver, root, 'new', String(N)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  expect(first.value).toBe('ready');
  const exited = once(child, 'exit');
  child.stdin.write('go\n');
  let killed = false;
  if (delayMs !== null) {
    await new Promise((r) => setTimeout(r, delayMs));
    killed = child.kill('SIGKILL') && child.exitCode === null;
  }
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  const rest = await iterator.next();
  lines.close();
  if (signal !== 'SIGKILL') expect(code).toBe(0);
  return { killed: signal === 'SIGKILL' && killed, report: typeof rest.value === 'string' ? rest.value : '' };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'roster-crash-'));
  driver = await transpileForNode(resolve(import.meta.dirname, '../../../test/unix-apply-driver.ts'), join(work, 'driver'));
  const names = crashAccountNames(N);
  const prepare = async (): Promise<string> => {
    const root = await makeRoot();
    for (const n of names) await mkdir(join(root, 'home', n), { recursive: true });
    return root;
  };
  const reference = await prepare();
  expect((await converge(reference, crashDesired('old', N))).results.every((r) => r.ok)).toBe(true);
  await expectJudgesClean(reference);
  oldVersion = await snapshot(reference);
  expect((await converge(reference, crashDesired('new', N))).results.every((r) => r.ok)).toBe(true);
  await expectJudgesClean(reference);
  expect(await planOnly(reference, crashDesired('new', N))).toEqual([]);
  newVersion = await snapshot(reference);
  for (let i = 0; i < SLOTS; i++) slots.push(await prepare());
  // How long an uninterrupted apply takes in the driver, to aim the kills.
  await restore(reference, oldVersion);
  const calibration = await runDriver(reference, null);
  applyMs = (JSON.parse(calibration.report) as { ms: number }).ms;
  expect(await snapshot(reference)).toEqual(newVersion);
  await removeRoot(reference);
}, 120_000);

afterAll(async () => {
  for (const s of slots) await removeRoot(s);
  await rm(work, { recursive: true, force: true });
});

describe('unix apply killed at random moments', () => {
  it(`leaves every file old or new across ${RUNS} kills, and the next apply converges`, async () => {
    const tally = { old: 0, new: 0, mixed: 0, ownershipClaimedOnly: 0 };
    const versionOf = (f: string, bytes: Buffer): 'old' | 'new' | 'torn' =>
      digest(bytes) === digest(oldVersion[f] ?? Buffer.alloc(0)) ? 'old' : digest(bytes) === digest(newVersion[f] ?? Buffer.alloc(0)) ? 'new' : 'torn';
    let next = 0;
    let aim = 1;
    let stop = false;
    const worker = async (root: string): Promise<void> => {
      try {
        await runs(root);
      } catch (e) {
        stop = true; // the other slots finish their current run and stop, before afterAll removes the roots
        throw e;
      }
    };
    const runs = async (root: string): Promise<void> => {
      for (;;) {
        const run = next++;
        if (run >= RUNS || stop) return;
        await restore(root, oldVersion);
        // Half the kills anywhere in the apply, half aimed at the writes; the
        // aim follows the outcomes, since the apply is slower when the slots
        // compete for the CPU than when it was timed alone.
        const span = applyMs * aim;
        const delay = run % 2 === 0 ? Math.random() * span * 1.2 : span * (0.6 + Math.random() * 0.5);
        await runDriver(root, delay);

        const now = await snapshot(root);
        const versions = FILES.map((f) => versionOf(f, now[f] ?? Buffer.alloc(0)));
        expect(versions, `run ${run}: ${FILES.join(', ')}`).not.toContain('torn');
        // The ownership file is old, new, or the claimed superset written before the files; never torn.
        const owned = JSON.parse((now[OWNED_STATE_PATH] ?? Buffer.alloc(0)).toString('utf8')) as { users: string[] };
        expect(Array.isArray(owned.users)).toBe(true);
        const kind = versions.every((v) => v === 'old') ? 'old' : versions.every((v) => v === 'new') ? 'new' : 'mixed';
        tally[kind]++;
        const ownedVersion = versionOf(OWNED_STATE_PATH, now[OWNED_STATE_PATH] ?? Buffer.alloc(0));
        if (kind === 'old' && ownedVersion === 'torn') tally.ownershipClaimedOnly++;
        if (kind === 'old') aim = Math.min(aim * 1.08, 20);
        if (kind === 'new') aim = Math.max(aim * 0.93, 0.2);
        if (kind === 'new') {
          // Killed after the last rename (or not at all): nothing left to do.
          expect(await planOnly(root, crashDesired('new', N)), `run ${run}`).toEqual([]);
        } else {
          // Leftovers allowed: <file>+, the dead PID's lock files, which this apply takes over.
          const { results } = await converge(root, crashDesired('new', N));
          expect(results.filter((r) => !r.ok)).toEqual([]);
          // Byte-identical to the judged new version, ownership included, so the plan is empty too.
          const converged = await snapshot(root);
          for (const f of [...FILES, OWNED_STATE_PATH]) {
            expect(digest(converged[f] ?? Buffer.alloc(0)), `run ${run}: ${f} after the next apply`).toBe(digest(newVersion[f] ?? Buffer.alloc(0)));
          }
        }
        // A lock file left by the killed PID is stale: the next apply takes it over (the one
        // above did, unless the plan was already empty because the kill came after the last rename).
        for (const f of FILES) {
          const pid = await readFile(join(root, `${f}.lock`), 'latin1').then((t) => Number(t.split('\0')[0]), () => null);
          if (pid !== null) expect(alive(pid), `run ${run}: ${f}.lock held by live PID ${pid}`).toBe(false);
        }
      }
    };
    const settled = await Promise.allSettled(slots.map((s) => worker(s)));
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    process.stderr.write(`unix crash test: ${JSON.stringify(tally)}, apply ≈ ${applyMs.toFixed(0)} ms\n`);
    expect(tally.old + tally.new + tally.mixed).toBe(RUNS);
    // The kills did land before, between and after the renames.
    expect(tally.old).toBeGreaterThan(0);
    expect(tally.mixed + tally.new).toBeGreaterThan(0);
  }, 180_000);
});
