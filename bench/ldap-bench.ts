/**
 * The ldap target at 100,000 accounts (issue 13; `npm run bench`, called
 * from main.ts, alone with BENCH_ONLY=ldap).
 *
 * One host, `dir`, whose only target is ldap, writing to a real slapd
 * (test/daemons/slapd-server.ts: mdb with maxsize 4 GiB and `dbnosync`, the
 * starter's indexes, ppolicy on, on a loopback port, data in a temp dir,
 * stopped by its PID at the end, also when the bench fails or is
 * interrupted). A second slapd with the very same slapd.conf settings
 * (dbnosync included) takes the ldapadd baseline. roster.yaml turns on
 * ppolicy and authorizedService (sshd: login, imap: mail) with freeze.keep
 * [portal], so a freeze locks the whole entry: shadowExpire 1,
 * pwdAccountLockedTime and the authorizedService values removed. The store
 * holds BENCH_LDAP_ACCOUNTS accounts (100,000; people in one transaction,
 * then the batch use case, no password hashing); filling it is timed and
 * printed, but it is not a figure.
 *
 * The figures, each the whole command as a process (dist/roster, the
 * command as the package installs it: from the V8 startup snapshot; so
 * `npm run build` first):
 * - the initial load: `roster apply --host dir` into an empty directory (an
 *   entry and a user-private group per account, then Roster's read-back
 *   verify), against `ldapadd -x -f FILE` of the same entries into the
 *   second, empty slapd in the same run (the LDIF is what ldapsearch reads
 *   back of Roster's load, untimed). The issue sets no target for the load:
 *   the ratio is reported.
 * - one freeze among them: `roster account freeze U --reason security
 *   --apply dir` and the matching unfreeze, BENCH_LDAP_ROUNDS (5) each,
 *   medians against the target ≤ 300 ms. Each round also runs them the
 *   way without the snapshot (`node dist/roster.mjs`, the bundle through its
 *   code cache) on another account, for the ratio in the same run. After each, ldapsearch checks the
 *   entry from outside (untimed): locked while frozen, and after the
 *   unfreeze exactly the entry it was before the freeze.
 * Beside them, the floor of any command (`node -e ''`, and `roster account
 * show U`: start, roster.yaml, the store). Last, the same freezes and
 * unfreezes in-process, with the projection, the target's observe, plan,
 * apply and verify timed and the LDAP operations of each counted (the
 * scoped observe is one search under usersDn for the account and one under
 * groupsDn for its groups, the apply one modify, the verify one base read),
 * to show where the command's time goes.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { startSlapd, type SlapdServer } from '../test/daemons/slapd-server.js';
import { createAccounts } from '../src/app/accounts.js';
import type { AppContext } from '../src/app/app-context.js';
import { applyHost } from '../src/app/apply-host.js';
import { freezeAccount, unfreezeAccount } from '../src/app/lifecycle-actions.js';
import { buildPerson } from '../src/app/person-input.js';
import { parseConfig } from '../src/config/load-config.js';
import { projectAccounts } from '../src/desired/project-host.js';
import { systemClock } from '../src/domain/clock.js';
import { openStore } from '../src/store/open-store.js';
import { orderedTargets, targetRegistry, type AnyTarget } from '../src/targets/registry.js';
import type { Reported, Report } from './services-bench.js';
import { failures, ms, mustRun, runProgram, seconds, teardownOnSignal, type ApplyJson } from './bench-process.js';
import { median } from './unix-bench.js';

const HOST = 'dir';
const UID0 = 2_300_000_000;
const HMAC_KEY = 'l'.repeat(64);
const PASSWORD_FILE = '/etc/roster/ldap.password';
const REASON = 'security';
/** The LDAP operations the in-process breakdown counts, by ldapts' method names. */
const OPERATIONS = ['bind', 'search', 'add', 'modify', 'del'] as const;

function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got "${text}"`);
  return n;
}

const username = (i: number): string => `l${i}x`;

function configText(slapd: SlapdServer): string {
  const ldap = {
    url: slapd.url,
    bindDn: slapd.rootDn,
    bindPasswordFile: PASSWORD_FILE,
    usersDn: slapd.peopleDn,
    groupsDn: slapd.groupsDn,
    ppolicy: true,
    authorizedService: { sshd: 'login', imap: 'mail' },
  };
  return `# The bench's roster.yaml (bench/ldap-bench.ts): one host whose only target is ldap.
timeZone: UTC
database: roster.db
uids: { min: ${UID0}, max: ${UID0 + 9_999_999} }
gids: { min: ${UID0}, max: ${UID0 + 9_999_999} }
freeze: { keep: [portal] }
hosts:
  ${HOST}:
    targets:
      ldap: ${JSON.stringify(ldap)}
types:
  member:
    hosts: { live: [${HOST}] }
`;
}

/** The store: people in one transaction, then accounts by the batch use case (no hashing). */
async function fillStore(ctx: AppContext, accounts: number): Promise<void> {
  const now = new Date().toISOString();
  await ctx.store.transaction(async (tx) => {
    for (let i = 0; i < accounts; i++) await tx.putPerson(buildPerson({ id: `P${i}`, firstName: 'Bench', lastName: `Member${i}`, roles: ['MEMBER'] }, ctx.hmacKey, now));
  });
  const created = await createAccounts(ctx, Array.from({ length: accounts }, (_, i) => ({ personId: `P${i}`, type: 'member', username: username(i) })));
  const failed = created.filter((r) => !r.ok);
  if (failed.length > 0) throw new Error(`ldap bench: ${failed.length} account creations failed`);
}

interface Roster {
  applyAll(allowMassChange: boolean): Promise<ApplyJson>;
  lifecycle(verb: 'freeze' | 'unfreeze', user: string): Promise<{ readonly state: string; readonly apply: ApplyJson }>;
}

/** The command as the package installs it (the wrapper, from the startup snapshot), and the bundle run by node without the snapshot. */
const BIN = join(import.meta.dirname, '../dist/roster');
const WITHOUT_SNAPSHOT = [process.execPath, join(import.meta.dirname, '../dist/roster.mjs')] as const;

function rosterCommand(work: string, root: string, [file, ...before]: readonly string[] = [BIN]): Roster {
  const env = { ...process.env, ROSTER_CONFIG: join(work, 'roster.yaml'), ROSTER_HMAC_KEY: HMAC_KEY, TZ: 'UTC' };
  const roster = async (args: readonly string[]): Promise<unknown> => {
    const r = await runProgram(file ?? BIN, [...before, ...args], { env, cwd: work });
    try {
      return JSON.parse(r.stdout) as unknown;
    } catch {
      throw new Error(`roster ${args.join(' ')}: exit ${r.code}, no JSON: ${r.stderr.slice(-2000)}${r.stdout.slice(0, 500)}`);
    }
  };
  return {
    async applyAll(allowMassChange) {
      return (await roster(['apply', '--host', HOST, '--root', root, '--json', ...(allowMassChange ? ['--allow-mass-change'] : [])])) as ApplyJson;
    },
    async lifecycle(verb, user) {
      return (await roster(['account', verb, user, '--reason', REASON, '--apply', HOST, '--root', root, '--json'])) as { state: string; apply: ApplyJson };
    },
  };
}

/** The account's entry as ldapsearch prints it (user attributes and the ppolicy lock), '' when there is none. */
async function entryOf(slapd: SlapdServer, user: string): Promise<string> {
  const text = await slapd.ldapsearch(slapd.peopleDn, `(uid=${user})`, ['*', 'pwdAccountLockedTime']);
  return text.trim();
}

function valuesIn(ldif: string, attribute: string): string[] {
  const prefix = `${attribute.toLowerCase()}: `;
  return ldif
    .split('\n')
    .filter((l) => l.toLowerCase().startsWith(prefix))
    .map((l) => l.slice(prefix.length));
}

/** What is wrong with a frozen entry: it must carry every lock and no authorizedService. */
function frozenProblems(ldif: string): string[] {
  const p: string[] = [];
  if (ldif === '') return ['the entry is gone'];
  if (valuesIn(ldif, 'shadowExpire').join(',') !== '1') p.push(`shadowExpire ${JSON.stringify(valuesIn(ldif, 'shadowExpire'))}`);
  if (valuesIn(ldif, 'pwdAccountLockedTime').length !== 1) p.push(`pwdAccountLockedTime ${JSON.stringify(valuesIn(ldif, 'pwdAccountLockedTime'))}`);
  if (valuesIn(ldif, 'authorizedService').length > 0) p.push(`authorizedService ${JSON.stringify(valuesIn(ldif, 'authorizedService'))}`);
  return p;
}

/** The LDAP operations this process makes, counted by wrapping ldapts' Client methods (the in-process breakdown only). */
function countOperations(): { readonly counts: Map<string, number>; restore(): void } {
  const counts = new Map<string, number>();
  const proto = Client.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const originals = OPERATIONS.map((name) => [name, proto[name]] as const);
  for (const [name, original] of originals) {
    if (original === undefined) throw new Error(`ldap bench: ldapts Client has no ${name}`);
    proto[name] = function (this: unknown, ...a: unknown[]) {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return original.apply(this, a);
    };
  }
  return {
    counts,
    restore: () => {
      for (const [name, original] of originals) if (original !== undefined) proto[name] = original;
    },
  };
}

/** The ldap target with its observe, plan, apply and verify timed (ms) and their LDAP operations counted. */
function timedLdap(targets: readonly AnyTarget[], times: Map<string, number>, ops: Map<string, string>, counts: ReadonlyMap<string, number>): AnyTarget[] {
  const snapshot = (): Map<string, number> => new Map(counts);
  const note = (step: string, start: number, before: ReadonlyMap<string, number>): void => {
    times.set(step, (times.get(step) ?? 0) + performance.now() - start);
    const made = OPERATIONS.map((o) => [o, (counts.get(o) ?? 0) - (before.get(o) ?? 0)] as const).filter(([, n]) => n > 0);
    ops.set(step, made.length === 0 ? 'none' : made.map(([o, n]) => `${n} ${o}`).join(' + '));
  };
  return targets.map((t): AnyTarget => {
    if (t.name !== 'ldap') return t;
    const verify = t.verify?.bind(t);
    return {
      ...t,
      observe: async (...a) => {
        const s = performance.now();
        const b = snapshot();
        try {
          return await t.observe(...a);
        } finally {
          note('observe', s, b);
        }
      },
      plan: (...a) => {
        const s = performance.now();
        const b = snapshot();
        try {
          return t.plan(...a);
        } finally {
          note('plan', s, b);
        }
      },
      apply: async (...a) => {
        const s = performance.now();
        const b = snapshot();
        try {
          return await t.apply(...a);
        } finally {
          note('apply', s, b);
        }
      },
      ...(verify === undefined
        ? {}
        : {
            verify: async (...a: Parameters<typeof verify>) => {
              const s = performance.now();
              const b = snapshot();
              try {
                return await verify(...a);
              } finally {
                note('verify', s, b);
              }
            },
          }),
    };
  });
}

/** Freezes and unfreezes in-process, each step timed and its LDAP operations counted: where the command's time goes. */
async function breakdown(ctx: AppContext, root: string, users: readonly string[]): Promise<void> {
  const counter = countOperations();
  try {
    for (const verb of ['freeze', 'unfreeze'] as const) {
      const runs: Array<Map<string, number>> = [];
      let ops = new Map<string, string>();
      for (const user of users) {
        const times = new Map<string, number>();
        ops = new Map<string, string>();
        const timed = orderedTargets(timedLdap(targetRegistry, times, ops, counter.counts));
        if (verb === 'unfreeze') {
          await freezeAccount(ctx, user, { reason: REASON });
          await applyHost(ctx, targetRegistry, { host: HOST, root, accounts: [user] });
        }
        const start = performance.now();
        if (verb === 'freeze') await freezeAccount(ctx, user, { reason: REASON });
        else await unfreezeAccount(ctx, user, { reason: REASON });
        times.set('store', performance.now() - start);
        const result = await applyHost(ctx, timed, { host: HOST, root, accounts: [user] });
        times.set('total', performance.now() - start);
        if (result.summary.failed + result.summary.skipped > 0 || result.summary.applied !== 1) {
          throw new Error(`ldap bench, in-process ${verb} of ${user}: ${result.summary.applied} applied, ${result.summary.failed} failed, ${result.summary.skipped} skipped`);
        }
        if (verb === 'freeze') {
          await unfreezeAccount(ctx, user, { reason: REASON });
          await applyHost(ctx, targetRegistry, { host: HOST, root, accounts: [user] });
        }
        runs.push(times);
      }
      const of = (key: string): number => median(runs.map((t) => t.get(key) ?? 0));
      const steps = ['observe', 'plan', 'apply', 'verify'];
      const rest = median(runs.map((t) => (t.get('total') ?? 0) - (t.get('store') ?? 0) - steps.reduce((a, s) => a + (t.get(s) ?? 0), 0)));
      process.stdout.write(
        `  where an in-process ${verb} spends its ${of('total').toFixed(1)} ms (medians of ${runs.length}): the ${verb} in the store ${of('store').toFixed(1)}; ` +
          `${steps.map((s) => `${s} ${of(s).toFixed(1)} (${ops.get(s) ?? 'not run'})`).join(', ')}; projection, lock and audit ${rest.toFixed(1)}\n`,
      );
    }
  } finally {
    counter.restore();
  }
  const projection: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await projectAccounts(ctx.store.read, ctx.config, HOST, ctx.clock.now(), users.slice(0, 1), targetRegistry);
    projection.push(performance.now() - start);
  }
  process.stdout.write(`  the projection of one account (projectAccounts) ${median(projection).toFixed(1)} ms\n`);
}

export async function benchLdap(dir: string, report: Report, reported: Reported): Promise<void> {
  const accounts = envNumber('BENCH_LDAP_ACCOUNTS', 100_000);
  const rounds = envNumber('BENCH_LDAP_ROUNDS', 5);
  const teardown = teardownOnSignal('ldap');
  const stops = teardown.stops;
  try {
    if (!targetRegistry.some((t) => t.name === 'ldap')) throw new Error('ldap bench: the ldap target is not registered');
    if (!existsSync(BIN)) throw new Error('ldap bench: dist/roster is missing: npm run build first');
    process.stdout.write(`ldap: ${accounts.toLocaleString('en')} accounts on host ${HOST} (an entry and a user-private group each), ppolicy and authorizedService on; freeze.keep [portal]\n`);

    const daemonsStart = process.hrtime.bigint();
    // The same starter, so the same slapd.conf: mdb, maxsize 4 GiB, dbnosync, the same indexes, ppolicy.
    const slapd = await startSlapd({ ppolicy: true });
    stops.push(() => slapd.stop());
    const baseline = await startSlapd({ ppolicy: true });
    stops.push(() => baseline.stop());
    process.stdout.write(`  two slapds up in ${seconds(daemonsStart).toFixed(1)} s (mdb, maxsize 4 GiB, dbnosync, both): Roster's ${slapd.url} (PID ${slapd.pid}), ldapadd's ${baseline.url} (PID ${baseline.pid})\n`);

    const root = await mkdtemp(join(tmpdir(), 'roster-ldap-root-'));
    stops.push(() => rm(root, { recursive: true, force: true }));
    await mkdir(join(root, 'etc/roster'), { recursive: true });
    await writeFile(join(root, PASSWORD_FILE), `${slapd.rootPassword}\n`, { mode: 0o600 });

    const work = join(dir, 'ldap');
    await mkdir(work, { recursive: true });
    const text = configText(slapd);
    await writeFile(join(work, 'roster.yaml'), text);
    const { config } = parseConfig(text, join(work, 'roster.yaml'), { targets: targetRegistry });
    const fillStart = process.hrtime.bigint();
    const fillStore0 = await openStore(join(work, 'roster.db'));
    const fillCtx: AppContext = {
      store: fillStore0,
      config,
      clock: systemClock,
      actor: 'bench',
      hmacKey: Buffer.from(HMAC_KEY, 'utf8'),
      hasher: { hash: () => { throw new Error('the bench creates accounts without passwords'); } },
      log: { info: () => undefined, warn: (m) => process.stderr.write(`ldap bench: ${m}\n`) },
    };
    try {
      await fillStore(fillCtx, accounts);
    } finally {
      await fillStore0.close();
    }
    const filled = seconds(fillStart);
    const roster = rosterCommand(work, root);

    // The initial load: the whole command into an empty directory.
    const loadStart = process.hrtime.bigint();
    const first = await roster.applyAll(true);
    const load = seconds(loadStart);
    if (first.failed + first.skipped > 0) throw new Error(`ldap bench, the initial load: ${first.failed} failed, ${first.skipped} skipped: ${failures(first)}`);
    const againStart = process.hrtime.bigint();
    const again = await roster.applyAll(false);
    const converged = seconds(againStart);

    // The same entries for ldapadd: what ldapsearch reads back of Roster's load (untimed), into the second slapd.
    const ldifStart = process.hrtime.bigint();
    const people = await slapd.ldapsearch(slapd.peopleDn, '(objectClass=posixAccount)', ['*']);
    const groups = await slapd.ldapsearch(slapd.groupsDn, '(objectClass=posixGroup)', ['*']);
    const ldif = `${people.trim()}\n\n${groups.trim()}\n`;
    const file = join(work, 'load.ldif');
    await writeFile(file, ldif);
    const entries = ldif.split('\n').filter((l) => l.startsWith('dn: ')).length;
    const dumped = seconds(ldifStart);
    if (entries !== first.applied) throw new Error(`ldap bench: ldapsearch read back ${entries} entries, Roster applied ${first.applied} changes`);
    const addStart = process.hrtime.bigint();
    await mustRun('ldapadd', ['-x', '-H', baseline.url, '-D', baseline.rootDn, '-w', baseline.rootPassword, '-f', file]);
    const added = seconds(addStart);
    const inBaseline = (await baseline.ldapsearch(baseline.baseDn, '(|(objectClass=posixAccount)(objectClass=posixGroup))', ['1.1'])).split('\n').filter((l) => l.startsWith('dn: ')).length;
    if (inBaseline !== entries) throw new Error(`ldap bench: ldapadd left ${inBaseline} entries, not ${entries}`);

    process.stdout.write(
      `  setup: store filled in ${filled.toFixed(1)} s; converged whole-host apply after the load ${converged.toFixed(2)} s (${again.outcomes.length} changes); ` +
        `ldapsearch of the ${entries.toLocaleString('en')} entries to ${(ldif.length / 1024 / 1024).toFixed(0)} MiB of LDIF ${dumped.toFixed(1)} s\n` +
        `  initial load: roster apply --host ${HOST} (whole command: projection, observe, ${first.applied.toLocaleString('en')} adds, read-back verify) ${load.toFixed(1)} s; ` +
        `ldapadd -f of the same ${entries.toLocaleString('en')} entries ${added.toFixed(1)} s; ratio ${(load / added).toFixed(2)}\n`,
    );
    reported(`ldap: initial load of ${accounts.toLocaleString('en')} accounts (${entries.toLocaleString('en')} entries), roster apply --host, whole command`, `${load.toFixed(1)} s`);
    reported('ldap: initial load, roster apply / ldapadd -f of the same LDIF (same slapd.conf)', `${(load / added).toFixed(2)}× (${load.toFixed(1)} s vs ${added.toFixed(1)} s)`);

    // One freeze among them, whole command, each way; checked from outside after each.
    const users = Array.from({ length: rounds }, (_, r) => username(Math.floor(((2 * r + 1) * accounts) / (2 * rounds))));
    const plain = rosterCommand(work, root, WITHOUT_SNAPSHOT);
    const times = { freeze: [] as number[], unfreeze: [] as number[] };
    const timesWithout = { freeze: [] as number[], unfreeze: [] as number[] };
    /** A freeze and an unfreeze of `user` by `command`, timed into `into`, each checked from outside. */
    const round = async (command: Roster, user: string, into: typeof times): Promise<void> => {
      const before = await entryOf(slapd, user);
      if (before === '' || valuesIn(before, 'shadowExpire').length > 0 || valuesIn(before, 'pwdAccountLockedTime').length > 0 || valuesIn(before, 'authorizedService').length === 0) throw new Error(`ldap bench: ${user}'s entry is not an active one before the freeze:\n${before}`);
      let start = process.hrtime.bigint();
      const froze = await command.lifecycle('freeze', user);
      into.freeze.push(seconds(start));
      if (froze.state !== 'disabled' || froze.apply.applied !== 1 || froze.apply.failed + froze.apply.skipped > 0 || froze.apply.widened !== undefined) {
        throw new Error(`ldap bench: roster account freeze ${user} --apply: state ${froze.state}, ${froze.apply.applied} applied, ${froze.apply.failed} failed, widened ${froze.apply.widened ?? 'no'}: ${failures(froze.apply)}`);
      }
      const problems = frozenProblems(await entryOf(slapd, user));
      if (problems.length > 0) throw new Error(`ldap bench: ${user} frozen by roster, but its entry has ${problems.join(', ')}`);
      start = process.hrtime.bigint();
      const thawed = await command.lifecycle('unfreeze', user);
      into.unfreeze.push(seconds(start));
      if (thawed.state !== 'active' || thawed.apply.applied !== 1 || thawed.apply.failed + thawed.apply.skipped > 0) {
        throw new Error(`ldap bench: roster account unfreeze ${user} --apply: state ${thawed.state}, ${thawed.apply.applied} applied, ${thawed.apply.failed} failed: ${failures(thawed.apply)}`);
      }
      const after = await entryOf(slapd, user);
      if (after !== before) throw new Error(`ldap bench: ${user} unfrozen by roster, but its entry is not what it was:\nbefore:\n${before}\nafter:\n${after}`);
    };
    for (const [r, user] of users.entries()) {
      await round(roster, user, times);
      // The same on the next account, without the snapshot: the ratio in the same run, on a machine that changes.
      await round(plain, username(Math.floor(((2 * r + 1) * accounts) / (2 * rounds)) + 1), timesWithout);
    }
    const list = (xs: readonly number[]): string => xs.map((x) => (x * 1000).toFixed(0)).join(', ');
    const [f, u] = [median(times.freeze), median(times.unfreeze)];
    const [f0, u0] = [median(timesWithout.freeze), median(timesWithout.unfreeze)];
    process.stdout.write(
      `  roster account freeze U --reason ${REASON} --apply ${HOST}: ${list(times.freeze)} ms (median ${ms(f)}); unfreeze: ${list(times.unfreeze)} ms (median ${ms(u)})\n` +
        `  the same without the startup snapshot (node dist/roster.mjs, code cache), on the next account each round: freeze ${list(timesWithout.freeze)} ms (median ${ms(f0)}); unfreeze ${list(timesWithout.unfreeze)} ms (median ${ms(u0)}); snapshot/without ${(f / f0).toFixed(2)} and ${(u / u0).toFixed(2)}\n` +
        `  checked from outside after each (ldapsearch): frozen, shadowExpire 1, pwdAccountLockedTime and no authorizedService; unfrozen, the entry exactly as before the freeze\n`,
    );
    const scale = `one account among ${accounts.toLocaleString('en')} (${entries.toLocaleString('en')} entries), whole command`;
    report(`ldap: roster account freeze --apply, ${scale} (median of ${rounds})`, f, 0.3, 'ms');
    report(`ldap: roster account unfreeze --apply, ${scale} (median of ${rounds})`, u, 0.3, 'ms');

    // The command without the target: a process that starts, reads roster.yaml and the store, and stops.
    const floor: number[] = [];
    const env = { ...process.env, ROSTER_CONFIG: join(work, 'roster.yaml'), ROSTER_HMAC_KEY: HMAC_KEY, TZ: 'UTC' };
    for (let i = 0; i < 3; i++) {
      const start = process.hrtime.bigint();
      const r = await runProgram(BIN, ['account', 'show', users[0] ?? username(0), '--json'], { env, cwd: work });
      floor.push(seconds(start));
      if (r.code !== 0) throw new Error(`roster account show: exit ${r.code}: ${r.stderr.slice(-1000)}`);
    }
    const bare: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = process.hrtime.bigint();
      await mustRun(process.execPath, ['-e', '']);
      bare.push(seconds(start));
    }
    process.stdout.write(`  the floor: node -e '' ${ms(median(bare))}; roster account show U (start, roster.yaml, store) ${ms(median(floor))}; medians of 3\n`);

    const store = await openStore(join(work, 'roster.db'));
    stops.push(() => store.close());
    await breakdown({ ...fillCtx, store }, root, users.slice(0, Math.min(users.length, 3)));
  } finally {
    await teardown.done();
  }
}
