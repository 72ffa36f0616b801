import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox, type RunResult } from './roster-cli.js';
import { startServe, stopChild, type ServeProcess } from './serve-process.js';

/**
 * The host's /root/changelog kept by `roster agent` against a real `roster
 * serve` (seed GlobeNet: a changelog per machine that reads well on the
 * machine itself): entries added on the server appear in the file under the
 * agent's temp root, newest last, with Roster's own applies; an entry
 * appended there by hand reaches the server once; a malformed one stays in
 * the file and is reported.
 */

const UID_BASE = 2_100_000_000;
const HOSTS = `hosts:
  shell:
    description: login host
    targets:
      login: { path: /etc/security/roster-frozen.users }
      homes: { base: [/home] }
      unix: {}
  web:
    targets:
      unix: {}

`;

interface Entry {
  readonly id: number;
  readonly host: string;
  readonly at: string;
  readonly author: string;
  readonly text: string;
  readonly source: string;
  readonly ref: string | null;
}

function makeRoot(dir: string): string {
  mkdirSync(join(dir, 'etc/skel'), { recursive: true });
  mkdirSync(join(dir, 'home'), { recursive: true });
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(dir, 'etc/shadow'), 'root:*:20000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(dir, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
  writeFileSync(join(dir, 'etc/skel/.bashrc'), '# ~/.bashrc\n');
  return dir;
}

/** `2026-12-04 22:55 UTC`, the minute of `d` as the file writes it. */
function minute(d: Date): string {
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

describe('roster agent keeps /root/changelog in step with roster serve', () => {
  let sb: RosterSandbox;
  let server: ServeProcess | undefined;
  let root = '';
  let tokenFile = '';
  let admin = '';

  const changelogFile = (): string => readFileSync(join(root, 'root/changelog'), 'utf8');
  const agent = (extra: string[] = [], url = server?.url ?? ''): Promise<RunResult> => sb.run(['agent', '--once', '--server', url, '--token-file', tokenFile, '--host', 'shell', '--root', root, ...extra]);
  const api = async (method: string, path: string, body?: unknown, token = admin): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${server?.url ?? ''}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };
  const entries = async (): Promise<Entry[]> => (await api('GET', '/api/v1/hosts/shell/changelog?limit=1000')).body.items as Entry[];

  beforeAll(async () => {
    sb = await rosterSandbox();
    const path = join(sb.dir, 'roster.yaml');
    writeFileSync(
      path,
      readFileSync(path, 'utf8')
        .replace('uids: { min: 10000, max: 59999 }', `uids: { min: ${UID_BASE + 300_000}, max: ${UID_BASE + 399_999} }`)
        .replace('gids: { min: 10000, max: 59999 }', `gids: { min: ${UID_BASE + 300_000}, max: ${UID_BASE + 399_999} }`)
        .replace(/^hosts:\n[\s\S]*?(?=^# Roster sources)/m, HOSTS),
    );
    expect((await sb.run(['config', 'check'])).code).toBe(0);
    root = makeRoot(join(sb.dir, 'root-shell'));
    tokenFile = join(sb.dir, 'shell.token');
    writeFileSync(tokenFile, (await sb.run(['token', 'create', '--role', 'agent', '--host', 'shell'])).stdout, { mode: 0o600 });
    admin = (await sb.run(['token', 'create', '--role', 'admin'])).stdout.trim();
    server = await startServe(sb, { args: ['--no-jobs'] });
  }, 60_000);
  afterAll(async () => {
    await stopChild(server?.child);
    await sb.cleanup();
  });

  it("writes the host's entries and Roster's apply of the turn into the file, newest last, private; a turn with no change adds no apply entry", async () => {
    const added = await sb.run(['changelog', 'add', '--host', 'shell', 'Upgraded nginx to 1.26 and reloaded it.'], { env: { SUDO_USER: 'alice' } });
    expect(added.code, added.stderr).toBe(0);
    expect((await sb.run(['changelog', 'add', '--host', 'web', 'Not about shell.'])).code).toBe(0);
    expect((await api('POST', '/api/v1/people', { id: 'M1', firstName: 'Carol', lastName: 'Danvers', roles: ['MEMBER'] })).status).toBe(201);
    expect((await api('POST', '/api/v1/accounts', { personId: 'M1', type: 'member', username: 'carol' })).status).toBe(201);

    const r = await agent();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\d+ applied, 0 failed.*; changelog: 2 entries from the server/);
    const [alice, apply, ...rest] = await entries();
    expect(rest).toEqual([]);
    expect([alice?.author, alice?.source]).toEqual(['alice', 'cli']);
    // The agent names its report with an id of its own: sent again after a lost answer, it adds no second entry.
    const [report] = (await api('GET', '/api/v1/hosts/shell/reports?limit=1')).body.items as Array<{ report: { id?: string; at?: string } }>;
    expect(report?.report.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect([apply?.author, apply?.source, apply?.ref, apply?.at]).toEqual(['roster', 'apply', `report:${report?.report.id ?? ''}`, report?.report.at]);
    expect(apply?.text).toMatch(new RegExp(`^applied revision \\w{12} under root ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+ changes — `));
    expect(changelogFile()).toBe(
      [
        '# Interventions on shell, newest last. Kept by Roster: add one with',
        '# `roster changelog add --host shell "…"`, or append one below in the same form.',
        '',
        `${minute(new Date(alice?.at ?? ''))}  alice`,
        '    Upgraded nginx to 1.26 and reloaded it.',
        '',
        `${minute(new Date(apply?.at ?? ''))}  roster (apply)`,
        `    ${apply?.text ?? ''}`,
        '',
      ].join('\n'),
    );
    expect(statSync(join(root, 'root/changelog')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'var/lib/roster/changelog.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'var/lib/roster')).mode & 0o777).toBe(0o700);

    // Nothing to apply, nothing new: no apply entry, the file as it was.
    const before = changelogFile();
    const again = await agent(['--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: { applied: 0 }, changelog: { fetched: 0, sent: 0, written: false } });
    expect((await entries()).filter((e) => e.source === 'apply').length).toBe(1);
    expect(changelogFile()).toBe(before);
  }, 60_000);

  it('sends an entry appended by hand to the server once, and keeps a malformed one in the file, reported with its line', async () => {
    const now = new Date();
    // The file ends with a line break: the blank line appended is line `lines + 1`, the malformed one `lines + 6`.
    const lines = changelogFile().split('\n').length - 1;
    appendFileSync(join(root, 'root/changelog'), `\n${minute(now)}  bob\n    Purged the mailboxes over 5 GB;\n    told the members first.\n\nrebooted at some point\n`);
    const r = await agent();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/changelog: .*1 hand-written entry sent, 1 block\(s\) that are not entries kept as they are/);
    expect(r.stderr).toContain(`root/changelog line ${lines + 6}: not an entry: an entry starts with a line such as`);
    const bob = (await entries()).filter((e) => e.author === 'bob');
    expect(bob.map((e) => [e.source, e.text])).toEqual([['host-file', 'Purged the mailboxes over 5 GB;\ntold the members first.']]);
    expect(changelogFile()).toMatch(/ {2}bob\n {4}Purged the mailboxes over 5 GB;\n {4}told the members first\.\n\nrebooted at some point\n$/);

    // The next turns send nothing again and say nothing again.
    for (let i = 0; i < 2; i++) {
      const next = await agent();
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).not.toContain('not an entry');
    }
    expect((await entries()).filter((e) => e.author === 'bob').length).toBe(1);
    expect(changelogFile()).toContain('rebooted at some point\n');
  }, 60_000);

  it('keeps a hand-written entry while the server is away and sends it on the first turn that reaches it', async () => {
    const url = server?.url ?? '';
    await stopChild(server?.child);
    appendFileSync(join(root, 'root/changelog'), `\n${minute(new Date())}  dave\n    Replaced a disk in the RAID.\n`);
    const down = await agent([], url);
    expect(down.code).toBe(69);
    expect(down.stdout).toMatch(/server not reached/);
    expect(down.stdout).toMatch(/changelog: 1 waiting for the server/);
    expect(changelogFile()).toContain('  dave\n    Replaced a disk in the RAID.\n');

    server = await startServe(sb, { listen: new URL(url).host, args: ['--no-jobs'] });
    const up = await agent();
    expect(up.code, up.stderr).toBe(0);
    expect((await entries()).filter((e) => e.author === 'dave').map((e) => e.text)).toEqual(['Replaced a disk in the RAID.']);
    // Newest last, the malformed block kept after the entries.
    const file = changelogFile();
    expect(file.indexOf('  bob\n')).toBeLessThan(file.indexOf('  dave\n'));
    expect(file.indexOf('  dave\n')).toBeLessThan(file.indexOf('rebooted at some point'));
  }, 90_000);

  it('--no-changelog leaves the file alone', async () => {
    const before = changelogFile();
    expect((await sb.run(['changelog', 'add', '--host', 'shell', 'Rotated the certificate.'])).code).toBe(0);
    const r = await agent(['--no-changelog', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ changelog: null });
    expect(changelogFile()).toBe(before);
    expect((await agent()).code).toBe(0);
    expect(changelogFile()).toContain('Rotated the certificate.');
  }, 60_000);
});
