import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

interface Entry {
  readonly id: number;
  readonly host: string;
  readonly at: string;
  readonly author: string;
  readonly text: string;
  readonly public: boolean;
  readonly source: string;
}

const UID_BASE = 2_100_000_000;

/**
 * `roster changelog add` and `list` through the built command on the
 * example roster.yaml, and `roster apply` under a temp root adding Roster's
 * own entry when it changed something.
 */
describe('roster changelog', () => {
  let sb: RosterSandbox;
  let root: string;

  beforeAll(async () => {
    sb = await rosterSandbox();
    root = join(sb.dir, 'root');
    const hookLog = join(sb.dir, 'hooks.log');
    const hook = join(sb.dir, 'hook.sh');
    writeFileSync(hook, `#!/bin/sh\necho "$1 $ROSTER_USERNAME" >> ${hookLog}\n`, { mode: 0o755 });
    const path = join(sb.dir, 'roster.yaml');
    writeFileSync(
      path,
      readFileSync(path, 'utf8')
        .replace('uids: { min: 10000, max: 59999 }', `uids: { min: ${UID_BASE}, max: ${UID_BASE + 999_999} }`)
        .replace('gids: { min: 10000, max: 59999 }', `gids: { min: ${UID_BASE}, max: ${UID_BASE + 999_999} }`)
        .replace('processes: { graceSeconds: 10 }', 'processes: { graceSeconds: 1 }')
        // An onEnsure hook: a change at every apply by design, which is not an intervention.
        .replace('      # hooks: { onCreate: [/usr/local/sbin/welcome, --new], timeoutSeconds: 30 }', `      hooks: { onEnsure: [${hook}, again], timeoutSeconds: 10 }`),
    );
    mkdirSync(join(root, 'etc/skel'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(join(root, 'etc/shadow'), 'root:*:20000:0:99999:7:::\n', { mode: 0o640 });
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
    writeFileSync(join(root, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
    writeFileSync(join(root, 'etc/skel/.bashrc'), '# ~/.bashrc\n');
  }, 60_000);
  afterAll(async () => {
    await sb.cleanup();
  });

  const list = async (args: readonly string[] = []): Promise<Entry[]> => sb.json<Entry[]>(['changelog', 'list', ...args]);

  it('records who (SUDO_USER, else the login user), when and what, and lists it as /root/changelog shows it', async () => {
    const a = await sb.run(['changelog', 'add', '--host', 'shell', '--now', '2026-12-04T22:55:00Z', 'Upgraded', 'nginx', 'to', '1.26', 'and', 'reloaded', 'it.'], { env: { SUDO_USER: 'alice' } });
    expect([a.code, a.stderr]).toEqual([0, '']);
    expect(a.stdout).toBe('2026-12-04 22:55 UTC  alice  [host shell]\n    Upgraded nginx to 1.26 and reloaded it.\n');
    // From stdin, many lines; without sudo the login user is the author.
    const b = await sb.run(['changelog', 'add', '--host', 'web', '--public', '--now', '2026-12-05T08:00:00+01:00', '--json', '-'], { stdin: 'Purged the mailboxes over 5 GB:\n  - alice (7 GB)\n' });
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ host: 'web', at: '2026-12-05T07:00:00.000Z', author: userInfo().username, text: 'Purged the mailboxes over 5 GB:\n  - alice (7 GB)', public: true, source: 'cli' });

    expect((await sb.ok(['changelog', 'list']))).toBe(
      [
        '2026-12-04 22:55 UTC  alice  [host shell]',
        '    Upgraded nginx to 1.26 and reloaded it.',
        '',
        `2026-12-05 07:00 UTC  ${userInfo().username}  [host web, public]`,
        '    Purged the mailboxes over 5 GB:',
        '      - alice (7 GB)',
        '',
      ].join('\n'),
    );
    expect(await sb.ok(['changelog', 'list', '--host', 'shell'])).toBe('2026-12-04 22:55 UTC  alice\n    Upgraded nginx to 1.26 and reloaded it.\n');
    expect((await list(['--public'])).map((e) => e.host)).toEqual(['web']);
    expect((await list(['--since', '2026-12-05'])).map((e) => e.host)).toEqual(['web']);
    expect((await list(['--until', '2026-12-05T00:00:00Z'])).map((e) => e.host)).toEqual(['shell']);
    expect((await list(['--since', '12h', '--now', '2026-12-05T12:00:00Z'])).map((e) => e.host)).toEqual(['web']);
    expect(await sb.ok(['changelog', 'list', '--since', '1m', '--now', '2027-01-01T00:00:00Z'])).toBe('no changelog entries\n');
    const audit = await sb.json<Array<{ actor: string; action: string; target: string }>>(['audit', '--target', 'host:shell']);
    expect(audit.filter((r) => r.action === 'changelog.add').map((r) => r.actor)).toEqual(['cli:alice']);
  });

  it('refuses what is not an entry, naming the field, and stores nothing', async () => {
    const before = (await list()).length;
    const unknown = await sb.run(['changelog', 'add', '--host', 'mail', 'Rebooted.']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no host "mail" in roster.yaml; the hosts are shell, web');
    const empty = await sb.run(['changelog', 'add', '--host', 'shell', '-'], { stdin: '  \n\n' });
    expect(empty.code).toBe(65);
    expect(empty.stderr).toContain('text: say what was done (the text is empty)');
    const bell = await sb.run(['changelog', 'add', '--host', 'shell', 'ring \u0007 the bell']);
    expect(bell.code).toBe(65);
    expect(bell.stderr).toContain('a control character (\\x07) on line 1');
    const long = await sb.run(['changelog', 'add', '--host', 'shell', '-'], { stdin: 'x'.repeat(4001) });
    expect(long.code).toBe(65);
    expect((await sb.run(['changelog', 'add', 'no host'])).code).toBe(2);
    const since = await sb.run(['changelog', 'list', '--since', 'last week']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since "last week" is not a date');
    const window = await sb.run(['changelog', 'list', '--since', '2026-12-05', '--until', '2026-12-04']);
    expect(window.code).toBe(2);
    expect((await list()).length).toBe(before);
  });

  it('roster apply that changes the host adds one entry by roster; one with nothing to do adds none', async () => {
    await sb.ok(['person', 'add', '--id', 'M1', '--first', 'Carol', '--last', 'Danvers', '--role', 'MEMBER']);
    await sb.ok(['account', 'create', 'M1', '--type', 'member', '--username', 'carol']);
    const applyEntries = async (): Promise<Entry[]> => (await list(['--host', 'shell'])).filter((e) => e.source === 'apply');

    const first = await sb.run(['apply', '--host', 'shell', '--root', root]);
    expect(first.code, first.stderr).toBe(0);
    const [entry, ...more] = await applyEntries();
    expect(more).toEqual([]);
    expect(entry?.author).toBe('roster');
    expect(entry?.text).toMatch(new RegExp(`^applied under root ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+ changes — \\w+: .*carol`));
    expect(await sb.ok(['changelog', 'list', '--host', 'shell'])).toContain(`UTC  roster (apply)\n    applied under root ${root}:`);

    // Converged: only the onEnsure hook runs again, which is no intervention.
    const second = await sb.run(['apply', '--host', 'shell', '--root', root]);
    expect(second.code, second.stderr).toBe(0);
    expect(readFileSync(join(sb.dir, 'hooks.log'), 'utf8').trim().split('\n')).toEqual(['again carol', 'again carol']);
    expect((await applyEntries()).length).toBe(1);
    // Six runs of the command, two of them applies: room for a machine busy with other tests.
  }, 180_000);
});
