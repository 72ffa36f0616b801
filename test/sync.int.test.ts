import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';
import { databaseSnapshot } from './db-snapshot.js';

interface Summary {
  created: number;
  updated: number;
  retired: number;
  reactivated: number;
  unchanged: number;
  added: number;
  purged: number;
}
interface Report {
  dryRun: boolean;
  rows: number;
  summary: Summary;
  changes: Array<Record<string, unknown> & { action: string; username?: string; personId: string }>;
  notes: unknown[];
  failures: unknown[];
  passwords: { file: string; count: number } | null;
}
interface AccountJson {
  username: string;
  uid: number;
  state: string;
  holds: Array<{ kind: string; reason: string }>;
  expiresAt: string | null;
  purgeAt: string | null;
}

const HEADER = 'id,first_name,last_name,roles,classes,campus,major,email';
const ROWS = {
  S001: 'S001,Søren,Vette,STUDENT,01:198:111 (2026 fall),NB,CS,',
  S002: 'S002,Ada,Lovelace,STUDENT,01:198:111 (2026 fall);01:198:112 (2026 fall),NK,Math,ada@example.org',
  S003: 'S003,Alan,Turing,STUDENT,01:198:112 (2026 fall),CM,CS,',
  S004: 'S004,Grace,Hopper,STUDENT,,NB,,grace@example.org',
  S005: 'S005,Edsger,Dijkstra,STUDENT,,NB,,',
  T001: 'T001,Barbara,Liskov,STAFF,,NB,,',
} as const;


describe('roster sync from CSV (seed 002): import, change, leave, return, two sources, bad files', () => {
  let sb: RosterSandbox;
  let db: string;
  const csv = async (name: string, lines: readonly string[], header = HEADER): Promise<string> => {
    const path = join(sb.dir, name);
    await writeFile(path, `${[header, ...lines].join('\n')}\n`);
    return path;
  };
  const sync = (file: string, now: string, extra: string[] = []): Promise<Report> => sb.json<Report>(['sync', file, '--source', 'school', '--now', now, ...extra]);
  const account = (name: string, now: string): Promise<AccountJson> => sb.json<AccountJson>(['account', 'show', name, '--now', now]);
  const auditSeq = async (): Promise<number> => (await sb.json<Array<{ seq: number }>>(['audit', '--limit', '1'])).at(-1)?.seq ?? 0;

  beforeAll(async () => {
    sb = await rosterSandbox({ tz: 'Europe/Berlin' });
    db = join(sb.dir, 'roster.yaml');
    const config = await readFile(db, 'utf8');
    // A small breaker for the school (a half-empty file trips it), a second
    // source, and a type that generates initial passwords.
    const edited = config
      .replace('    # breaker: { count: 50, percent: 5 }\n', '    breaker: { count: 2, percent: 5 }\n')
      .replace(
        '\nsources:\n',
        "\nsources:\n  college:\n    columns: { id: sid, firstName: given, lastName: family, roles: role, campus: campus }\n    types: { STUDENT: [student], GUEST: [guest] }\n    grace: { deactivation: 0, deletion: 30 }\n",
      )
      .replace(
        'types:\n  # A hosting co-op',
        "types:\n  guest:\n    eligibility: { roles: { all: [GUEST] } }\n    hosts: { live: [shell] }\n    initialPassword: generate\n    grace: { deactivation: 0, deletion: 7 }\n  # A hosting co-op",
      );
    expect(edited).toContain('breaker: { count: 2');
    await writeFile(db, edited);
    db = join(sb.dir, 'roster.db');
  });
  afterAll(async () => sb.cleanup());

  it('first import: people and accounts created; the dry run printed exactly what the real run did', async () => {
    const file = await csv('day1.csv', [ROWS.S001, ROWS.S002, ROWS.S003, ROWS.S004, ROWS.S005, ROWS.T001]);
    const dry = await sync(file, '2026-03-10T10:00:00', ['--dry-run']);
    expect(databaseSnapshot(db)).not.toContain('S001');
    const real = await sync(file, '2026-03-10T10:00:00');
    expect(dry.dryRun).toBe(true);
    expect(real.dryRun).toBe(false);
    expect(real.changes).toEqual(dry.changes);
    expect(real.summary).toEqual(dry.summary);
    expect(real.summary).toMatchObject({ created: 5, updated: 0, retired: 0, reactivated: 0, unchanged: 0, added: 6 });
    expect(real.changes.filter((c) => c.action === 'create').map((c) => c.username)).toEqual(['svette', 'alovelace', 'aturing', 'ghopper', 'edijkstra']);
    const a = await account('svette', '2026-03-10T10:00:00');
    expect(a.state).toBe('active');
    expect(a.uid).toBeGreaterThanOrEqual(10000);
    // The school's address for the new account (emailRole STUDENT), the given one kept for Ada.
    expect((await sb.json<{ emails: Record<string, string> }>(['person', 'show', 'S001'])).emails).toEqual({ STUDENT: 'svette@example.edu' });
    expect((await sb.json<{ emails: Record<string, string> }>(['person', 'show', 'S002'])).emails).toEqual({ STUDENT: 'ada@example.org' });
    // Staff get no account (the school gives STUDENT only) but are known.
    expect((await sb.json<{ accounts: string[] }>(['person', 'show', 'T001'])).accounts).toEqual([]);
    // One audit record per change: 6 people, 5 accounts, 1 group brought into being.
    const actions = (await sb.json<Array<{ action: string; actor: string }>>(['audit', '--limit', '100'])).map((r) => r.action);
    expect(actions.filter((x) => x === 'person.add')).toHaveLength(6);
    expect(actions.filter((x) => x === 'account.create')).toHaveLength(5);
  });

  it('a re-import without changes changes nothing and writes no audit record', async () => {
    const before = await auditSeq();
    const file = await csv('day1-again.csv', [ROWS.T001, ROWS.S005, ROWS.S004, ROWS.S003, ROWS.S002, ROWS.S001]);
    const r = await sync(file, '2026-03-11T10:00:00');
    expect(r.summary).toEqual({ created: 0, updated: 0, retired: 0, reactivated: 0, unchanged: 6, added: 0, purged: 0 });
    expect(r.changes).toEqual([]);
    expect(await auditSeq()).toBe(before);
    const detailed = await sb.run(['sync', file, '--source', 'school', '--dry-run', '--detailed-exitcode', '--now', '2026-03-11T10:00:00']);
    expect(detailed.code).toBe(0);
  });

  it('a moved class updates only that person', async () => {
    const before = await auditSeq();
    const moved = ROWS.S002.replace('01:198:111 (2026 fall);01:198:112 (2026 fall)', '01:198:113 (2026 fall)');
    const file = await csv('moved.csv', [ROWS.S001, moved, ROWS.S003, ROWS.S004, ROWS.S005, ROWS.T001]);
    const dry = await sb.run(['sync', file, '--source', 'school', '--dry-run', '--detailed-exitcode', '--now', '2026-03-12T10:00:00']);
    expect(dry.code).toBe(2);
    const r = await sync(file, '2026-03-12T10:00:00');
    expect(r.summary).toMatchObject({ created: 0, updated: 1, retired: 0, reactivated: 0, unchanged: 5 });
    expect(r.changes).toEqual([{ action: 'update-person', personId: 'S002', row: 3, fields: ['classes'] }]);
    expect((await sb.json<{ classes: string[] }>(['person', 'show', 'S002'])).classes).toEqual(['01:198:113 (2026 fall)']);
    expect(await auditSeq()).toBe(before + 1);
  });

  it('a student who leaves is retired with the source grace periods (D = 14, P = 180, midnight in the zone)', async () => {
    const file = await csv('left.csv', [ROWS.S001, ROWS.S002.replace('01:198:111 (2026 fall);01:198:112 (2026 fall)', '01:198:113 (2026 fall)'), ROWS.S004, ROWS.S005, ROWS.T001]);
    const r = await sync(file, '2026-03-13T13:00:00');
    expect(r.summary).toMatchObject({ retired: 1, unchanged: 5 });
    expect(r.changes).toEqual([
      { action: 'retire', personId: 'S003', username: 'aturing', type: 'student', why: 'absent from the file', deactivates: '2026-03-26T23:00:00.000Z', deletes: '2026-09-08T22:00:00.000Z' },
    ]);
    const during = await account('aturing', '2026-03-20T12:00:00');
    expect(during).toMatchObject({ state: 'active', expiresAt: '2026-03-26T23:00:00.000Z', purgeAt: '2026-09-08T22:00:00.000Z' });
    expect((await account('aturing', '2026-03-27T00:00:01')).state).toBe('disabled');
    // The same file again: the retirement stands, nothing is extended or written.
    const again = await sync(file, '2026-03-20T13:00:00');
    expect(again.changes).toEqual([]);
    expect((await account('aturing', '2026-03-20T13:00:00')).purgeAt).toBe('2026-09-08T22:00:00.000Z');
  });

  it('a student who comes back before P is reactivated with the same UID', async () => {
    const uid = (await account('aturing', '2026-04-01T10:00:00')).uid;
    const file = await csv('back.csv', [ROWS.S001, ROWS.S002.replace('01:198:111 (2026 fall);01:198:112 (2026 fall)', '01:198:113 (2026 fall)'), ROWS.S003, ROWS.S004, ROWS.S005, ROWS.T001]);
    const r = await sync(file, '2026-04-01T10:00:00');
    expect(r.changes).toEqual([{ action: 'reactivate', personId: 'S003', username: 'aturing', type: 'student' }]);
    const a = await account('aturing', '2026-04-01T10:00:00');
    expect(a).toMatchObject({ uid, state: 'active', holds: [], expiresAt: null, purgeAt: null });
  });

  it('an admin-frozen student who leaves and comes back stays frozen', async () => {
    expect((await sb.run(['account', 'freeze', 'ghopper', '--reason', 'security', '--now', '2026-04-02T09:00:00'])).code).toBe(0);
    const rows = [ROWS.S001, ROWS.S002.replace('01:198:111 (2026 fall);01:198:112 (2026 fall)', '01:198:113 (2026 fall)'), ROWS.S003, ROWS.S005, ROWS.T001];
    const gone = await sync(await csv('no-grace.csv', rows), '2026-04-02T10:00:00');
    expect(gone.changes.map((c) => `${c.action} ${c.username ?? ''}`)).toEqual(['retire ghopper']);
    const back = await sync(await csv('grace-back.csv', [...rows, ROWS.S004]), '2026-04-03T10:00:00');
    expect(back.changes.map((c) => `${c.action} ${c.username ?? ''}`)).toEqual(['reactivate ghopper']);
    const a = await account('ghopper', '2026-04-03T10:00:00');
    expect(a.state).toBe('disabled');
    expect(a.holds.map((h) => `${h.kind}:${h.reason}`)).toEqual(['freeze:security']);
  });

  it('two sources do not disturb each other', async () => {
    const college = await csv('college.csv', ['C100,Margaret,Hamilton,STUDENT,NB', 'C101,Katherine,Johnson,STUDENT,NB'], 'sid,given,family,role,campus');
    const r = await sb.json<Report>(['sync', college, '--source', 'college', '--now', '2026-04-04T10:00:00']);
    expect(r.summary).toMatchObject({ created: 2, added: 2 });
    // The school's next import does not know the college's people and leaves them alone.
    const school = await csv('school-again.csv', [ROWS.S001, ROWS.S002.replace('01:198:111 (2026 fall);01:198:112 (2026 fall)', '01:198:113 (2026 fall)'), ROWS.S003, ROWS.S004, ROWS.S005, ROWS.T001]);
    expect((await sync(school, '2026-04-05T10:00:00')).changes).toEqual([]);
    expect((await account('mhamilton', '2026-04-05T10:00:00')).state).toBe('active');
    // A college student leaving retires only that student, with the college's grace (D = 0, P = 30).
    const left = await sb.json<Report>(['sync', await csv('college2.csv', ['C100,Margaret,Hamilton,STUDENT,NB'], 'sid,given,family,role,campus'), '--source', 'college', '--now', '2026-04-06T10:00:00']);
    expect(left.changes.map((c) => `${c.action} ${c.username ?? ''}`)).toEqual(['retire kjohnson']);
    expect((await account('kjohnson', '2026-04-06T10:00:01')).state).toBe('disabled');
    expect((await account('svette', '2026-04-06T10:00:01')).state).toBe('active');
    // The college cannot take over a school person.
    const clash = await sb.run(['sync', await csv('college3.csv', ['C100,Margaret,Hamilton,STUDENT,NB', 'S001,Søren,Vette,STUDENT,NB'], 'sid,given,family,role,campus'), '--source', 'college']);
    expect(clash.code).toBe(65);
    expect(clash.stderr).toMatch(/row 3, column id: person S001 belongs to source school/);
  });

  it('generated initial passwords go to a new 0600 file only, never to the output or the audit', async () => {
    const file = await csv('guests.csv', ['C100,Margaret,Hamilton,STUDENT,NB', 'G1,Guest,Visitor,GUEST,NB'], 'sid,given,family,role,campus');
    const missing = await sb.run(['sync', file, '--source', 'college', '--now', '2026-04-07T10:00:00']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--password-file/);
    const path = join(sb.dir, 'initial-passwords.txt');
    const r = await sb.run(['sync', file, '--source', 'college', '--password-file', path, '--now', '2026-04-07T10:00:00']);
    expect(r.code, r.stderr).toBe(0);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    const [user, password] = (lines[0] ?? '').split(':');
    expect(user).toBe('gvisitor');
    expect(password?.length).toBeGreaterThanOrEqual(16);
    expect(r.stdout + r.stderr).not.toContain(password);
    expect(JSON.stringify(await sb.json(['audit', '--limit', '100']))).not.toContain(password);
    const row = new Database(db, { readonly: true }).prepare('select password_hash from accounts where username = ?').get('gvisitor') as { password_hash: string };
    expect(row.password_hash).toMatch(/^\$y\$/);
    const again = await sb.run(['sync', file, '--source', 'college', '--password-file', path]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; a password file is never overwritten/);
  });

  it('a bad file changes nothing and lists every problem by row and column', async () => {
    const before = databaseSnapshot(db);
    const file = await csv('bad.csv', [
      ROWS.S001,
      'S002,Ada,Lovelace,STUDENT,,NK,,not-an-address',
      ',No,Id,STUDENT,,NB,,',
      'S001,Dup,Licate,STUDENT,,NB,,',
      'S009,Bad,Role,WIZARD,,NB,,',
      'S010,Too,Short',
      'S011,Colon:Name,X,STUDENT,,NB,,',
    ]);
    await writeFile(file, Buffer.concat([await readFile(file), Buffer.from('S012,'), Buffer.from([0xff, 0xfe]), Buffer.from(',Y,STUDENT,,NB,,\n')]));
    const r = await sb.run(['sync', file, '--source', 'school']);
    expect(r.code).toBe(65);
    expect(r.stdout).toBe('');
    for (const problem of [
      /row 3, column email: "not-an-address" is not an e-mail address/,
      /row 4, column id: is missing/,
      /row 5, column id: "S001" is also on row 2/,
      /row 6, column roles: unknown role "WIZARD"/,
      /row 7: has 3 columns, the header has 8/,
      /row 8, column first_name: must not contain ':'/,
      /row 9, column first_name: is not valid UTF-8/,
    ]) {
      expect(r.stderr).toMatch(problem);
    }
    expect(r.stderr).toMatch(/has 7 problems; nothing was changed/);
    const json = await sb.run(['sync', file, '--source', 'school', '--json']);
    expect((JSON.parse(json.stdout) as { error: { issues: unknown[] } }).error.issues).toHaveLength(7);
    // An unclosed quote (a truncated file) is reported too.
    const cut = join(sb.dir, 'cut.csv');
    await writeFile(cut, `${HEADER}\n${ROWS.S001}\nS002,"Ada`);
    const truncated = await sb.run(['sync', cut, '--source', 'school']);
    expect(truncated.code).toBe(65);
    expect(truncated.stderr).toMatch(/row 3.*truncated/);
    expect(databaseSnapshot(db)).toBe(before);
  });

  it('a half-empty file trips the circuit breaker before any change; --allow-mass-change proceeds', async () => {
    const accountsBefore = new Database(db, { readonly: true }).prepare('select * from accounts order by id').all();
    const half = await csv('half.csv', [ROWS.S001, ROWS.S002, ROWS.T001]);
    const r = await sb.run(['sync', half, '--source', 'school', '--now', '2026-05-01T10:00:00']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/would retire 3 of 5 accounts \(3 of people absent from the file, 0 no longer eligible\): over the limit of 2/);
    expect(r.stderr).toMatch(/--allow-mass-change/);
    expect(new Database(db, { readonly: true }).prepare('select * from accounts order by id').all()).toEqual(accountsBefore);
    const refused = (await sb.json<Array<{ action: string; result: string }>>(['audit', '--limit', '1']))[0];
    expect(refused).toMatchObject({ action: 'sync.refused', result: 'refused' });
    // A file with nothing but its header would retire everyone: refused whatever the limit.
    const empty = await sb.run(['sync', await csv('empty.csv', []), '--source', 'school', '--now', '2026-05-01T10:00:00']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/every account of the source \(the file has 0 rows\)/);
    const allowed = await sync(half, '2026-05-01T10:00:00', ['--allow-mass-change']);
    expect(allowed.summary.retired).toBe(3);
  });

  it('records every sync run in jobs list', async () => {
    const list = await sb.json<{ runs: Array<{ job: string; result: string; counts: Record<string, number> }> }>(['jobs', 'list', '--job', 'sync:school']);
    expect(list.runs.length).toBeGreaterThanOrEqual(5);
    expect(list.runs[0]).toMatchObject({ job: 'sync:school', result: 'ok', counts: { retired: 3 } });
  });
});
