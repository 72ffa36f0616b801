import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchSettingsSchema } from '../../config/watch-settings.js';
import { fixedClock } from '../../domain/clock.js';
import type { WatchChangelogEntry } from './watch-report.js';
import { watchTurn, type WatchContext } from './watch-turn.js';
import { WatchStore } from './watch-store.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const min = (m: number): Date => new Date(T0 + m * 60_000);

const STATUS = `Package: nginx
Status: install ok installed
Architecture: amd64
Version: 1.22.1-9
Conffiles:
 /etc/nginx/nginx.conf 0123456789abcdef0123456789abcdef

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
`;

const SHADOW_SECRET = 'root:$y$j9T$SECRETSALT$SECRETHASHVALUE:20000:0:99999:7:::';

describe('watchTurn on a temp root with an injected clock', () => {
  let root: string;
  let entries: WatchChangelogEntry[];
  const ctx = (at: Date, over: Partial<WatchContext> = {}): WatchContext => ({
    root,
    host: 'shell',
    settings: watchSettingsSchema.parse({}),
    clock: fixedClock(at),
    changelog: () => Promise.resolve(entries),
    // Files written by the test are not "racy": the cache trusts their stat at once.
    wallNow: () => Date.now() + 10_000,
    ...over,
  });
  const turn = (m: number, over: Partial<WatchContext> = {}) => watchTurn(new WatchStore(root), ctx(min(m), over));
  const etc = (file: string): string => join(root, 'etc', file);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'roster-watch-'));
    entries = [];
    mkdirSync(join(root, 'etc/nginx'), { recursive: true });
    mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
    writeFileSync(etc('passwd'), 'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n');
    writeFileSync(etc('group'), 'root:x:0:\nwww-data:x:33:\n');
    writeFileSync(etc('shadow'), `${SHADOW_SECRET}\n`, { mode: 0o640 });
    writeFileSync(etc('hosts'), '127.0.0.1 localhost\n');
    writeFileSync(etc('nginx/nginx.conf'), 'worker_processes 1;\n');
    symlinkSync('/usr/share/zoneinfo/UTC', etc('localtime'));
    writeFileSync(join(root, 'var/lib/dpkg/status'), STATUS);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('an edit: unstable, no report before 60 quiet minutes, exactly one after, then nothing; stable after 3 days', async () => {
    const first = await turn(0);
    expect(first).toMatchObject({ outcome: 'initial', state: 'stable', report: null });
    // /etc, nginx, five files and a symlink; the files read.
    expect(first.entries).toBe(8);
    expect(first.hashed).toBe(5);
    writeFileSync(etc('hosts'), '127.0.0.1 localhost\n10.0.0.5 db\n');
    const changed = await turn(5);
    expect(changed).toMatchObject({ outcome: 'changed', state: 'unstable', quietUntil: min(65).toISOString(), report: null });
    // Only the edited file was read again.
    expect(changed.hashed).toBe(1);
    expect(await turn(30)).toMatchObject({ outcome: 'unchanged', state: 'unstable', report: null, hashed: 0 });
    expect(await turn(64)).toMatchObject({ outcome: 'unchanged', report: null });
    const reported = await turn(65);
    expect(reported.outcome).toBe('report');
    expect(reported.state).toBe('testing');
    expect(reported.report?.files).toEqual([
      { path: '/etc/hosts', change: 'modified', content: true, before: { type: 'file', mode: '0644', owner: 'root', group: 'root' }, after: { type: 'file', mode: '0644', owner: 'root', group: 'root' }, explainedBy: [], unexplained: true },
    ]);
    expect(reported.report).toMatchObject({ host: 'shell', from: min(0).toISOString(), to: min(65).toISOString(), lastChangeAt: min(5).toISOString(), counts: { files: 1, modified: 1, unexplained: 1, packages: 0, changelog: 0 } });
    // Kept on disk, listed as not yet delivered.
    const ws = new WatchStore(root);
    expect(ws.readState().reports).toEqual([expect.objectContaining({ id: reported.report?.id, delivered: false })]);
    expect(await turn(70)).toMatchObject({ outcome: 'unchanged', state: 'testing', report: null });
    expect(await turn(65 + 3 * 24 * 60 - 1)).toMatchObject({ outcome: 'unchanged', state: 'testing' });
    expect(await turn(65 + 3 * 24 * 60)).toMatchObject({ outcome: 'stable', state: 'stable', report: null });
    expect(ws.readState().reports).toHaveLength(1);
  });

  it('a tree that never goes quiet is reported after maxUnstableHours anyway, and pruning runs', async () => {
    const settings = watchSettingsSchema.parse({ maxUnstableHours: 1 });
    await turn(0, { settings });
    for (let m = 5; m < 65; m += 5) {
      writeFileSync(etc('hosts'), `127.0.0.1 localhost\n# edit ${m}\n`);
      expect((await turn(m, { settings })).outcome).toBe('changed');
    }
    writeFileSync(etc('hosts'), '127.0.0.1 localhost\n# edit 65\n');
    const forced = await turn(65, { settings });
    expect(forced).toMatchObject({ outcome: 'report', state: 'testing' });
    expect(forced.report?.files.map((f) => f.path)).toEqual(['/etc/hosts']);
    expect(forced.pruned).not.toBeNull();
    // The next change starts a new window.
    writeFileSync(etc('hosts'), '127.0.0.1 localhost\n# edit 70\n');
    expect((await turn(70, { settings })).outcome).toBe('changed');
  });

  it('a change within the quiet period starts it again', async () => {
    await turn(0);
    writeFileSync(etc('hosts'), 'a\n');
    await turn(5);
    writeFileSync(etc('hosts'), 'b\n');
    expect((await turn(50)).quietUntil).toBe(min(110).toISOString());
    expect((await turn(100)).outcome).toBe('unchanged');
    const r = await turn(110);
    expect(r.outcome).toBe('report');
    expect(r.report?.files.map((f) => f.path)).toEqual(['/etc/hosts']);
  });

  it('a changelog entry dated after the change explains it; a later edit without one is flagged', async () => {
    await turn(0);
    writeFileSync(etc('nginx/nginx.conf'), 'worker_processes 4;\n');
    await turn(5);
    entries = [{ at: min(7).toISOString(), author: 'alice', text: 'nginx: four workers', source: 'cli' }];
    // The new entry is a change too (metche watches the changelog).
    expect((await turn(10)).outcome).toBe('changed');
    writeFileSync(etc('hosts'), '127.0.0.1 localhost\n10.0.0.9 backup\n');
    await turn(15);
    const r = (await turn(75)).report;
    expect(r?.changelog).toEqual(entries);
    const byPath = Object.fromEntries((r?.files ?? []).map((f) => [f.path, f]));
    expect(byPath['/etc/nginx/nginx.conf']).toMatchObject({ unexplained: false, package: 'nginx', explainedBy: [{ kind: 'changelog', at: min(7).toISOString(), by: 'alice', text: 'nginx: four workers' }] });
    expect(byPath['/etc/hosts']).toMatchObject({ unexplained: true, explainedBy: [] });
    expect(r?.packages.configChanged).toEqual(['nginx']);
    expect(r?.counts).toMatchObject({ files: 2, unexplained: 1, changelog: 1 });
  });

  it('changelog entries are known by who wrote what, not by the latest date: a back-dated one and one in the minute of the last report reach the next report', async () => {
    await turn(0);
    writeFileSync(etc('hosts'), '127.0.0.1 localhost\n10.0.0.7 a\n');
    entries = [{ at: min(3).toISOString(), author: 'alice', text: 'first', source: 'cli' }];
    await turn(5);
    // Reported at 10:05:20 (minute 65 and 20 s).
    expect((await turn(65 + 1 / 3)).report?.changelog.map((e) => e.text)).toEqual(['first']);
    // Written at 10:05:40 with the minute only, and one back-dated: both are new.
    entries = [{ at: min(2).toISOString(), author: 'bob', text: 'back-dated', source: 'cli' }, ...entries, { at: min(65).toISOString(), author: 'carol', text: 'same minute', source: 'cli' }];
    expect((await turn(65 + 2 / 3)).outcome).toBe('changed');
    const r = (await turn(130)).report;
    expect(r?.changelog.map((e) => e.text)).toEqual(['back-dated', 'same minute']);
  });

  it('a hand-written entry dated in the minute of the last turn before the change explains it (entries have minute precision)', async () => {
    await turn(0);
    // The last turn that saw hosts as it was: 10:10:20; the edit at 10:10:30; the entry, written at 10:10:40, says 10:10.
    await turn(10 + 1 / 3);
    writeFileSync(etc('hosts'), '127.0.0.1 localhost\n10.0.0.8 b\n');
    entries = [{ at: min(10).toISOString(), author: 'alice', text: 'hosts: b', source: 'cli' }];
    expect((await turn(10 + 2 / 3)).outcome).toBe('changed');
    const r = (await turn(71)).report;
    expect(r?.files[0]).toMatchObject({ path: '/etc/hosts', unexplained: false, explainedBy: [{ kind: 'changelog', by: 'alice' }] });
  });

  it("an entry of Roster's own apply explains nothing by its time; one dated before the change explains nothing", async () => {
    entries = [{ at: min(1).toISOString(), author: 'bob', text: 'about to edit hosts', source: 'cli' }];
    await turn(2);
    writeFileSync(etc('hosts'), 'x\n');
    entries = [...entries, { at: min(8).toISOString(), author: 'roster', text: 'apply: 1 change', source: 'apply' }];
    await turn(5);
    const r = (await turn(70)).report;
    expect(r?.files[0]).toMatchObject({ path: '/etc/hosts', unexplained: true });
    expect(r?.changelog.map((e) => e.author)).toEqual(['roster']);
  });

  it('shadow is listed as changed without its content anywhere in the watch directory', async () => {
    await turn(0);
    const NEW_SECRET = 'alice:$y$j9T$NEWSALT$NEWHASHVALUE:20001:0:99999:7:::';
    writeFileSync(etc('shadow'), `${SHADOW_SECRET}\n${NEW_SECRET}\n`);
    await turn(5);
    const r = (await turn(65)).report;
    expect(r?.files).toEqual([expect.objectContaining({ path: '/etc/shadow', change: 'modified', content: true, withheld: 'secret', unexplained: true })]);
    // grep exits 1 when nothing matches: no file of the watch directory holds either hash.
    const grep = spawnSync('grep', ['-rl', '-e', 'NEWHASHVALUE', '-e', 'SECRETHASHVALUE', '-e', 'alice:', new WatchStore(root).dir], { encoding: 'utf8' });
    expect(grep.status).toBe(1);
    expect(grep.stdout).toBe('');
    // While the same grep finds it where it is.
    expect(spawnSync('grep', ['-rl', 'NEWHASHVALUE', join(root, 'etc')], { encoding: 'utf8' }).stdout.trim()).toBe(etc('shadow'));
  });

  it("Roster's own secret files, LDAP bind passwords, opasswd and files others cannot read are withheld; privateFilesSecret: false stores the last", async () => {
    mkdirSync(etc('roster'), { recursive: true });
    mkdirSync(etc('sssd'), { recursive: true });
    mkdirSync(etc('security'), { recursive: true });
    const files = { 'roster/agent.token': 'TOKENVALUE1', 'roster/ldap.password': 'BINDVALUE2', 'roster/audit.hmac-key': 'HMACVALUE3', 'nslcd.conf': 'bindpw NSLCDVALUE4', 'sssd/sssd.conf': 'ldap_default_authtok = SSSDVALUE5', 'security/opasswd': 'alice:1000:1:OPASSWDVALUE6' };
    for (const [f, v] of Object.entries(files)) writeFileSync(etc(f), `${v}\n`, { mode: 0o644 });
    writeFileSync(etc('private.conf'), 'PRIVATEVALUE7\n', { mode: 0o640 });
    await turn(0);
    const values = [...Object.values(files), 'PRIVATEVALUE7'];
    const grep = (): string => spawnSync('grep', ['-rl', ...values.flatMap((v) => ['-e', v]), new WatchStore(root).dir], { encoding: 'utf8' }).stdout;
    expect(grep()).toBe('');
    const head = new WatchStore(root).readSnapshot(new WatchStore(root).readState().head ?? '');
    expect(head.entries.filter((e) => e.withheld === 'secret').map((e) => e.path)).toEqual(['/etc/nslcd.conf', '/etc/private.conf', '/etc/roster/agent.token', '/etc/roster/audit.hmac-key', '/etc/roster/ldap.password', '/etc/security/opasswd', '/etc/shadow', '/etc/sssd/sssd.conf']);
    await turn(1, { settings: watchSettingsSchema.parse({ privateFilesSecret: false }) });
    expect(spawnSync('grep', ['-rl', 'PRIVATEVALUE7', new WatchStore(root).dir], { encoding: 'utf8' }).stdout).not.toBe('');
  });

  it("the agent's state under /var/lib/roster is never entered, even when /var/lib or /var is watched", async () => {
    mkdirSync(join(root, 'var/lib/roster'), { recursive: true });
    writeFileSync(join(root, 'var/lib/roster/agent-shell.json'), '{"hash":"AGENTHASHVALUE"}', { mode: 0o644 });
    writeFileSync(join(root, 'var/lib/roster/changelog.json'), '{"x":"CHANGELOGSTATEVALUE"}', { mode: 0o644 });
    for (const dirs of [['/var/lib'], ['/var']]) {
      await turn(0, { settings: watchSettingsSchema.parse({ dirs }) });
      const head = new WatchStore(root).readSnapshot(new WatchStore(root).readState().head ?? '');
      expect(head.entries.some((e) => e.path.startsWith('/var/lib/roster'))).toBe(false);
      expect(spawnSync('grep', ['-rl', '-e', 'AGENTHASHVALUE', '-e', 'CHANGELOGSTATEVALUE', new WatchStore(root).dir], { encoding: 'utf8' }).stdout).toBe('');
    }
  });

  it('a file over maxFileBytes is hashed in chunks and not kept; a change to it is still seen', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'a');
    writeFileSync(etc('big.db'), big);
    const settings = watchSettingsSchema.parse({ maxFileBytes: 1024 });
    await turn(0, { settings });
    const ws = new WatchStore(root);
    const entry = ws.readSnapshot(ws.readState().head ?? '').entries.find((e) => e.path === '/etc/big.db');
    expect(entry).toMatchObject({ withheld: 'large', hash: createHash('sha256').update(big).digest('hex') });
    expect(ws.objects.get(entry?.hash ?? '')).toBeNull();
    big[big.length - 1] = 0x62;
    writeFileSync(etc('big.db'), big);
    expect((await turn(5, { settings })).outcome).toBe('changed');
  });

  it('modes, owners, symlink targets, added and removed files, and a package upgrade from dpkg status', async () => {
    await turn(0);
    chmodSync(etc('hosts'), 0o755);
    chownSync(etc('nginx/nginx.conf'), 33, 33);
    unlinkSync(etc('localtime'));
    symlinkSync('/usr/share/zoneinfo/Europe/Berlin', etc('localtime'));
    writeFileSync(etc('motd'), 'hello\n');
    rmSync(etc('group'));
    writeFileSync(join(root, 'var/lib/dpkg/status'), STATUS.replace('1.22.1-9', '1.22.1-9+deb12u1').replace(/\nPackage: tzdata[\s\S]*$/, '\n') + '\nPackage: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10\n');
    await turn(5);
    const r = (await turn(65)).report;
    const byPath = Object.fromEntries((r?.files ?? []).map((f) => [f.path, f]));
    expect(byPath['/etc/hosts']).toMatchObject({ change: 'modified', content: false, before: { mode: '0644' }, after: { mode: '0755' } });
    // The group file is gone, so group names are numbers now; the owner changed to 33.
    expect(byPath['/etc/nginx/nginx.conf']).toMatchObject({ content: false, before: { owner: 'root' }, after: { owner: 'www-data', group: '33' } });
    expect(byPath['/etc/localtime']).toMatchObject({ content: true, before: { type: 'symlink', target: '/usr/share/zoneinfo/UTC' }, after: { target: '/usr/share/zoneinfo/Europe/Berlin' } });
    expect(byPath['/etc/motd']).toMatchObject({ change: 'added', before: null });
    expect(byPath['/etc/group']).toMatchObject({ change: 'removed', after: null });
    expect(r?.packages).toMatchObject({ installed: [{ name: 'curl', version: '7.88.1-10' }], removed: [{ name: 'tzdata', version: '2024a-0+deb12u1', purged: true }], upgraded: [{ name: 'nginx', from: '1.22.1-9', to: '1.22.1-9+deb12u1' }], downgraded: [] });
    expect(r?.packages.operations).toEqual([expect.objectContaining({ at: min(5).toISOString(), command: null, unexplained: true })]);
    expect(r?.counts.packages).toBe(3);
  });

  it('a change undone before the quiet period ends reports nothing', async () => {
    await turn(0);
    const before = readFileSync(etc('hosts'));
    writeFileSync(etc('hosts'), 'temporary\n');
    await turn(5);
    writeFileSync(etc('hosts'), before);
    await turn(10);
    expect(await turn(70)).toMatchObject({ outcome: 'testing', report: null });
    expect(new WatchStore(root).readState().reports).toEqual([]);
  });

  it('excluded files are not watched; the watch directory itself is never entered', async () => {
    const settings = watchSettingsSchema.parse({ dirs: ['/etc', '/var/lib'], exclude: ['*.swp', '/etc/nginx/**'] });
    await turn(0, { settings });
    writeFileSync(etc('.hosts.swp'), 'x');
    writeFileSync(etc('nginx/nginx.conf'), 'changed\n');
    expect((await turn(5, { settings })).outcome).toBe('unchanged');
    const head = new WatchStore(root).readSnapshot(new WatchStore(root).readState().head ?? '');
    expect(head.entries.some((e) => e.path.startsWith('/var/lib/roster/watch'))).toBe(false);
    expect(head.entries.some((e) => e.path === '/var/lib/dpkg/status')).toBe(true);
  });

  it('a turn with nothing changed reads no file; what changes under the stat and directory-listing caches is still seen', async () => {
    await turn(0);
    mkdirSync(etc('nginx/sites'), { recursive: true });
    writeFileSync(etc('nginx/sites/default'), 'server {}\n');
    expect((await turn(1)).outcome).toBe('changed');
    const quiet = await turn(2);
    expect(quiet).toMatchObject({ outcome: 'unchanged', hashed: 0 });
    // Deep in a cached directory: a new file changes its directory's mtime.
    writeFileSync(etc('nginx/sites/extra'), 'server { listen 8080; }\n');
    // Same size and times set back: the ctime still moves.
    const before = readFileSync(etc('hosts'));
    writeFileSync(etc('hosts'), Buffer.from(before.toString().replace('127.0.0.1', '127.0.0.2')));
    unlinkSync(etc('localtime'));
    symlinkSync('/usr/share/zoneinfo/Etc/UTC', etc('localtime'));
    const seen = await turn(3);
    expect(seen.outcome).toBe('changed');
    const r = (await turn(63)).report;
    expect(r?.files.map((f) => `${f.change} ${f.path}`)).toEqual(['modified /etc/hosts', 'modified /etc/localtime', 'added /etc/nginx/sites', 'added /etc/nginx/sites/default', 'added /etc/nginx/sites/extra']);
    // An exclusion dropped: its files are found again although no directory changed.
    const settings = watchSettingsSchema.parse({ exclude: ['/etc/nginx/**'] });
    await turn(64, { settings });
    expect((await turn(65, { settings })).outcome).toBe('unchanged');
    const back = await turn(66);
    expect(back.outcome).toBe('changed');
  });
});
