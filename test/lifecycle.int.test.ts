import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

interface AccountJson {
  username: string;
  uid: number;
  type: string;
  personId: string;
  state: string;
  holds: Array<{ kind: string; reason: string; since: string }>;
  expiresAt: string | null;
  purgeAt: string | null;
}

const PASSWORD = 'Tr0ub4dor&3-horse';

async function member(sb: RosterSandbox, id: string, first: string, last: string, extra: string[] = []): Promise<void> {
  const r = await sb.run(['person', 'add', '--id', id, '--first', first, '--last', last, '--role', 'MEMBER', ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

async function createMember(sb: RosterSandbox, id: string, username: string, now = '2026-01-05T12:00:00Z'): Promise<AccountJson> {
  await member(sb, id, 'Test', `Person${id}`);
  return sb.json<AccountJson>(['account', 'create', id, '--type', 'member', '--username', username, '--now', now]);
}

describe('roster command: accounts end to end (SQLite)', () => {
  let sb: RosterSandbox;
  beforeAll(async () => {
    sb = await rosterSandbox();
  });
  afterAll(async () => sb.cleanup());

  it('suggests 8 usernames, creates an account with a yescrypt hash that libcrypt verifies independently', async () => {
    await member(sb, 'M001', 'Søren', 'Vette');
    const suggest = await sb.run(['account', 'suggest', 'M001', '--type', 'member']);
    expect(suggest.code).toBe(0);
    const names = suggest.stdout.trim().split('\n');
    expect(names).toHaveLength(8);
    expect(new Set(names).size).toBe(8);
    expect(names).toContain('svette');
    for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9-]{0,30}$/);

    const created = await sb.json<AccountJson>(['account', 'create', 'M001', '--type', 'member', '--password-stdin'], { stdin: `${PASSWORD}\n` });
    expect(created.username).toBe(names[0]);
    expect(created.state).toBe('active');
    const db = new Database(join(sb.dir, 'roster.db'), { readonly: true });
    const row = db.prepare('select password_hash from accounts where username = ?').get(created.username) as { password_hash: string };
    db.close();
    expect(row.password_hash).toMatch(/^\$y\$/);
    const again = execFileSync('python3', ['-c', 'import crypt,sys; print(crypt.crypt(sys.stdin.readline().rstrip("\\n"), sys.argv[1]))', row.password_hash], { input: `${PASSWORD}\n`, encoding: 'utf8' }).trim();
    expect(again).toBe(row.password_hash);
    // The API never shows the hash.
    const shown = await sb.run(['account', 'show', created.username, '--json']);
    expect(shown.stdout).not.toContain('$y$');
  });

  it('account show --json has the contract fields, and global options work before or after the command', async () => {
    const after = await sb.run(['account', 'show', 'svette', '--json']);
    const before = await sb.run(['--json', 'account', 'show', 'svette']);
    expect(after.code).toBe(0);
    expect(after.stdout).toBe(before.stdout);
    const a = JSON.parse(after.stdout) as AccountJson;
    expect(a).toMatchObject({ username: 'svette', type: 'member', personId: 'M001', state: 'active', holds: [], expiresAt: null, purgeAt: null });
    expect(a.uid).toBeGreaterThanOrEqual(10000);
  });

  it('holds stack and are lifted one by one; reactivation leaves an admin freeze in place', async () => {
    await createMember(sb, 'M002', 'alice');
    let a = await sb.json<AccountJson>(['account', 'freeze', 'alice', '--reason', 'admin', '--note', 'abuse report']);
    expect(a.state).toBe('disabled');
    a = await sb.json<AccountJson>(['account', 'freeze', 'alice', '--reason', 'security']);
    expect(a.holds.map((h) => `${h.kind}:${h.reason}`).sort()).toEqual(['freeze:admin', 'freeze:security']);
    a = await sb.json<AccountJson>(['account', 'unfreeze', 'alice', '--reason', 'security']);
    expect(a.holds.map((h) => h.reason)).toEqual(['admin']);
    a = await sb.json<AccountJson>(['account', 'retire', 'alice', '--deactivate-after', '0', '--delete-after', '30']);
    expect(a.holds.map((h) => h.kind).sort()).toEqual(['freeze', 'retired']);
    a = await sb.json<AccountJson>(['account', 'reactivate', 'alice']);
    expect(a.state).toBe('disabled');
    expect(a.holds.map((h) => `${h.kind}:${h.reason}`)).toEqual(['freeze:admin']);
    expect(a.expiresAt).toBeNull();
    expect(a.purgeAt).toBeNull();
    a = await sb.json<AccountJson>(['account', 'unfreeze', 'alice', '--reason', 'admin']);
    expect(a.state).toBe('active');
  });

  it("UCS's three grace cases", async () => {
    const now = '2026-03-10T15:30:00Z';
    await createMember(sb, 'U1', 'ucsone', now);
    await createMember(sb, 'U2', 'ucstwo', now);
    await createMember(sb, 'U3', 'ucsthree', now);
    // P = 0: removed at once, whatever D is.
    const one = await sb.json<AccountJson>(['account', 'retire', 'ucsone', '--deactivate-after', '10', '--delete-after', '0', '--now', now]);
    expect(one.state).toBe('purged');
    // D = 0, P = 10: deactivated now, purge at the start of the day ten days on.
    const two = await sb.json<AccountJson>(['account', 'retire', 'ucstwo', '--deactivate-after', '0', '--delete-after', '10', '--now', now]);
    expect(two.state).toBe('disabled');
    expect(two.purgeAt).toBe('2026-03-20T00:00:00.000Z');
    // D = 5, P = 10: active for five days, then disabled without any job running.
    const three = await sb.json<AccountJson>(['account', 'retire', 'ucsthree', '--deactivate-after', '5', '--delete-after', '10', '--now', now]);
    expect(three.state).toBe('active');
    expect(three.expiresAt).toBe('2026-03-15T00:00:00.000Z');
    expect(three.purgeAt).toBe('2026-03-20T00:00:00.000Z');
    const later = await sb.json<AccountJson>(['account', 'show', 'ucsthree', '--now', '2026-03-15T00:00:01Z']);
    expect(later.state).toBe('disabled');
    expect(later.holds.map((h) => h.kind)).toEqual(['retired']);
    const justBefore = await sb.json<AccountJson>(['account', 'show', 'ucsthree', '--now', '2026-03-14T23:59:59Z']);
    expect(justBefore.state).toBe('active');
  });

  it('re-retiring keeps the earlier dates: a shorter grace moves them in, a longer one never extends them', async () => {
    const now = '2026-04-01T08:00:00Z';
    await createMember(sb, 'R1', 'rere', now);
    await sb.json(['account', 'retire', 'rere', '--deactivate-after', '7', '--delete-after', '30', '--now', now]);
    const shorter = await sb.json<AccountJson>(['account', 'retire', 'rere', '--deactivate-after', '0', '--delete-after', '20', '--now', now]);
    expect(shorter.state).toBe('disabled');
    expect(shorter.purgeAt).toBe('2026-04-21T00:00:00.000Z');
    const longer = await sb.json<AccountJson & { changed: boolean }>(['account', 'retire', 'rere', '--deactivate-after', '10', '--delete-after', '90', '--now', now]);
    expect(longer.purgeAt).toBe('2026-04-21T00:00:00.000Z');
    expect(longer.changed).toBe(false);
  });

  it('writes one audit record per change and verifies the chain', async () => {
    const v = await sb.json<{ ok: boolean; records: number; head: { seq: number; hash: string } }>(['audit', 'verify']);
    expect(v.ok).toBe(true);
    expect(v.records).toBeGreaterThan(10);
    const records = await sb.json<Array<{ action: string; target: string; actor: string }>>(['audit', '--limit', '1000']);
    expect(records.filter((r) => r.target === 'account:alice').map((r) => r.action)).toEqual([
      'account.create', 'account.freeze', 'account.freeze', 'account.unfreeze', 'account.retire', 'account.reactivate', 'account.unfreeze',
    ]);
    // A no-op writes nothing.
    const head = v.head.seq;
    await sb.json(['account', 'unfreeze', 'alice', '--reason', 'admin']);
    const v2 = await sb.json<{ head: { seq: number } }>(['audit', 'verify']);
    expect(v2.head.seq).toBe(head);
  });
});

describe('purge boundary in the configured time zone (seed 002, Europe/Berlin)', () => {
  let sb: RosterSandbox;
  beforeAll(async () => {
    sb = await rosterSandbox({ tz: 'Europe/Berlin' });
  });
  afterAll(async () => sb.cleanup());

  it('retire 2017-10-13 13:00 with P=10: nothing at 2017-10-22 23:58:44, found at 2017-10-23 00:00:03', async () => {
    await createMember(sb, 'B1', 'neithard', '2017-10-01T10:00:00+02:00');
    const r = await sb.json<AccountJson>(['account', 'retire', 'neithard', '--deactivate-after', '0', '--delete-after', '10', '--now', '2017-10-13T13:00:00']);
    expect(r.purgeAt).toBe('2017-10-22T22:00:00.000Z');
    const early = await sb.json<{ candidates: Array<{ username: string; purgeAt: string }> }>(['purge', '--dry-run', '--now', '2017-10-22T23:58:44']);
    expect(early.candidates).toEqual([]);
    const due = await sb.json<{ candidates: Array<{ username: string; purgeAt: string }> }>(['purge', '--dry-run', '--now', '2017-10-23T00:00:03']);
    expect(due.candidates).toEqual([{ username: 'neithard', purgeAt: '2017-10-22T22:00:00.000Z' }]);
    const dry = await sb.run(['purge', '--dry-run', '--detailed-exitcode', '--now', '2017-10-23T00:00:03']);
    expect(dry.code).toBe(2);
    const done = await sb.run(['purge', '--now', '2017-10-23T00:00:03']);
    expect(done.code).toBe(0);
    const after = await sb.json<AccountJson>(['account', 'show', 'neithard']);
    expect(after.state).toBe('purged');
    const again = await sb.json<{ candidates: unknown[] }>(['purge', '--dry-run', '--now', '2017-10-23T00:00:03']);
    expect(again.candidates).toEqual([]);
  });
});

describe('audit verify against a head kept outside the database', () => {
  let sb: RosterSandbox;
  beforeAll(async () => {
    sb = await rosterSandbox();
  });
  afterAll(async () => sb.cleanup());

  it('detects an edited record, and a truncation that also rewrote the head, with --expect-head', async () => {
    for (const [id, name] of [['T1', 'tina'], ['T2', 'theo'], ['T3', 'tara']] as const) await createMember(sb, id, name);
    const v = await sb.json<{ ok: boolean; head: { seq: number; hash: string } }>(['audit', 'verify']);
    expect(v.ok).toBe(true);
    const anchor = `${v.head.seq}:${v.head.hash}`;
    const db = new Database(join(sb.dir, 'roster.db'));
    // Truncate the last two records and make the head agree, as an intruder would.
    const keep = db.prepare('select seq, hash from audit where seq = ?').get(v.head.seq - 2) as { seq: number; hash: string };
    db.prepare('delete from audit where seq > ?').run(keep.seq);
    db.prepare('update audit_head set seq = ?, hash = ?').run(keep.seq, keep.hash);
    db.close();
    const selfConsistent = await sb.run(['audit', 'verify']);
    expect(selfConsistent.code).toBe(0);
    const anchored = await sb.run(['audit', 'verify', '--expect-head', anchor]);
    expect(anchored.code).toBe(1);
    expect(anchored.stdout).toMatch(/truncated/);

    const db2 = new Database(join(sb.dir, 'roster.db'));
    db2.prepare("update audit set actor = 'someone-else' where seq = 2").run();
    db2.close();
    const edited = await sb.run(['audit', 'verify', '--json']);
    expect(edited.code).toBe(1);
    const report = JSON.parse(edited.stdout) as { ok: boolean; problems: Array<{ seq: number; kind: string }> };
    expect(report.problems).toContainEqual(expect.objectContaining({ seq: 2, kind: 'edited' }));
  });
});
