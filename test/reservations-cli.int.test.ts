import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseSnapshot } from './db-snapshot.js';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

interface State {
  readonly username: string;
  readonly uid: number;
  readonly status: string;
}

describe('roster reservations list|prune', () => {
  let sb: RosterSandbox;
  afterEach(async () => sb.cleanup());

  it('lists, prunes after the retention (dry run first), audits, and the name comes back under a new UID', async () => {
    sb = await rosterSandbox();
    for (const [id, name] of [['P1', 'kgone'], ['P2', 'kstay']] as const) {
      await sb.ok(['person', 'add', '--id', id, '--first', 'Kim', '--last', id, '--role', 'MEMBER', '--now', '2025-01-01T10:00:00Z']);
      await sb.ok(['account', 'create', id, '--type', 'member', '--username', name, '--password-stdin', '--now', '2025-01-01T10:00:00Z'], 'Correct-Horse-7-Battery');
    }
    // Deletion grace 0: purged now, a tombstone keeps the name and UID.
    await sb.ok(['account', 'retire', 'kgone', '--delete-after', '0', '--now', '2025-02-01T10:00:00Z']);
    const list = async (now: string): Promise<State[]> => ((await sb.json<{ reservations: State[] }>(['reservations', 'list', '--now', now])).reservations);

    const before = await list('2025-06-01T00:00:00Z');
    expect(before.map((s) => [s.username, s.status])).toEqual([['kgone', 'retained'], ['kstay', 'in-use']]);
    expect(await sb.ok(['reservations', 'list', '--now', '2025-06-01T00:00:00Z'])).toMatch(/^kgone +\d+ {2}P1 +retained until 2026-02-01 \(no live account since 2025-02-01\)\nkstay +\d+ {2}P2 +in use\n$/);
    expect(await sb.ok(['reservations', 'list', '--status', 'in-use', '--now', '2025-06-01T00:00:00Z'])).toMatch(/^kstay .* in use\n$/);
    const bad = await sb.run(['reservations', 'list', '--status', 'gone']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('--status "gone" is not one of in-use, retained, releasable');

    // Within the retention nothing goes.
    expect(await sb.ok(['reservations', 'prune', '--now', '2026-01-31T10:00:00Z'])).toBe("released 0 reservations; kept 1 in use and 1 within 365 days of their person's last purge\n");

    const db = join(sb.dir, 'roster.db');
    const snapshot = databaseSnapshot(db);
    const dry = await sb.run(['reservations', 'prune', '--dry-run', '--detailed-exitcode', '--now', '2026-02-01T10:00:00Z']);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toBe(`would release kgone (UID ${before[0]?.uid}, person P1; no live account since 2025-02-01)\nwould release 1 reservation; kept 1 in use and 0 within 365 days of their person's last purge\n`);
    expect(databaseSnapshot(db)).toBe(snapshot);

    const real = await sb.json<{ dryRun: boolean; released: State[] }>(['reservations', 'prune', '--now', '2026-02-01T10:00:00Z']);
    expect(real.dryRun).toBe(false);
    expect(real.released.map((s) => [s.username, s.uid])).toEqual([['kgone', before[0]?.uid]]);
    expect((await list('2026-02-01T10:00:00Z')).map((s) => s.username)).toEqual(['kstay']);
    const audit = await sb.json<Array<{ action: string; target: string }>>(['audit', '--target', 'account:kgone']);
    expect(audit.map((a) => a.action)).toEqual(['account.create', 'account.purge', 'reservation.release']);

    // Someone else may choose the name now; the UID is not handed out again.
    await sb.ok(['person', 'add', '--id', 'P3', '--first', 'Kim', '--last', 'New', '--role', 'MEMBER']);
    const created = await sb.json<{ username: string; uid: number }>(['account', 'create', 'P3', '--type', 'member', '--username', 'kgone', '--password-stdin'], { stdin: 'Correct-Horse-7-Battery' });
    expect(created.username).toBe('kgone');
    expect(created.uid).toBeGreaterThan(Math.max(...before.map((s) => s.uid)));
  });
});
