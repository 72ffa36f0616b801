/**
 * Homes and the whole host pipeline (`npm run bench`, called from main.ts).
 *
 * 1. The homes target creating 10,000 homes with a 3-file skeleton (observe,
 *    plan, apply), against the shell loop an admin would write for the same
 *    work — `mkdir -m 750` + `cp -a /etc/skel/.` + `chown -R` per account —
 *    on the same disk. Reported as a ratio (below 1: Roster is faster).
 * 2. The first whole-host `roster apply` of 100,000 accounts with homes on
 *    host shell (target ≤ 60 s, issue 17 item 5), then `roster account
 *    freeze U --apply shell` for one account among them, the whole command
 *    as a real CLI process on a converged host: target ≤ 400 ms, and at most
 *    half of what `usermod -L -e -R` takes on copies of the same files in
 *    the same run (issue 17 item 6). The command runs as installed, through
 *    dist/roster (the wrapper starting it from the V8 startup snapshot);
 *    each run's CPU time (user + system, from /usr/bin/time when the
 *    machine has it) is printed beside the wall time, as on a busy machine
 *    the wall time measures the other processes too. The two-command way
 *    (freeze, then a whole-host apply) is printed beside it, and so is what
 *    starting alone costs in the same turns (`node -e 0`, and `roster
 *    --version` from the snapshot), each as a share of usermod, and so is
 *    the floor: plain node making only the same edits
 *    (bench/freeze-floor.mjs), what any Node.js command needs at least.
 *
 * BENCH_HOMES_HOST_DIR=dir runs part 2 alone, on a host kept in `dir`: the
 * first run sets it up there (store, config, root and the first apply), later
 * runs unfreeze the accounts the last one froze and time the commands again,
 * without the slow first apply.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type { DesiredAccount, DesiredHost } from '../src/desired/desired-host.js';
import { fixedClock } from '../src/domain/clock.js';
import { openStore } from '../src/store/open-store.js';
import { homesConfigSchema } from '../src/targets/homes/homes-config.js';
import { homesTarget } from '../src/targets/homes/homes-target.js';
import { median } from './unix-bench.js';

const run = promisify(execFile);

export type Report = (what: string, seconds: number, targetSeconds: number, unit?: 's' | 'ms') => void;

const HOMES = Number(process.env.BENCH_HOMES ?? 10_000);
const HOST_ACCOUNTS = Number(process.env.BENCH_HOST_ACCOUNTS ?? 100_000);
const UID0 = 3_000_000_000;
const SKEL = ['.bash_logout', '.bashrc', '.profile'];

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function skeleton(root: string): void {
  mkdirSync(join(root, 'etc/skel'), { recursive: true });
  // The Debian skeleton's sizes, without reading the machine's own /etc.
  const sizes: Readonly<Record<string, number>> = { '.bash_logout': 220, '.bashrc': 3526, '.profile': 807 };
  for (const f of SKEL) writeFileSync(join(root, 'etc/skel', f), `${'#'.repeat((sizes[f] ?? 100) - 1)}\n`, { mode: 0o644 });
}

function account(i: number): DesiredAccount {
  const username = `u${i}x`;
  return {
    username, uid: UID0 + i, gid: UID0 + i, primaryGroup: username, gecos: username, home: `/home/${username}`, shell: '/bin/bash', type: 'member', personId: `P${i}`,
    passwordField: '!', principal: null, holds: [], disabled: false, expiryDay: null, lastChangeDay: 20_000, canLogin: true, groups: [],
    targets: { homes: { mode: 0o750, owner: 'user', skeleton: { copy: SKEL.map((f) => ({ from: `/etc/skel/${f}`, to: f })), link: [] } } },
  };
}

async function benchHomesTarget(dir: string, report: Report): Promise<void> {
  const root = join(dir, 'homes-root');
  skeleton(root);
  const desired: DesiredHost = { host: 'shell', at: new Date().toISOString(), timeZone: 'UTC', freezeKeep: [], accounts: Array.from({ length: HOMES }, (_, i) => account(i)), groups: [], removed: [] };
  const config = homesConfigSchema.parse({});
  const ctx = { root, host: 'shell', clock: fixedClock(new Date()), log: { info: () => undefined, warn: () => undefined } };
  const start = process.hrtime.bigint();
  const changes = homesTarget.plan(desired, await homesTarget.observe(ctx, config, desired), config);
  const results = await homesTarget.apply(ctx, config, changes, desired);
  const ours = seconds(start);
  if (results.length !== HOMES || results.some((r) => !r.ok)) throw new Error(`homes bench: ${results.filter((r) => !r.ok).length} of ${results.length} failed`);
  const again = process.hrtime.bigint();
  const converged = homesTarget.plan(desired, await homesTarget.observe(ctx, config, desired), config);
  const replan = seconds(again);
  if (converged.length !== 0) throw new Error('homes bench: not converged');

  const base = join(dir, 'shell-loop/home');
  mkdirSync(base, { recursive: true });
  const script = `for i in $(seq 0 ${HOMES - 1}); do h="$1/u\${i}x"; mkdir -m 750 "$h" && cp -a "$2/." "$h/" && chown -R $((${UID0} + i)):$((${UID0} + i)) "$h" || exit 1; done`;
  const shellStart = process.hrtime.bigint();
  execFileSync('bash', ['-c', script, 'loop', base, join(root, 'etc/skel')]);
  const shell = seconds(shellStart);
  process.stdout.write(
    `homes: ${HOMES.toLocaleString('en')} new homes with a ${SKEL.length}-file skeleton: roster ${ours.toFixed(2)} s (${Math.round(HOMES / ours).toLocaleString('en')}/s), ` +
      `mkdir+cp -a+chown shell loop ${shell.toFixed(2)} s; ratio roster/shell ${(ours / shell).toFixed(3)}; re-plan of the converged homes ${(replan * 1000).toFixed(0)} ms\n`,
  );
  report(`homes: ${HOMES.toLocaleString('en')} new homes, roster time as a share of the mkdir+cp -a shell loop`, ours, shell);
}

/** A store with `n` member accounts loaded in bulk (the figure is the commands, not the load). */
async function bulkStore(file: string, n: number): Promise<void> {
  const store = await openStore(file);
  await store.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const t = '2026-01-01T00:00:00.000Z';
  const person = db.prepare("insert into people (id, source, first_name, last_name, roles, classes, campuses, majors, emails, verification, created_at, updated_at) values (?, 'manual', 'Bench', ?, '[\"MEMBER\"]', '[]', '[]', '[]', '{}', '{}', ?, ?)");
  const insert = db.prepare(
    `insert into accounts (person_id, type, username, uid, gid, primary_group, gecos, shell, home, password_hash, principal, groups, expires_at, purge_at, purged_at, pending, created_at, updated_at)
     values (?, 'member', ?, ?, ?, ?, 'Bench Person', '/bin/bash', ?, null, null, '["members"]', null, null, null, 0, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const name = `m${i}x`;
      person.run(`P${i}`, `Person${i}`, t, t);
      insert.run(`P${i}`, name, UID0 + i, UID0 + i, name, `/home/${name}`, t, t);
    }
    db.prepare("insert into groups (name, gid, description, members, created_at) values ('members', ?, 'co-op members', '[]', ?)").run(UID0 + n + 1, t);
  })();
  db.close();
}

const TIME = '/usr/bin/time';

/**
 * Runs a program as `time` would, for the CPU time it took (user + system,
 * children included), or null where the machine has no /usr/bin/time.
 */
async function cpuTimed(file: string, args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string; readonly out: string }): Promise<{ readonly stdout: string; readonly cpu: number | null }> {
  const opts = { ...options, maxBuffer: 256 * 1024 * 1024 };
  if (!existsSync(TIME)) return { stdout: (await run(file, args, opts)).stdout, cpu: null };
  rmSync(options.out, { force: true });
  const { stdout } = await run(TIME, ['-f', '%U %S', '-o', options.out, file, ...args], opts);
  const [user, sys] = readFileSync(options.out, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return { stdout, cpu: (user ?? NaN) + (sys ?? NaN) };
}

/** The accounts part 2 freezes one at a time, then the one it freezes as two commands. */
const FROZEN = [...Array.from({ length: 9 }, (_, i) => `m${(i * 7919) % HOST_ACCOUNTS}x`), `m${HOST_ACCOUNTS - 1}x`];

async function benchApplyOne(work: string, report: Report): Promise<void> {
  const root = join(work, 'root');
  // A host kept from an earlier run (BENCH_HOMES_HOST_DIR) is converged already.
  const done = join(work, 'first-apply.done');
  const kept = existsSync(done);
  mkdirSync(work, { recursive: true });
  skeleton(root);
  const main = join(import.meta.dirname, '../dist/roster.mjs');
  const env = { ...process.env, ROSTER_CONFIG: join(work, 'roster.yaml'), TZ: 'UTC' };
  const roster = (args: readonly string[]): Promise<{ stdout: string }> => run(process.execPath, [main, ...args], { env, cwd: work, maxBuffer: 256 * 1024 * 1024 });
  // The one-account command as an admin runs it: the installed wrapper, from the startup snapshot.
  const bin = join(import.meta.dirname, '../dist/roster');
  if (!existsSync(bin)) throw new Error('homes bench: dist/roster is missing: npm run build first');
  const cpuOut = join(work, 'time.out');
  const host = ['--host', 'shell', '--root', root];

  let initial: number | null = null;
  if (kept) {
    for (const user of FROZEN) await roster(['account', 'unfreeze', user, '--reason', 'billing', '--apply', 'shell', '--root', root]);
  } else {
    await roster(['init', '--dir', work]);
    const yaml = readFileSync(join(work, 'roster.yaml'), 'utf8')
      .replace('uids: { min: 10000, max: 59999 }', `uids: { min: ${UID0}, max: ${UID0 + 10_000_000} }`)
      .replace('gids: { min: 10000, max: 59999 }', `gids: { min: ${UID0}, max: ${UID0 + 10_000_000} }`)
      // Kernel quotas do not work on these machines (DESIGN.md §8); btrfs without quotas is a no-op.
      .replace(/^( +)backend: setquota$/m, '$1backend: btrfs');
    writeFileSync(join(work, 'roster.yaml'), yaml);
    await bulkStore(join(work, 'roster.db'), HOST_ACCOUNTS);
    const setup = process.hrtime.bigint();
    await roster(['apply', ...host, '--allow-mass-change']);
    initial = seconds(setup);
    writeFileSync(done, '');
  }
  const noop = process.hrtime.bigint();
  await roster(['apply', ...host]);
  const converged = seconds(noop);

  // The whole command (the freeze committed and audited, then host shell
  // applied for that account) against the same edit by shadow-utils on copies
  // of the same 100,000-line files, taken in turns so both see the same machine.
  const theirs = join(work, 'usermod-root');
  mkdirSync(join(theirs, 'etc'), { recursive: true });
  // And the floor: plain node making only the same edits (bench/freeze-floor.mjs), on copies of its own,
  // with the malloc setting the wrapper gives roster and no CA file to read as it starts.
  const floorRoot = join(work, 'floor-root');
  mkdirSync(join(floorRoot, 'etc/security'), { recursive: true });
  for (const f of ['passwd', 'shadow', 'group', 'gshadow']) {
    const text = readFileSync(join(root, 'etc', f));
    writeFileSync(join(theirs, 'etc', f), text);
    writeFileSync(join(floorRoot, 'etc', f), text);
  }
  const floorScript = join(import.meta.dirname, 'freeze-floor.mjs');
  const floorEnv: NodeJS.ProcessEnv = { ...process.env, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' };
  delete floorEnv.NODE_EXTRA_CA_CERTS;
  const floor: number[] = [];
  const times: number[] = [];
  const usermod: number[] = [];
  const cpu: number[] = [];
  const usermodCpu: number[] = [];
  // What starting costs before any work, in the same turns: node itself, and
  // the roster command from its startup snapshot printing its version.
  const nodeStart: number[] = [];
  const rosterStart: number[] = [];
  for (const user of FROZEN.slice(0, -1)) {
    const nodeAt = process.hrtime.bigint();
    await run(process.execPath, ['-e', '0']);
    nodeStart.push(seconds(nodeAt));
    const versionAt = process.hrtime.bigint();
    await run(bin, ['--version'], { env });
    rosterStart.push(seconds(versionAt));
    const start = process.hrtime.bigint();
    const out = await cpuTimed(bin, ['account', 'freeze', user, '--reason', 'billing', '--apply', 'shell', '--root', root, '--json'], { env, cwd: work, out: cpuOut });
    times.push(seconds(start));
    if (out.cpu !== null) cpu.push(out.cpu);
    const r = JSON.parse(out.stdout) as { state: string; apply: { applied: number; failed: number; widened?: string } };
    if (r.state !== 'disabled' || r.apply.failed > 0 || r.apply.applied === 0 || r.apply.widened !== undefined) throw new Error(`freeze --apply of ${user}: ${out.stdout.slice(0, 500)}`);
    const theirStart = process.hrtime.bigint();
    const theirs1 = await cpuTimed('usermod', ['-R', theirs, '-L', '-e', '1970-01-02', user], { out: cpuOut });
    usermod.push(seconds(theirStart));
    if (theirs1.cpu !== null) usermodCpu.push(theirs1.cpu);
    const floorAt = process.hrtime.bigint();
    await run(process.execPath, [floorScript, floorRoot, join(work, 'floor.db'), user], { env: floorEnv });
    floor.push(seconds(floorAt));
  }
  // For comparison: the same freeze as two commands, the apply planning the whole host.
  const two = process.hrtime.bigint();
  await roster(['account', 'freeze', FROZEN.at(-1) ?? '', '--reason', 'billing']);
  const froze = seconds(two);
  await roster(['apply', ...host]);
  const whole = seconds(two) - froze;
  const ours = median(times);
  const them = median(usermod);
  process.stdout.write(
    `host pipeline, ${HOST_ACCOUNTS.toLocaleString('en')} accounts on host shell under a root prefix: first apply ${initial === null ? 'done by an earlier run' : `${initial.toFixed(1)} s`}, converged whole-host apply ${(converged * 1000).toFixed(0)} ms\n` +
      `  roster account freeze U --apply shell: ${times.map((t) => (t * 1000).toFixed(0)).join(', ')} ms (median ${(ours * 1000).toFixed(0)} ms); ` +
      `usermod -L -e -R on the same files: median ${(them * 1000).toFixed(0)} ms; ratio roster/usermod ${(ours / them).toFixed(2)}\n` +
      (cpu.length === 0
        ? ''
        : `  CPU time (user + system): roster median ${(median(cpu) * 1000).toFixed(0)} ms, usermod median ${(median(usermodCpu) * 1000).toFixed(0)} ms; ratio ${(median(cpu) / median(usermodCpu)).toFixed(2)}\n`) +
      `  starting alone: node -e 0 median ${(median(nodeStart) * 1000).toFixed(0)} ms (${(median(nodeStart) / them).toFixed(2)}× usermod), ` +
      `roster --version median ${(median(rosterStart) * 1000).toFixed(0)} ms (${(median(rosterStart) / them).toFixed(2)}× usermod)\n` +
      `  the floor, node making only the same edits (bench/freeze-floor.mjs: no configuration, lock, plan or audit chain): ` +
      `median ${(median(floor) * 1000).toFixed(0)} ms (${(median(floor) / them).toFixed(2)}× usermod); roster/floor ${(ours / median(floor)).toFixed(2)}\n` +
      `  as two commands (freeze ${(froze * 1000).toFixed(0)} ms, then a whole-host apply ${(whole * 1000).toFixed(0)} ms)\n`,
  );
  if (initial !== null) report(`first whole-host apply of ${HOST_ACCOUNTS.toLocaleString('en')} accounts with homes on host shell (roster apply --allow-mass-change)`, initial, 60);
  report(`roster account freeze --apply shell, one account among ${HOST_ACCOUNTS.toLocaleString('en')}, whole command (median of 9)`, ours, 0.4, 'ms');
  report(`  the same against half of usermod -L -e -R on the same files in this run (${(them * 1000).toFixed(0)} ms; ratio to usermod ${(ours / them).toFixed(2)}, target ≤ 0.5)`, ours, Math.round(them * 500) / 1000, 'ms');
  if (cpu.length > 0) {
    const [mine, its] = [median(cpu), median(usermodCpu)];
    report(`  its CPU time against half of usermod's in this run (${(its * 1000).toFixed(0)} ms; ratio ${(mine / its).toFixed(2)}, target ≤ 0.5)`, mine, Math.round(its * 500) / 1000, 'ms');
  }
}

export async function benchHomes(dir: string, report: Report): Promise<void> {
  const kept = process.env.BENCH_HOMES_HOST_DIR;
  if (kept !== undefined && kept !== '') return benchApplyOne(kept, report);
  await benchHomesTarget(dir, report);
  await benchApplyOne(join(dir, 'apply-one'), report);
}
