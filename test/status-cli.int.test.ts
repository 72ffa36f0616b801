import { afterEach, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

/**
 * `roster status` with the built command and the example roster.yaml
 * (hosts shell and web; members live on both, students on shell): an
 * incident on shell with --notify is a plan until --yes ("will notify 2
 * members of host shell"), then queues the notice for exactly those
 * members; updates, resolution, maintenance and overrides, all audited;
 * bad input names the field and changes nothing.
 */

interface Listing {
  readonly overall: string;
  readonly components: Array<{ readonly id: string; readonly state: string; readonly reasons: string[]; readonly override: { readonly note: string } | null }>;
  readonly active: Array<{ readonly id: number; readonly kind: string; readonly state: string; readonly title: string; readonly updates: Array<{ readonly state: string; readonly message: string; readonly author: string }> }>;
  readonly upcoming: Array<{ readonly id: number; readonly scheduledStart: string; readonly scheduledEnd: string }>;
  readonly recent: Array<{ readonly id: number; readonly state: string }>;
}

interface AuditJson {
  readonly action: string;
  readonly actor: string;
  readonly target: string;
}

const NOW = ['--now', '2026-05-04T09:00:00Z'];

describe('roster status', () => {
  let sb: RosterSandbox;
  afterEach(async () => sb.cleanup());

  async function people(): Promise<void> {
    await sb.ok(['person', 'add', '--id', 'P1', '--first', 'Alice', '--last', 'Liddell', '--role', 'MEMBER', '--email', 'MEMBER=alice@example.org']);
    await sb.ok(['account', 'create', 'P1', '--type', 'member', '--username', 'alice', '--password-stdin'], 'Correct-Horse-7-Battery');
    await sb.ok(['person', 'add', '--id', 'P2', '--first', 'Sam', '--last', 'Student', '--role', 'STUDENT', '--campus', 'NB', '--email', 'STUDENT=sam@example.edu']);
    await sb.ok(['account', 'create', 'P2', '--type', 'student', '--username', 'sam', '--password-stdin'], 'Correct-Horse-7-Battery');
    // Someone with an address and no account: not a member of any host.
    await sb.ok(['person', 'add', '--id', 'P3', '--first', 'Nora', '--last', 'None', '--role', 'MEMBER', '--email', 'MEMBER=nora@example.org']);
  }

  it('plans the notice of an incident on shell, sends it with --yes to exactly its members, then updates and resolves it', async () => {
    sb = await rosterSandbox();
    await people();
    const before = await sb.json<AuditJson[]>(['audit', '--limit', '1000']);

    const open = ['status', 'incident', 'open', '--host', 'shell', '--title', 'Home directories read-only', '--impact', 'critical', '--notify', 'Do not save files until further notice.', ...NOW];
    const plan = await sb.run(open);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toBe(
      [
        'would open incident #1 investigating (critical): Home directories read-only [shell]',
        'will notify 2 members of host shell',
        'nothing was changed: add --yes to do it and send the notices',
        '',
      ].join('\n'),
    );
    expect(await sb.json<AuditJson[]>(['audit', '--limit', '1000'])).toEqual(before);
    expect((await sb.json<Listing>(['status', 'list', ...NOW])).active).toEqual([]);

    const done = await sb.run([...open, '--yes']);
    expect(done.code).toBe(0);
    expect(done.stdout).toBe(['opened incident #1 investigating (critical): Home directories read-only [shell]', 'notified 2 members of host shell', ''].join('\n'));
    const queued = await sb.json<{ messages: Array<{ kind: string; recipient: string }> }>(['notify', 'list']);
    expect(queued.messages.filter((m) => m.kind === 'announcement').map((m) => m.recipient).sort()).toEqual(['alice@example.org', 'sam@example.edu']);

    await sb.ok(['status', 'incident', 'update', '1', '--state', 'identified', 'A disk of the RAID failed.', '--now', '2026-05-04T09:20:00Z']);
    const listing = await sb.json<Listing>(['status', 'list', '--now', '2026-05-04T09:25:00Z']);
    expect(listing.active.map((e) => [e.id, e.kind, e.state, e.title])).toEqual([[1, 'incident', 'identified', 'Home directories read-only']]);
    expect(listing.active[0]?.updates.map((u) => [u.state, u.message])).toEqual([
      ['investigating', 'Do not save files until further notice.'],
      ['identified', 'A disk of the RAID failed.'],
    ]);
    expect(listing.active[0]?.updates[0]?.author).toMatch(/^cli:/);
    expect(listing.components.find((c) => c.id === 'shell')?.state).toBe('major_outage');
    expect(listing.components.find((c) => c.id === 'web')?.state).toBe('degraded');
    expect(listing.overall).toBe('major_outage');

    const text = await sb.ok(['status', 'list', '--now', '2026-05-04T09:25:00Z']);
    expect(text).toContain('overall: Major outage');
    expect(text).toMatch(/^shell\s+Major outage/m);
    expect(text).toContain('incident #1 (identified): Home directories read-only');
    expect(text).toContain('its agent has never called the server');
    expect(text).toContain('open:\n  incident #1 identified (critical): Home directories read-only [shell]');

    // A message from standard input.
    const resolved = await sb.run(['status', 'incident', 'resolve', '1', '-', '--now', '2026-05-04T10:00:00Z'], { stdin: 'The disk is replaced.\nEverything works again.\n' });
    expect(resolved.stdout).toBe('resolved incident #1 resolved (critical): Home directories read-only [shell]\n');
    const after = await sb.json<Listing>(['status', 'list', '--now', '2026-05-04T10:01:00Z']);
    expect(after.active).toEqual([]);
    expect(after.recent.map((e) => [e.id, e.state])).toEqual([[1, 'resolved']]);
    const again = await sb.run(['status', 'incident', 'resolve', '1', 'twice', '--now', '2026-05-04T10:02:00Z']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('incident #1 was resolved already');

    const audit = await sb.json<AuditJson[]>(['audit', '--target', 'status-incident:1']);
    expect(audit.map((a) => a.action)).toEqual(['status.incident.open', 'status.incident.update', 'status.incident.resolve']);
    expect(audit[0]?.actor).toMatch(/^cli:/);
    expect((await sb.json<AuditJson[]>(['audit', '--target', 'host:shell'])).map((a) => a.action)).toEqual(['announce']);
  });

  it('schedules, starts and completes a maintenance; sets and clears an override; refuses bad input naming the field', async () => {
    sb = await rosterSandbox();
    const scheduled = await sb.ok(['status', 'maintenance', 'schedule', '--host', 'web', '--title', 'New disks', '--start', '2026-05-06T20:00', '--end', '2026-05-06T22:00', 'Web sites are down for two hours.', ...NOW]);
    expect(scheduled).toMatch(/^scheduled maintenance #1 scheduled: New disks \[web\], 2026-05-06 20:00 \(.+\) to 2026-05-06 22:00 \(.+\)\n$/);
    expect((await sb.json<Listing>(['status', 'list', ...NOW])).upcoming.map((e) => e.id)).toEqual([1]);
    await sb.ok(['status', 'maintenance', 'start', '1', '--now', '2026-05-06T18:00:00Z']);
    expect((await sb.json<Listing>(['status', 'list', '--now', '2026-05-06T18:01:00Z'])).components.find((c) => c.id === 'web')?.reasons).toContain('maintenance #1 (in_progress): New disks');
    const early = await sb.run(['status', 'maintenance', 'start', '1', '--now', '2026-05-06T18:02:00Z']);
    expect([early.code, early.stderr]).toEqual([1, expect.stringContaining('maintenance #1 is in progress, not scheduled')]);
    expect(await sb.ok(['status', 'maintenance', 'complete', '1', 'All disks new.', '--now', '2026-05-06T19:30:00Z'])).toContain('completed maintenance #1 completed');

    expect(await sb.ok(['status', 'component', 'set', 'shell/login', '--state', 'partial_outage', '--note', 'PAM refuses half the logins', ...NOW])).toBe('set shell/login to partial_outage: PAM refuses half the logins\n');
    const listing = await sb.json<Listing>(['status', 'list', ...NOW]);
    expect(listing.components.find((c) => c.id === 'shell/login')).toMatchObject({ state: 'partial_outage', override: { note: 'PAM refuses half the logins' } });
    expect(await sb.ok(['status', 'component', 'clear', 'shell/login', ...NOW])).toBe('cleared the override of shell/login\n');
    expect(await sb.ok(['status', 'component', 'clear', 'shell/login', ...NOW])).toBe('shell/login has no override\n');

    const head = await sb.json<AuditJson[]>(['audit', '--limit', '1000']);
    const bad: Array<[string[], number, string]> = [
      [['status', 'incident', 'open', '--host', 'shell', '--title', 'T', '--impact', 'huge', 'm'], 65, 'impact'],
      [['status', 'incident', 'open', '--host', 'mars', '--title', 'T', 'm'], 1, 'no host "mars"'],
      [['status', 'incident', 'open', '--title', 'T', 'm'], 65, 'a host or a component'],
      [['status', 'incident', 'open', '--component', 'shell/ftp', '--title', 'T', 'm'], 1, 'no component "shell/ftp"'],
      [['status', 'incident', 'update', 'x', '--state', 'identified', 'm'], 2, 'ID "x"'],
      [['status', 'incident', 'update', '7', '--state', 'identified', 'm'], 1, 'no incident #7'],
      [['status', 'incident', 'update', '1', '--state', 'identified', 'm'], 1, 'no incident #1'],
      [['status', 'maintenance', 'schedule', '--host', 'web', '--title', 'T', '--start', '2026-05-06T22:00', '--end', '2026-05-06T20:00', 'm'], 65, 'end after it starts'],
      [['status', 'maintenance', 'schedule', '--host', 'web', '--title', 'T', '--start', 'tomorrow', '--end', '2026-05-06T20:00', 'm'], 2, '--start'],
      [['status', 'component', 'set', 'web', '--state', 'fine', '--note', 'n'], 65, 'state'],
    ];
    for (const [args, code, says] of bad) {
      const r = await sb.run([...args, ...NOW]);
      expect([args.join(' '), r.code, r.stderr]).toEqual([args.join(' '), code, expect.stringContaining(says)]);
    }
    expect(await sb.json<AuditJson[]>(['audit', '--limit', '1000'])).toEqual(head);
  });
});
