import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnResult } from '../src/agent/watch/watch-turn.js';
import type { WatchReport } from '../src/agent/watch/watch-report.js';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.js';

/**
 * `roster watch` through the built command on a temp root, with the clock
 * set by --now (issue "How it is verified"): an edit, no report before 60
 * quiet minutes and exactly one after, with the file, a package change in a
 * copy of dpkg's status file and the changelog entry; an edit without an
 * entry flagged; Roster's own apply (the unix target on the root) not
 * flagged; the diff on the host only; a shadow change listed without its
 * content anywhere in the store, the mail or the watch directory. The
 * reports go into the store of the sandbox's roster.yaml (the server's
 * machine) and are mailed through a real SMTP server on loopback.
 */

const HOSTS = `hosts:
  shell:
    description: login host
    targets:
      login: { path: /etc/security/roster-frozen.users }
      unix: {}
    watch: {}
  web:
    description: web host
    targets:
      login: { path: /etc/security/roster-frozen.users }

`;

const T0 = Date.parse('2026-03-02T09:00:00Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();
const SECRET = 'carol:$y$j9T$WATCHCLISALT$WATCHCLIHASHNEVERLEAVES:20500:0:99999:7:::';

function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

/** Two packages of the real dpkg status file: the copy a test edits. */
function statusCopy(): string {
  const paragraphs = readFileSync('/var/lib/dpkg/status', 'utf8').split(/\n\n+/);
  const pick = (name: string): string => paragraphs.find((p) => p.startsWith(`Package: ${name}\n`)) ?? `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1`;
  return `${pick('bash')}\n\n${pick('tzdata')}\n`;
}

describe('roster watch on the server machine: quiet-period reports into the store and the admin mail', () => {
  let sb: RosterSandbox;
  let smtp: SmtpCapture;
  let root: string;
  let first: WatchReport;
  let second: WatchReport;

  const ok = async (args: string[]): Promise<string> => {
    const r = await sb.run(args);
    expect(r.code, `roster ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const turn = async (minutes: number): Promise<TurnResult & { delivered: { sent: number } | null }> => JSON.parse(await ok(['watch', '--root', root, '--host', 'shell', '--now', at(minutes), '--json'])) as TurnResult & { delivered: { sent: number } | null };
  const etc = (file: string): string => join(root, 'etc', file);

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    sb = await rosterSandbox();
    const path = join(sb.dir, 'roster.yaml');
    const yaml = readFileSync(path, 'utf8')
      .replace(/^hosts:\n[\s\S]*?(?=^# Roster sources)/m, HOSTS)
      .replace(/^notify:\n(?: .*\n|#.*\n)*/m, `notify:\n  transport: smtp\n  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false }\n  from: 'Roster <roster@example.org>'\n  adminAddress: admin@example.org\n`);
    writeFileSync(path, yaml);
    expect((await sb.run(['config', 'check'])).code).toBe(0);
    root = join(sb.dir, 'root');
    mkdirSync(join(root, 'etc/nginx'), { recursive: true });
    mkdirSync(join(root, 'etc/skel'), { recursive: true });
    mkdirSync(join(root, 'home'), { recursive: true });
    mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
    writeFileSync(etc('passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(etc('shadow'), 'root:*:20000:0:99999:7:::\n', { mode: 0o640 });
    writeFileSync(etc('group'), 'root:x:0:\n');
    writeFileSync(etc('gshadow'), 'root:*::\n', { mode: 0o640 });
    writeFileSync(etc('hosts'), '127.0.0.1 localhost\n');
    writeFileSync(etc('nginx/nginx.conf'), 'worker_processes 1;\n');
    writeFileSync(join(root, 'var/lib/dpkg/status'), statusCopy());
    await ok(['person', 'add', '--id', 'M1', '--first', 'Alice', '--last', 'Liddell', '--role', 'MEMBER', '--now', at(0)]);
    await ok(['account', 'create', 'M1', '--type', 'member', '--username', 'alice', '--now', at(0)]);
  }, 60_000);
  afterAll(async () => {
    await sb.cleanup();
    await smtp.close();
  });

  it('takes a first snapshot, then a turn around roster apply, an explained and an unexplained edit, and a package upgrade', async () => {
    expect(await turn(0)).toMatchObject({ outcome: 'initial', settings: expect.stringContaining('hosts.shell.watch') });
    // Roster's own apply: the unix target writes passwd, shadow, group and gshadow between two turns.
    await ok(['apply', '--host', 'shell', '--root', root, '--now', at(2)]);
    expect(readFileSync(etc('passwd'), 'utf8')).toContain('alice:x:');
    // An admin edits /etc/hosts and says so in the changelog afterwards.
    writeFileSync(etc('hosts'), '127.0.0.1 localhost\n10.9.9.9 db\n');
    await ok(['changelog', 'add', '--host', 'shell', 'db added to /etc/hosts', '--now', at(4)]);
    expect(await turn(5)).toMatchObject({ outcome: 'changed', state: 'unstable', quietUntil: at(65) });
    // Then someone adds a motd and upgrades bash in (a copy of) dpkg's status, and tells nobody.
    writeFileSync(etc('motd'), 'Welcome\n');
    const status = join(root, 'var/lib/dpkg/status');
    const version = /^Package: bash\n[\s\S]*?^Version: (.*)$/m.exec(readFileSync(status, 'utf8'))?.[1] ?? '';
    writeFileSync(status, readFileSync(status, 'utf8').replace(`Version: ${version}`, 'Version: 99:9.9-1'));
    expect(await turn(7)).toMatchObject({ outcome: 'changed', quietUntil: at(67) });
  });

  it('reports nothing before 60 quiet minutes, exactly one report after, and nothing on the next turn', async () => {
    expect(await turn(30)).toMatchObject({ outcome: 'unchanged', report: null });
    expect(await turn(66)).toMatchObject({ outcome: 'unchanged', report: null });
    const reported = await turn(67);
    expect(reported).toMatchObject({ outcome: 'report', state: 'testing', delivered: { sent: 1, waiting: 0 } });
    const report = reported.report;
    if (report === null) throw new Error('no report');
    first = report;
    const byPath = Object.fromEntries(report.files.map((f) => [f.path, f]));
    expect(Object.keys(byPath)).toEqual(expect.arrayContaining(['/etc/group', '/etc/gshadow', '/etc/hosts', '/etc/motd', '/etc/passwd', '/etc/shadow', '/etc/shadow-', '/etc/security/roster-frozen.users']));
    // Everything the apply wrote (the four files, their backups, its lock, the login target's list) is Roster's: explained, not flagged.
    const applied = report.files.filter((f) => f.path !== '/etc/hosts' && f.path !== '/etc/motd');
    for (const f of applied) expect(f, f.path).toMatchObject({ unexplained: false, explainedBy: [{ kind: 'apply', at: at(2), by: 'cli:root' }] });
    expect(byPath['/etc/shadow']?.withheld).toBe('secret');
    expect(byPath['/etc/hosts']).toMatchObject({ unexplained: false, explainedBy: [{ kind: 'changelog', at: at(4), text: 'db added to /etc/hosts' }] });
    expect(byPath['/etc/motd']).toMatchObject({ change: 'added', unexplained: true, explainedBy: [] });
    expect(report.packages.upgraded).toEqual([{ name: 'bash', from: expect.any(String), to: '99:9.9-1' }]);
    expect(report.packages.operations).toEqual([expect.objectContaining({ at: at(7), command: null, unexplained: true })]);
    expect(report.changelog.map((e) => e.text)).toEqual(expect.arrayContaining(['db added to /etc/hosts']));
    expect(report.applies).toEqual([{ at: at(2), actor: 'cli:root', changes: expect.any(Number), files: applied.length }]);
    expect(report.counts).toMatchObject({ files: applied.length + 2, unexplained: 1, packages: 1 });

    expect(await turn(68)).toMatchObject({ outcome: 'unchanged', report: null, delivered: null });
    const local = JSON.parse(await ok(['watch', 'reports', '--root', root, '--json'])) as { reports: Array<{ id: string; delivered: boolean }> };
    expect(local.reports).toEqual([expect.objectContaining({ id: report.id, delivered: true })]);
    const db = new Database(join(sb.dir, 'roster.db'), { readonly: true });
    try {
      expect(db.prepare('select host, report_id, files, unexplained, packages from watch_reports').all()).toEqual([{ host: 'shell', report_id: report.id, files: report.counts.files, unexplained: 1, packages: 1 }]);
    } finally {
      db.close();
    }
  });

  it('mails the report to the admin address, names the unexplained file, and holds no diff', () => {
    const mails = smtp.messages.filter((m) => m.subject.startsWith('[roster] shell:'));
    expect(mails).toHaveLength(1);
    const mail = mails[0];
    expect(mail?.to).toEqual(['admin@example.org']);
    // The changelog holds the admin's entry and the apply's own.
    expect(mail?.subject).toBe(`[roster] shell: ${first.counts.files} file(s) changed, 1 unexplained, 1 package change(s), 2 changelog entries`);
    expect(mail?.text).toMatch(/A \/etc\/motd -- UNEXPLAINED/);
    expect(mail?.text).toMatch(/M \/etc\/hosts -- changelog 2026-03-02 09:04 \(UTC\) by root/);
    expect(mail?.text).toContain('upgraded bash');
    expect(mail?.text).toContain(`roster watch diff ${first.id}`);
    expect(mail?.raw).not.toContain('10.9.9.9');
    expect(mail?.raw).not.toContain('Welcome');
  });

  it('shows the diffs on the host: a unified diff of /etc/hosts, none for a secret', async () => {
    const hosts = await ok(['watch', 'diff', first.id, '/etc/hosts', '--root', root]);
    expect(hosts).toContain('--- a/etc/hosts');
    expect(hosts).toContain('+++ b/etc/hosts');
    expect(hosts).toMatch(/^\+10\.9\.9\.9 db$/m);
    expect(await ok(['watch', 'diff', first.id, '/etc/shadow', '--root', root])).toContain('a secret: its content is never kept, so there is no diff');
    const all = await ok(['watch', 'diff', first.id, '--root', root]);
    expect(all).toMatch(/^\+Welcome$/m);
    const unknown = await sb.run(['watch', 'diff', 'no-such-report', '--root', root]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no report no-such-report is kept on this host (roster watch reports lists them)');
  });

  it('a shadow change by hand is listed without its content anywhere: store, mail, watch directory', async () => {
    appendFileSync(etc('shadow'), `${SECRET}\n`);
    expect(await turn(80)).toMatchObject({ outcome: 'changed' });
    expect(await turn(139)).toMatchObject({ outcome: 'unchanged' });
    const r = await turn(140);
    expect(r.outcome).toBe('report');
    if (r.report === null) throw new Error('no report');
    second = r.report;
    expect(second.files).toEqual([expect.objectContaining({ path: '/etc/shadow', change: 'modified', content: true, withheld: 'secret', unexplained: true })]);
    expect(smtp.messages.filter((m) => m.subject.startsWith('[roster] shell:'))).toHaveLength(2);
    const places = [...tree(join(root, 'var/lib/roster')), ...readdirSync(sb.dir).filter((f) => f.startsWith('roster.db')).map((f) => join(sb.dir, f))];
    expect(places.some((p) => p.includes('/objects/'))).toBe(true);
    for (const file of places) expect(readFileSync(file).includes('WATCHCLIHASH'), file).toBe(false);
    for (const m of smtp.messages) expect(m.raw).not.toContain('WATCHCLIHASH');
    // Where it is, the same search finds it.
    expect(readFileSync(etc('shadow')).includes('WATCHCLIHASH')).toBe(true);
    expect(await ok(['watch', 'diff', second.id, '--root', root])).not.toContain('WATCHCLIHASH');
  });

  it('refuses bad input naming the option, changing nothing', async () => {
    const badHost = await sb.run(['watch', '--root', root, '--host', 'nope', '--now', at(141)]);
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toContain('--host nope: no such host');
    const badRoot = await sb.run(['watch', '--root', 'relative/dir']);
    expect(badRoot.code).toBe(2);
    expect(badRoot.stderr).toContain('--root "relative/dir" must be an absolute path');
    const state = readFileSync(join(root, 'var/lib/roster/watch/state.json'), 'utf8');
    expect(JSON.parse(state)).toMatchObject({ reports: [{ id: first.id }, { id: second.id }] });
  });
});

describe('the apt hooks around a real dpkg run in a throwaway root', () => {
  let sb: RosterSandbox;
  let root: string;
  let aptGet: string;

  beforeAll(async () => {
    sb = await rosterSandbox({ init: false });
    root = join(sb.dir, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'var/lib/dpkg/info'), { recursive: true });
    mkdirSync(join(root, 'var/lib/dpkg/updates'), { recursive: true });
    writeFileSync(join(root, 'var/lib/dpkg/status'), statusCopy());
    writeFileSync(join(root, 'var/lib/dpkg/available'), '');
    writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
    // A package with a configuration file, built here.
    const pkg = join(sb.dir, 'pkg');
    mkdirSync(join(pkg, 'DEBIAN'), { recursive: true });
    mkdirSync(join(pkg, 'etc'), { recursive: true });
    writeFileSync(join(pkg, 'DEBIAN/control'), 'Package: roster-watch-test\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Roster tests <tests@example.org>\nDescription: a package for the apt hook test\n');
    writeFileSync(join(pkg, 'DEBIAN/conffiles'), '/etc/roster-watch-test.conf\n');
    writeFileSync(join(pkg, 'etc/roster-watch-test.conf'), 'setting = 1\n');
    const built = spawnSync('dpkg-deb', ['--root-owner-group', '--build', pkg, join(sb.dir, 'roster-watch-test.deb')], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    // What APT does around dpkg with the snippet's DPkg::Pre-Invoke and Post-Invoke: each hook through sh -c, `|| true`.
    aptGet = join(sb.dir, 'bin/apt-get');
    mkdirSync(join(sb.dir, 'bin'));
    const roster = `${process.execPath} ${join(import.meta.dirname, '../dist/roster.mjs')}`;
    writeFileSync(
      aptGet,
      `#!/bin/sh\nsh -c "${roster} watch apt-pre --root ${root} --now $PRE_NOW || true"\ndpkg --root=${root} --force-unsafe-io -i "$2" || exit $?\nsh -c "${roster} watch apt-post --root ${root} --now $POST_NOW || true"\n`,
      { mode: 0o755 },
    );
  }, 60_000);
  afterAll(async () => {
    await sb.cleanup();
  });

  const apt = (args: string[], env: Record<string, string>) => spawnSync(aptGet, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 60_000 });

  it('does nothing where roster watch never ran, and apt goes on', () => {
    const r = apt(['install', join(sb.dir, 'roster-watch-test.deb')], { PRE_NOW: at(1), POST_NOW: at(2), SUDO_USER: 'carol' });
    expect(r.status, r.stderr).toBe(0);
    expect(tree(root).some((p) => p.includes('/var/lib/roster/'))).toBe(false);
    // Back to no package, for the next test.
    const purge = spawnSync('dpkg', [`--root=${root}`, '--purge', 'roster-watch-test'], { encoding: 'utf8' });
    expect(purge.status, purge.stderr).toBe(0);
  });

  it('attributes the files and packages of the apt run to it, with its command line and the invoking user', async () => {
    const initial = await sb.run(['watch', '--root', root, '--now', at(10), '--json']);
    expect(initial.code, initial.stderr).toBe(0);
    // A hand edit before apt starts is not apt's.
    writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n10.1.1.1 backup\n');
    const r = apt(['install', join(sb.dir, 'roster-watch-test.deb')], { PRE_NOW: at(12), POST_NOW: at(13), SUDO_USER: 'carol' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('roster watch');
    expect(readFileSync(join(root, 'etc/roster-watch-test.conf'), 'utf8')).toBe('setting = 1\n');
    const out = await sb.run(['watch', '--root', root, '--now', at(73), '--json']);
    expect(out.code, out.stderr).toBe(0);
    const report = (JSON.parse(out.stdout) as TurnResult).report;
    const byPath = Object.fromEntries((report?.files ?? []).map((f) => [f.path, f]));
    expect(byPath['/etc/roster-watch-test.conf']).toMatchObject({
      change: 'added',
      package: 'roster-watch-test',
      unexplained: false,
      explainedBy: [{ kind: 'apt', at: at(12), by: 'carol', text: expect.stringMatching(/apt-get install .*roster-watch-test\.deb$/) }],
    });
    expect(byPath['/etc/hosts']).toMatchObject({ unexplained: true });
    expect(report?.packages.installed).toEqual([{ name: 'roster-watch-test', version: '1.0-1' }]);
    expect(report?.packages.configChanged).toEqual(['roster-watch-test']);
    expect(report?.packages.operations).toEqual([expect.objectContaining({ at: at(12), user: 'carol', command: expect.stringContaining('apt-get install'), unexplained: false })]);
    // The report waits on the host for the agent (no --host, no store here).
    expect(out.stderr).toContain('the agent sends it to the server');
  });

  it('watching turned off on the server (the agent kept null): the timer and the apt hooks take no turn', async () => {
    const settingsPath = join(root, 'var/lib/roster/watch/settings.json');
    const statePath = join(root, 'var/lib/roster/watch/state.json');
    const before = readFileSync(statePath, 'utf8');
    const keptBefore = existsSync(settingsPath) ? readFileSync(settingsPath) : null;
    writeFileSync(settingsPath, JSON.stringify({ host: 'shell', settings: null, fetchedAt: at(80) }));
    try {
      writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n10.9.9.9 off\n');
      const run = await sb.run(['watch', '--root', root, '--now', at(81), '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'off' });
      expect((await sb.run(['watch', 'apt-pre', '--root', root])).code).toBe(0);
      expect((await sb.run(['watch', 'apt-post', '--root', root])).code).toBe(0);
      expect(readFileSync(statePath, 'utf8')).toBe(before);
    } finally {
      if (keptBefore === null) rmSync(settingsPath, { force: true });
      else writeFileSync(settingsPath, keptBefore);
      writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n10.1.1.1 backup\n');
    }
  });

  it('never fails nor blocks apt: a held lock, a damaged state', async () => {
    // Another turn holds the watch lock (this test process, alive): the hook gives up at once and exits 0.
    const lock = join(root, 'var/lib/roster/watch/watch.lock');
    writeFileSync(lock, `${process.pid}\n`);
    const started = Date.now();
    const held = await sb.run(['watch', 'apt-pre', '--root', root, '--timeout', '3']);
    expect(held.code).toBe(0);
    expect(held.stderr).toContain(`the watch lock is held by pid ${process.pid}; not recorded`);
    expect(Date.now() - started).toBeLessThan(3_000);
    writeFileSync(lock, '');
    spawnSync('rm', ['-f', lock]);
    // A damaged state: a warning, exit 0.
    const state = join(root, 'var/lib/roster/watch/state.json');
    const kept = readFileSync(state);
    writeFileSync(state, '{ not json');
    const damaged = await sb.run(['watch', 'apt-post', '--root', root]);
    expect(damaged.code).toBe(0);
    expect(damaged.stderr).toMatch(/roster watch apt-post: the watch state .* is damaged .*\(apt goes on\)/);
    writeFileSync(state, kept);
  });
});
