import { link, mkdir, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

interface UsageRow {
  readonly user: string;
  readonly host: string;
  readonly target: string;
  readonly subject: string;
  readonly bytes: number;
  readonly measuredAt: string;
}

/** The judge of a home's size: GNU du, one filesystem, bytes. */
function du(path: string): number {
  return Number(execFileSync('du', ['-s', '-x', '-B1', path], { encoding: 'utf8' }).split('\t')[0]);
}

/**
 * The built command with the example roster.yaml: host shell runs the homes
 * target, whose usage is each home's size, measured here under a root prefix.
 */
describe('roster usage', () => {
  let sb: RosterSandbox;
  afterEach(async () => sb.cleanup());

  it('measures the homes of a host under --root, shows them per account (text and JSON), and measures again', async () => {
    sb = await rosterSandbox();
    for (const [id, user] of [['P1', 'kim'], ['P2', 'lee']] as const) {
      await sb.ok(['person', 'add', '--id', id, '--first', 'Kim', '--last', 'Lee', '--role', 'MEMBER']);
      await sb.ok(['account', 'create', id, '--type', 'member', '--username', user, '--password-stdin'], 'Correct-Horse-7-Battery');
    }
    const root = join(sb.dir, 'root');
    await mkdir(join(root, 'home/kim/mail'), { recursive: true });
    await mkdir(join(root, 'home/lee'), { recursive: true });
    await writeFile(join(root, 'home/kim/mail/inbox'), Buffer.alloc(3 * 1024 * 1024, 1));
    await link(join(root, 'home/kim/mail/inbox'), join(root, 'home/kim/inbox-again'));
    await writeFile(join(root, 'home/lee/.profile'), 'umask 027\n');

    expect(await sb.ok(['usage'])).toBe('no usage measured (roster usage --measure --host HOST measures it)\n');
    const measured = await sb.ok(['usage', '--measure', '--host', 'shell', '--root', root, '--now', '2026-05-01T10:00:00Z']);
    expect(measured).toBe('shell homes: 2 figures stored\n');

    const kim = du(join(root, 'home/kim'));
    const rows = await sb.json<UsageRow[]>(['usage', 'kim']);
    expect(rows).toEqual([{ user: 'kim', host: 'shell', target: 'homes', subject: 'home:/home/kim', bytes: kim, measuredAt: '2026-05-01T10:00:00.000Z' }]);
    // Three MiB counted once, whatever the link.
    expect(kim).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    expect(kim).toBeLessThan(4 * 1024 * 1024);
    expect(await sb.ok(['usage', 'kim'])).toMatch(/^kim {2}shell {2}homes {2}home:\/home\/kim {2}\s+3\.\d MiB {2}2026-05-01T10:00:00\.000Z\n$/);
    expect((await sb.json<UsageRow[]>(['usage'])).map((r) => [r.user, r.subject])).toEqual([
      ['kim', 'home:/home/kim'],
      ['lee', 'home:/home/lee'],
    ]);
    expect(await sb.json(['usage', '--host', 'web'])).toEqual([]);

    // Measuring again replaces the figures, with the new time.
    await writeFile(join(root, 'home/lee/big'), Buffer.alloc(1024 * 1024, 2));
    expect(await sb.json(['usage', '--measure', '--root', root, '--now', '2026-06-01T10:00:00Z'])).toEqual([{ host: 'shell', target: 'homes', ok: true, figures: 2 }]);
    const lee = await sb.json<UsageRow[]>(['usage', 'lee']);
    expect(lee.map((r) => [r.bytes, r.measuredAt])).toEqual([[du(join(root, 'home/lee')), '2026-06-01T10:00:00.000Z']]);

    const audit = await sb.json<Array<{ action: string; target: string }>>(['audit']);
    expect(audit.filter((r) => r.action === 'usage.measure').map((r) => r.target)).toEqual(['host:shell', 'host:shell']);
  }, 60_000);

  it('refuses an unknown user, an unknown host, a root that is no directory, and a user with --measure', async () => {
    sb = await rosterSandbox();
    const nobody = await sb.run(['usage', 'nobody']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('user: no account "nobody"');
    const host = await sb.run(['usage', '--measure', '--host', 'mail', '--root', sb.dir]);
    expect(host.code).toBe(1);
    expect(host.stderr).toContain('no host "mail" in roster.yaml (declared: shell, web)');
    const root = await sb.run(['usage', '--measure', '--host', 'shell', '--root', join(sb.dir, 'nope')]);
    expect(root.code).toBe(2);
    expect(root.stderr).toContain('is not a directory');
    const both = await sb.run(['usage', 'kim', '--measure']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--measure measures every account of the host(s)');
  }, 60_000);
});
