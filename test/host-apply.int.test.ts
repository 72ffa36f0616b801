import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox, type RunResult } from './roster-cli.js';

/**
 * `roster plan` / `roster apply` end to end through the CLI, on the example
 * roster.yaml from `roster init`, under a temp root prefix. Changed for the
 * test only where this machine requires it:
 * - UIDs from 2,100,000,000: the processes target signals real processes of
 *   managed UIDs, so test accounts must not share UIDs with anything else.
 * - quotas stay off in the types: kernel quotas do not work here (DESIGN.md
 *   §8), and with no quota to enforce the quota target has nothing to do.
 * - member hooks: a script that logs its environment and fails for names
 *   starting with "bad".
 */

const UID_BASE = 2_100_000_000;
const PASSWORD = 'Tr0ub4dor&3-horse';

interface Sandbox {
  readonly sb: RosterSandbox;
  readonly root: string;
  readonly hookLog: string;
  roster(args: readonly string[]): Promise<RunResult>;
}

async function sandbox(edit: (yaml: string) => string = (y) => y): Promise<Sandbox> {
  const sb = await rosterSandbox();
  const root = join(sb.dir, 'root');
  const hookLog = join(sb.dir, 'hooks.log');
  const hook = join(sb.dir, 'hook.sh');
  writeFileSync(
    hook,
    [
      '#!/bin/sh',
      `echo "$1 $ROSTER_EVENT $ROSTER_USERNAME uid=$ROSTER_UID home=$ROSTER_HOME type=$ROSTER_TYPE host=$ROSTER_HOST root=$ROSTER_ROOT site=$SITE" >> ${hookLog}`,
      'case "$ROSTER_USERNAME" in bad*) echo "no mailbox for $ROSTER_USERNAME" >&2; exit 4;; esac',
    ].join('\n'),
    { mode: 0o755 },
  );
  const path = join(sb.dir, 'roster.yaml');
  let yaml = readFileSync(path, 'utf8')
    .replace('uids: { min: 10000, max: 59999 }', `uids: { min: ${UID_BASE}, max: ${UID_BASE + 999_999} }`)
    .replace('gids: { min: 10000, max: 59999 }', `gids: { min: ${UID_BASE}, max: ${UID_BASE + 999_999} }`)
    .replace('processes: { graceSeconds: 10 }', 'processes: { graceSeconds: 1 }')
    .replace('      # hooks: { onCreate: [/usr/local/sbin/welcome, --new], timeoutSeconds: 30 }', `      hooks: { onCreate: [${hook}, first], onEnsure: [${hook}, again], timeoutSeconds: 10 }`);
  yaml = edit(yaml);
  writeFileSync(path, yaml);
  // A root prefix with the base system's own entries (which Roster must keep byte for byte) and a skeleton.
  mkdirSync(join(root, 'etc/skel'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:20000:0:99999:7:::\nwww-data:*:20000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nwww-data:x:33:\n');
  writeFileSync(join(root, 'etc/gshadow'), 'root:*::\nwww-data:*::\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc/skel/.bashrc'), '# ~/.bashrc\n');
  writeFileSync(join(root, 'etc/skel/.profile'), '# ~/.profile\n', { mode: 0o600 });
  const roster = (args: readonly string[]): Promise<RunResult> => sb.run(args);
  return { sb, root, hookLog, roster };
}

async function member(s: Sandbox, id: string, username: string): Promise<void> {
  const p = await s.roster(['person', 'add', '--id', id, '--first', 'Test', '--last', username, '--role', 'MEMBER']);
  expect(p.stderr).toBe('');
  const a = await s.sb.run(['account', 'create', id, '--type', 'member', '--username', username, '--password-stdin'], { stdin: `${PASSWORD}\n` });
  expect(a.stderr).toBe('');
  expect(a.code).toBe(0);
}

function hookLines(s: Sandbox): string[] {
  return existsSync(s.hookLog) ? readFileSync(s.hookLog, 'utf8').trim().split('\n') : [];
}

const ETC = ['etc/passwd', 'etc/shadow', 'etc/group', 'etc/gshadow', 'etc/security/roster-frozen.users', 'etc/security/limits.d/roster.conf'];

function etcSnapshot(root: string): Record<string, string> {
  return Object.fromEntries(ETC.map((f) => [f, readFileSync(join(root, f), 'utf8')]));
}

function lineOf(root: string, file: string, user: string): string | undefined {
  return readFileSync(join(root, file), 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
}

/** Type, mode, owner and SHA-256 of everything in a tree: what purge + restore must bring back. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const path = rel === '' ? dir : join(dir, rel);
    const st = lstatSync(path);
    const what = st.isFile() ? `file ${createHash('sha256').update(readFileSync(path)).digest('hex')}` : st.isSymbolicLink() ? `link ${readlinkSync(path)}` : 'dir';
    out.push(`${rel || '.'} ${what} ${st.isSymbolicLink() ? '-' : (st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`);
    if (st.isDirectory()) for (const n of readdirSync(path).sort()) walk(rel === '' ? n : `${rel}/${n}`);
  };
  walk('');
  return out;
}

interface PlanJson {
  pending: number;
  recurring: number;
  changes: Array<{ target: string; action: string; subject: string; summary: string; destructive: boolean; recurring: boolean }>;
}
interface ApplyJson {
  applied: number;
  failed: number;
  skipped: number;
  recurring: number;
  outcomes: Array<{ target: string; action: string; subject: string; account?: string; status: string; error?: string; detail?: unknown }>;
}

describe('roster apply --host shell: the whole lifecycle on one host (SQLite)', () => {
  let s: Sandbox;
  let ada: number;
  beforeAll(async () => {
    s = await sandbox();
    await member(s, 'M1', 'ada');
    await member(s, 'M2', 'carl');
    ada = (await s.sb.json<{ uid: number }>(['account', 'show', 'ada'])).uid;
  });
  afterAll(async () => s.sb.cleanup());

  const R = (): string[] => ['--host', 'shell', '--root', s.root];

  it('plans every target in order, applies it, and a second apply finds nothing to do', async () => {
    const plan = await s.roster(['plan', ...R(), '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    const planned = await s.sb.json<PlanJson>(['plan', ...R()]);
    const targets = [...new Set(planned.changes.map((c) => c.target))];
    expect(targets).toEqual(['login', 'homes', 'unix', 'limits', 'hooks']);

    const first = await s.roster(['apply', ...R(), '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout) as ApplyJson;
    expect(report.failed).toBe(0);

    // Homes: type mode and owner, group = primary GID, skeleton copied.
    const home = join(s.root, 'home/ada');
    const st = lstatSync(home);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o750, ada, ada]);
    expect(readFileSync(join(home, '.bashrc'), 'utf8')).toBe('# ~/.bashrc\n');
    expect(lstatSync(join(home, '.profile')).mode & 0o777).toBe(0o600);
    // unix: the base system's lines stay first and unchanged; GIDs are unique.
    expect(readFileSync(join(s.root, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:root:\/root:\/bin\/bash\nwww-data:x:33:33:www-data:\/var\/www:\/usr\/sbin\/nologin\n/);
    expect(lineOf(s.root, 'etc/passwd', 'ada')).toBe(`ada:x:${ada}:${ada}:Test ada:/home/ada:/bin/bash`);
    const gids = readFileSync(join(s.root, 'etc/group'), 'utf8').trim().split('\n').map((l) => l.split(':')[2]);
    expect(new Set(gids).size).toBe(gids.length);
    // shadow-utils as a judge: the password is usable (P), not locked.
    expect(execFileSync('passwd', ['-S', '-R', s.root, 'ada'], { encoding: 'utf8' })).toMatch(/^ada P /);
    // Hooks: onCreate before onEnsure, once each, with the account in the environment.
    expect(hookLines(s)).toEqual([
      `first create ada uid=${ada} home=/home/ada type=member host=shell root=${s.root} site=example`,
      `again ensure ada uid=${ada} home=/home/ada type=member host=shell root=${s.root} site=example`,
      `first create carl uid=${ada + 1} home=/home/carl type=member host=shell root=${s.root} site=example`,
      `again ensure carl uid=${ada + 1} home=/home/carl type=member host=shell root=${s.root} site=example`,
    ]);

    // Converged: only the recurring onEnsure hooks remain, and they are not drift.
    const again = await s.roster(['plan', ...R(), '--detailed-exitcode']);
    expect(again.code).toBe(0);
    const view = await s.sb.json<PlanJson>(['plan', ...R()]);
    expect([view.pending, view.recurring]).toEqual([0, 2]);
    const second = await s.sb.json<ApplyJson>(['apply', ...R()]);
    expect([second.applied, second.failed, second.recurring]).toEqual([0, 0, 2]);
    expect(hookLines(s).filter((l) => l.includes(' create '))).toHaveLength(2);
    expect(hookLines(s).filter((l) => l.includes(' ensure '))).toHaveLength(4);
  });

  it('freeze → apply → unfreeze → apply leaves the /etc files byte-identical', async () => {
    const before = etcSnapshot(s.root);
    expect((await s.roster(['account', 'freeze', 'ada', '--reason', 'billing'])).code).toBe(0);
    expect((await s.roster(['plan', ...R(), '--detailed-exitcode'])).code).toBe(2);
    const frozen = await s.sb.json<ApplyJson>(['apply', ...R()]);
    expect(frozen.failed).toBe(0);
    expect(lineOf(s.root, 'etc/shadow', 'ada')).toMatch(/^ada:!\$y\$/);
    expect(execFileSync('passwd', ['-S', '-R', s.root, 'ada'], { encoding: 'utf8' })).toMatch(/^ada L /);
    expect(readFileSync(join(s.root, 'etc/security/roster-frozen.users'), 'utf8')).toBe('ada\n');
    expect(readFileSync(join(s.root, 'etc/cron.deny'), 'utf8')).toBe('ada\n');
    // While frozen: no onEnsure for ada, and its home untouched.
    const ensured = hookLines(s).filter((l) => l.startsWith('again ensure ada')).length;
    expect((await s.roster(['plan', ...R(), '--detailed-exitcode'])).code).toBe(0);

    expect((await s.roster(['account', 'unfreeze', 'ada', '--reason', 'billing'])).code).toBe(0);
    const thawed = await s.sb.json<ApplyJson>(['apply', ...R()]);
    expect(thawed.failed).toBe(0);
    expect(etcSnapshot(s.root)).toEqual(before);
    expect(readFileSync(join(s.root, 'etc/cron.deny'), 'utf8')).toBe('');
    expect(hookLines(s).filter((l) => l.startsWith('again ensure ada')).length).toBe(ensured + 1);
    expect((await s.roster(['plan', ...R(), '--detailed-exitcode'])).code).toBe(0);
  });

  it('account freeze/unfreeze --apply shell change the store and apply that account only, as a whole-host apply would', async () => {
    const before = etcSnapshot(s.root);
    const ensured = hookLines(s).length;
    interface Changed { state: string; changed: boolean; apply: ApplyJson & { accounts?: string[]; widened?: string } }
    const frozen = await s.sb.json<Changed>(['account', 'freeze', 'carl', '--reason', 'billing', '--apply', 'shell', '--root', s.root]);
    expect([frozen.state, frozen.changed, frozen.apply.accounts, frozen.apply.widened]).toEqual(['disabled', true, ['carl'], undefined]);
    expect([frozen.apply.applied, frozen.apply.failed, frozen.apply.skipped]).toEqual([3, 0, 0]);
    expect(frozen.apply.outcomes.map((o) => `${o.target} ${o.action}`)).toEqual(['login update', 'cron update', 'unix lock']);
    expect(execFileSync('passwd', ['-S', '-R', s.root, 'carl'], { encoding: 'utf8' })).toMatch(/^carl L /);
    // Nothing else was left for the whole host, and no other account's hook ran.
    expect((await s.roster(['plan', ...R(), '--detailed-exitcode'])).code).toBe(0);
    expect(hookLines(s)).toHaveLength(ensured);

    const thawed = await s.roster(['account', 'unfreeze', 'carl', '--reason', 'billing', '--apply', 'shell', '--root', s.root]);
    expect(thawed.code).toBe(0);
    expect(thawed.stdout).toMatch(/^unfroze carl\n/);
    expect(thawed.stdout).toMatch(/host shell \(root .*\), accounts carl: 3 applied, 1 recurring ran\n$/);
    expect(etcSnapshot(s.root)).toEqual(before);
    expect(hookLines(s).slice(ensured)).toEqual([`again ensure carl uid=${ada + 1} home=/home/carl type=member host=shell root=${s.root} site=example`]);

    const plan = await s.roster(['plan', ...R(), '--account', 'carl']);
    expect(plan.stdout).toMatch(/accounts carl: 0 changes and 1 recurring/);
    const dry = await s.roster(['account', 'freeze', 'carl', '--reason', 'billing', '--apply', 'shell', '--dry-run']);
    expect([dry.code, dry.stderr]).toEqual([2, expect.stringMatching(/--apply cannot be combined with --dry-run/)]);
    const unknown = await s.roster(['apply', ...R(), '--account', 'nobody']);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringMatching(/no account "nobody"/)]);
    // A bad --apply or --root is refused before the freeze: nothing changes.
    const head = (await s.sb.json<Array<{ seq: number }>>(['audit', '--limit', '1']))[0]?.seq;
    const noHost = await s.roster(['account', 'freeze', 'carl', '--reason', 'billing', '--apply', 'mars']);
    expect([noHost.code, noHost.stderr]).toEqual([1, expect.stringMatching(/--apply: no host "mars"/)]);
    const noRoot = await s.roster(['account', 'freeze', 'carl', '--reason', 'billing', '--apply', 'shell', '--root', join(s.root, 'missing')]);
    expect([noRoot.code, noRoot.stderr]).toEqual([2, expect.stringMatching(/--root .* is not a directory/)]);
    expect((await s.sb.json<{ state: string }>(['account', 'show', 'carl'])).state).toBe('active');
    expect((await s.sb.json<Array<{ seq: number }>>(['audit', '--limit', '1']))[0]?.seq).toBe(head);
  });

  let beforePurge: string[] = [];
  let passwdLine: string | undefined;
  let shadowLine: string | undefined;

  it('purge → apply archives the home (with its /etc lines) before removing the home and the lines', async () => {
    const home = join(s.root, 'home/ada');
    mkdirSync(join(home, 'public_html/private'), { recursive: true });
    writeFileSync(join(home, 'public_html/index.html'), '<p>ada</p>\n');
    writeFileSync(join(home, 'thesis.tex'), '\\documentclass{article}\n', { mode: 0o600 });
    writeFileSync(join(home, 'public_html/private/key'), 'k\n', { mode: 0o400 });
    symlinkSync('public_html/index.html', join(home, 'index'));
    for (const p of ['public_html', 'public_html/index.html', 'thesis.tex', 'public_html/private', 'public_html/private/key']) chownSync(join(home, p), ada, ada);
    chownSync(join(home, 'public_html/private'), ada, 33);
    chmodSync(join(home, 'public_html/private'), 0o2750);
    beforePurge = listing(home);
    passwdLine = lineOf(s.root, 'etc/passwd', 'ada');
    shadowLine = lineOf(s.root, 'etc/shadow', 'ada');

    expect((await s.roster(['account', 'retire', 'ada', '--delete-after', '0'])).code).toBe(0);
    const plan = await s.sb.json<PlanJson>(['plan', ...R()]);
    const forAda = plan.changes.filter((c) => c.subject.endsWith(':ada') || c.summary.includes('ada'));
    expect(forAda.filter((c) => c.target === 'homes').map((c) => `${c.action}${c.destructive ? '!' : ''}`)).toEqual(['archive', 'remove!']);

    const applied = await s.sb.json<ApplyJson>(['apply', ...R()]);
    expect(applied.failed).toBe(0);
    const ids = applied.outcomes.map((o) => `${o.target} ${o.action}`);
    expect(ids.indexOf('homes archive')).toBeLessThan(ids.findIndex((i) => i.startsWith('unix ')));
    expect(existsSync(home)).toBe(false);
    expect(lineOf(s.root, 'etc/passwd', 'ada')).toBeUndefined();
    expect(lineOf(s.root, 'etc/passwd', 'carl')).toBeDefined();

    const dir = join(s.root, 'var/lib/roster/archive');
    const manifestName = readdirSync(dir).find((f) => f.endsWith('.manifest.json'));
    expect(manifestName).toMatch(new RegExp(`^ada-${ada}-\\d{8}T\\d{9}Z\\.manifest\\.json$`));
    const manifest = JSON.parse(readFileSync(join(dir, manifestName ?? ''), 'utf8')) as { lines: { passwd: string[]; shadow: string[] }; tar: { file: string; sha256: string } };
    expect(manifest.lines.passwd).toEqual([passwdLine]);
    expect(manifest.lines.shadow).toEqual([shadowLine]);
    expect(createHash('sha256').update(readFileSync(join(dir, manifest.tar.file))).digest('hex')).toBe(manifest.tar.sha256);
    expect((await s.roster(['plan', ...R(), '--detailed-exitcode'])).code).toBe(0);
    // The audit log has one record per applied change, the archive among them.
    const audit = await s.sb.json<Array<{ action: string; result: string }>>(['audit', '--target', 'host:shell/homes/user:ada']);
    expect(audit.map((r) => `${r.action} ${r.result}`)).toEqual(['apply.create ok', 'apply.archive ok', 'apply.remove ok']);
  });

  it('restore → apply brings back the same username, UID, /etc lines, files, owners and modes', async () => {
    const restored = await s.roster(['account', 'restore', 'ada', '--host', 'shell', '--root', s.root]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/restored ada \(uid \d+, state active\)/);
    const shown = await s.sb.json<{ uid: number; state: string; holds: unknown[] }>(['account', 'show', 'ada']);
    expect(shown).toMatchObject({ uid: ada, state: 'active', holds: [] });

    const plan = await s.sb.json<PlanJson>(['plan', ...R()]);
    expect(plan.changes.filter((c) => c.target === 'homes').map((c) => c.action)).toEqual(['restore']);
    const applied = await s.sb.json<ApplyJson>(['apply', ...R()]);
    expect(applied.failed).toBe(0);
    expect(listing(join(s.root, 'home/ada'))).toEqual(beforePurge);
    expect(lineOf(s.root, 'etc/passwd', 'ada')).toBe(passwdLine);
    expect(lineOf(s.root, 'etc/shadow', 'ada')).toBe(shadowLine);
    // Not a new account: onCreate does not run again.
    expect(hookLines(s).filter((l) => l.startsWith('first create ada'))).toHaveLength(1);
    expect((await s.roster(['plan', ...R(), '--detailed-exitcode'])).code).toBe(0);
    // The archive was used once; a second restore finds nothing to restore.
    const again = await s.roster(['account', 'restore', 'ada', '--host', 'shell', '--root', s.root]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not purged/);
  });
});

describe('roster apply: failing hooks, refusals and exit codes', () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await sandbox((y) => y.replace('breaker:\n  count: 50\n  percent: 5', 'breaker:\n  count: 1\n  percent: 0'));
    await member(s, 'B1', 'badbob');
    await member(s, 'B2', 'dora');
  });
  afterAll(async () => s.sb.cleanup());

  const R = (): string[] => ['--host', 'shell', '--root', s.root];

  it('a failing onCreate fails only that account, with its output in the audit, and is retried next time', async () => {
    const r = await s.roster(['apply', ...R(), '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as ApplyJson;
    const hooks = report.outcomes.filter((o) => o.target === 'hooks');
    expect(hooks.map((o) => `${o.account ?? ''} ${o.status} ${o.error ?? ''}`.trim())).toEqual([
      'badbob failed onCreate hook exited 4',
      'badbob failed skipped: the onCreate hook of badbob failed',
      'dora ok',
      'dora ok',
    ]);
    expect(report.outcomes.filter((o) => o.target !== 'hooks').every((o) => o.status === 'ok')).toBe(true);
    expect(lineOf(s.root, 'etc/passwd', 'badbob')).toBeDefined();
    const records = await s.sb.json<Array<{ action: string; result: string; after: unknown }>>(['audit', '--target', 'host:shell/hooks/user:badbob']);
    // The onCreate, and the onEnsure the hooks target then refused to run.
    expect(records.map((x) => `${x.action} ${x.result}`)).toEqual(['apply.run-hook failed', 'apply.run-hook failed']);
    expect(records[0]?.after).toMatchObject({ error: 'onCreate hook exited 4', detail: { exitCode: 4, stderr: 'no mailbox for badbob\n' } });
    const plan = await s.sb.json<PlanJson>(['plan', ...R()]);
    expect(plan.changes.filter((c) => !c.recurring).map((c) => c.summary)).toEqual([expect.stringMatching(/^run onCreate for badbob/)]);
  });

  it('the circuit breaker stops a mass removal before the first change; --allow-mass-change proceeds', async () => {
    for (const u of ['badbob', 'dora']) expect((await s.roster(['account', 'retire', u, '--delete-after', '0'])).code).toBe(0);
    const refused = await s.roster(['apply', ...R()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/would remove 2 of 2 accounts, over the limit of 1/);
    expect(existsSync(join(s.root, 'home/dora'))).toBe(true);
    expect(lineOf(s.root, 'etc/passwd', 'dora')).toBeDefined();
    const allowed = await s.roster(['apply', ...R(), '--allow-mass-change']);
    expect(allowed.code).toBe(0);
    expect(existsSync(join(s.root, 'home/dora'))).toBe(false);
    expect(lineOf(s.root, 'etc/passwd', 'dora')).toBeUndefined();
  });

  it('a skeleton file missing under the root: the home is made, the report and the audit record name the file', async () => {
    execFileSync('rm', ['-f', join(s.root, 'etc/skel/.profile')]);
    await member(s, 'B3', 'emil');
    const r = await s.roster(['apply', ...R(), '--account', 'emil', '--json']);
    expect(r.code).toBe(0);
    const warning = 'skeleton file /etc/skel/.profile does not exist on this host; the home was made without it';
    const report = JSON.parse(r.stdout) as { outcomes: Array<{ target: string; action: string; status: string; warnings?: string[] }> };
    expect(report.outcomes.filter((o) => o.target === 'homes')).toEqual([expect.objectContaining({ action: 'create', status: 'ok', warnings: [warning] })]);
    expect(readdirSync(join(s.root, 'home/emil'))).toEqual(['.bashrc']);
    const records = await s.sb.json<Array<{ action: string; result: string; after: unknown }>>(['audit', '--target', 'host:shell/homes/user:emil']);
    expect(records).toEqual([expect.objectContaining({ action: 'apply.create', result: 'ok', after: expect.objectContaining({ warnings: [warning] }) })]);
    const text = await s.roster(['plan', ...R(), '--account', 'emil']);
    expect(text.stdout).toMatch(/nothing to do|0 changes/);
  });

  it('exit 75 when another apply holds the root, 69 when a target is unavailable, 78 for a bad target section', async () => {
    // Held by a live process that is not the roster command: this test's own PID.
    writeFileSync(join(s.root, 'var/lib/roster/apply.lock'), `${process.pid}\n`);
    const locked = await s.roster(['apply', ...R(), '--lock-timeout', '0.3']);
    expect(locked.code).toBe(75);
    expect(locked.stderr).toMatch(/another roster apply/);
    execFileSync('rm', ['-f', join(s.root, 'var/lib/roster/apply.lock')]);

    const path = join(s.sb.dir, 'roster.yaml');
    const good = readFileSync(path, 'utf8');
    // With a quota to enforce, kernel quotas cannot be read under this prefix:
    // the host is unavailable, nothing changes, and the error says what to do.
    writeFileSync(path, good.replace('      # quota: { home: { soft: 5G, hard: 6G } }', '      quota: { home: { soft: 5G, hard: 6G } }'));
    const unavailable = await s.roster(['apply', ...R()]);
    expect(unavailable.stderr).toMatch(/unavailable; nothing was changed/);
    expect(unavailable.code).toBe(69);
    expect(unavailable.stderr).toMatch(/target quota: cannot read quotas on \/home: .*quotacheck -cum \/home && quotaon -u \/home.*remove quota from hosts\.shell\.targets/);

    writeFileSync(path, good.replace('homes: { base: [/home] }', 'homes: { bases: [/home] }'));
    const check = await s.roster(['config', 'check']);
    expect(check.code).toBe(78);
    expect(check.stderr).toMatch(/roster\.yaml:\d+:\d+: hosts\.shell\.targets\.homes\.bases: unknown key \(did you mean base\?\)/);
    writeFileSync(path, good);
    expect((await s.roster(['plan', '--host', 'nowhere', '--root', s.root])).stderr).toMatch(/no host "nowhere"/);
  });
});
