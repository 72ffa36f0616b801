import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseSnapshot } from './db-snapshot.js';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

const HEADER = 'id,first_name,last_name,roles,classes,campus,major,email';
const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Dennis', 'Radia', 'Frances', 'John', 'Leslie', 'Niklaus', 'Shafi', 'Tim'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Ritchie', 'Perlman', 'Allen', 'Backus', 'Lamport', 'Wirth', 'Goldwasser', 'Lee'];
const NOW = '2026-09-01T08:00:00Z';

/** A school's roster of `n` eligible students with distinct names: each row is a new person and a new account. */
function roster(n: number): string {
  const lines = [HEADER];
  for (let i = 0; i < n; i++) lines.push(`S${String(i).padStart(7, '0')},${FIRST[i % 16] ?? 'Ada'},${LAST[Math.floor(i / 16) % 16] ?? 'Lee'}${Math.floor(i / 256)},STUDENT,01:198:111 (2026 fall),NB,CS,`);
  return `${lines.join('\n')}\n`;
}

/** The username row `i` gets: first initial, last name and its number, all distinct. */
function username(i: number): string {
  return `${(FIRST[i % 16] ?? 'Ada').charAt(0)}${LAST[Math.floor(i / 16) % 16] ?? 'Lee'}${Math.floor(i / 256)}`.toLowerCase();
}

function count(db: string, table: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
  } finally {
    d.close();
  }
}

describe('a first-day import through roster sync', () => {
  let sb: RosterSandbox;
  afterEach(async () => sb.cleanup());

  const setRanges = async (uids: string, gids: string): Promise<void> => {
    const path = join(sb.dir, 'roster.yaml');
    const config = await readFile(path, 'utf8');
    const edited = config.replace('uids: { min: 10000, max: 59999 }', `uids: ${uids}`).replace('gids: { min: 10000, max: 59999 }', `gids: ${gids}`);
    expect(edited).toContain(`uids: ${uids}`);
    await writeFile(path, edited);
  };

  // 100,000 rows are 200,000 changes (a person and an account each): the
  // report's lines were spread into one push(), past V8's argument limit
  // (about 120,000 here), and the command crashed after committing. The
  // report is the same in a dry run; the committed 100,000 run through the
  // command is in the bench (about a minute here).
  it('100,000 rows: the report is the first changes and the summary, and --json streams every change', async () => {
    sb = await rosterSandbox();
    await setRanges('{ min: 10000, max: 999999 }', '{ min: 10000, max: 999999 }');
    const file = join(sb.dir, 'day1.csv');
    await writeFile(file, roster(100_000));
    const r = await sb.run(['sync', file, '--source', 'school', '--now', NOW, '--dry-run']);
    expect(r.stderr).not.toContain('RangeError');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`dry run: sync school from ${file}: 100000 rows`);
    expect(lines[1]).toBe('  + person S0000000 (Ada Lovelace0), row 2');
    expect(lines[2]).toBe('  + account alovelace0 (student) for S0000000');
    expect(lines[21]).toBe('  … and 199,980 more; --verbose or --json for all');
    expect(lines.at(-1)).toBe('would have created 100000, updated 0, retired 0, reactivated 0, unchanged 0');
    expect(lines).toHaveLength(23);

    const json = await sb.run(['sync', file, '--source', 'school', '--now', NOW, '--dry-run', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { rows: number; changes: Array<{ action: string; personId: string; username?: string }> };
    expect(report.rows).toBe(100_000);
    expect(report.changes).toHaveLength(200_000);
    const creates = report.changes.filter((c) => c.action === 'create');
    expect(creates.map((c) => c.personId)).toEqual(Array.from({ length: 100_000 }, (_, i) => `S${String(i).padStart(7, '0')}`));
    expect(new Set(creates.map((c) => c.username)).size).toBe(100_000);
    // The terminal's first lines are the first changes of the same report.
    expect(lines[4]).toBe(`  + account ${creates[1]?.username ?? ''} (student) for S0000001`);
    expect(count(join(sb.dir, 'roster.db'), 'people')).toBe(0);
  }, 120_000);

  it('a committed import prints the first changes and the summary, and writes every row', async () => {
    sb = await rosterSandbox();
    const file = join(sb.dir, 'day1.csv');
    await writeFile(file, roster(1_000));
    const r = await sb.run(['sync', file, '--source', 'school', '--now', NOW]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`sync school from ${file}: 1000 rows`);
    expect(lines[1]).toBe('  + person S0000000 (Ada Lovelace0), row 2');
    expect(lines[21]).toBe('  … and 1,980 more; --verbose or --json for all');
    expect(lines.at(-1)).toBe('created 1000, updated 0, retired 0, reactivated 0, unchanged 0');
    expect(lines).toHaveLength(23);
    const db = join(sb.dir, 'roster.db');
    expect(count(db, 'people')).toBe(1_000);
    expect(count(db, 'accounts')).toBe(1_000);
    expect(count(db, 'reservations')).toBe(1_000);
  });

  it('refuses, before writing anything, an import the UID range cannot hold, with the numbers', async () => {
    sb = await rosterSandbox();
    await setRanges('{ min: 10000, max: 10009 }', '{ min: 10000, max: 59999 }');
    const file = join(sb.dir, 'day1.csv');
    await writeFile(file, roster(15));
    const db = join(sb.dir, 'roster.db');
    const before = databaseSnapshot(db);
    for (const extra of [[], ['--dry-run'], ['--json']]) {
      const r = await sb.run(['sync', file, '--source', 'school', '--now', NOW, ...extra]);
      expect(r.code).toBe(78);
      expect(r.stderr).toContain('sync of school needs 15 new UIDs, the range 10000–10009 has 10 free; nothing was changed');
      expect(databaseSnapshot(db)).toBe(before);
    }
    // Ten fit: all ten are written, and then the range is full.
    await writeFile(file, roster(10));
    expect((await sb.run(['sync', file, '--source', 'school', '--now', NOW])).code).toBe(0);
    expect(count(db, 'accounts')).toBe(10);
    await writeFile(file, roster(11));
    const full = await sb.run(['sync', file, '--source', 'school', '--now', NOW]);
    expect(full.code).toBe(78);
    expect(full.stderr).toContain('needs 1 new UID, the range 10000–10009 has 0 free');
    expect(count(db, 'accounts')).toBe(10);
  });

  it('refuses when the GID range cannot hold a group the new accounts need', async () => {
    sb = await rosterSandbox();
    // Every GID of the range is taken by a group made by hand; `students` would need one more.
    await setRanges('{ min: 10000, max: 59999 }', '{ min: 20000, max: 20000 }');
    expect((await sb.run(['group', 'add', 'lab', '--gid', '20000'])).code).toBe(0);
    const file = join(sb.dir, 'day1.csv');
    await writeFile(file, roster(3));
    const db = join(sb.dir, 'roster.db');
    const before = databaseSnapshot(db);
    const r = await sb.run(['sync', file, '--source', 'school', '--now', NOW]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('sync of school needs up to 1 new GID (1 for new groups, 0 for user-private groups whose GID = UID a group holds), the range 20000–20000 has 0 free; nothing was changed');
    expect(databaseSnapshot(db)).toBe(before);
  });

  it('counts the GIDs the new accounts\' own groups take when the UID and GID ranges overlap', async () => {
    sb = await rosterSandbox();
    // Five GIDs: four new students take 10000–10003 as their private groups,
    // `students` takes one, and the account whose UID is students' GID needs another.
    await setRanges('{ min: 10000, max: 59999 }', '{ min: 10000, max: 10004 }');
    const file = join(sb.dir, 'day1.csv');
    await writeFile(file, roster(4));
    const db = join(sb.dir, 'roster.db');
    const before = databaseSnapshot(db);
    const r = await sb.run(['sync', file, '--source', 'school', '--now', NOW]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("needs up to 2 new GIDs (1 for new groups, 1 for user-private groups whose GID = UID a group holds), the range 10000–10004 has 1 free once the new accounts' own groups take 4 GIDs of it; nothing was changed");
    expect(databaseSnapshot(db)).toBe(before);
    // Three fit.
    await writeFile(file, roster(3));
    expect((await sb.run(['sync', file, '--source', 'school', '--now', NOW])).code).toBe(0);
    expect(count(db, 'accounts')).toBe(3);
  });

  it('refuses, before writing anything, an import needing a group that neither exists nor is declared', async () => {
    sb = await rosterSandbox();
    const path = join(sb.dir, 'roster.yaml');
    const config = await readFile(path, 'utf8');
    expect(config).toContain('    groups: [students]');
    await writeFile(path, config.replace('    groups: [students]', '    groups: [students, robotics]'));
    const file = join(sb.dir, 'day1.csv');
    await writeFile(file, roster(3));
    const db = join(sb.dir, 'roster.db');
    const before = databaseSnapshot(db);
    const r = await sb.run(['sync', file, '--source', 'school', '--now', NOW]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('sync of school needs group robotics, which does not exist');
    expect(databaseSnapshot(db)).toBe(before);
  });

  it('the terminal report lists 20 changes and counts the rest; --verbose and --json list every one', async () => {
    sb = await rosterSandbox();
    const file = join(sb.dir, 'day1.csv');
    await writeFile(file, roster(30));
    const args = ['sync', file, '--source', 'school', '--now', NOW, '--dry-run'];
    const short = await sb.run(args);
    const verbose = await sb.run([...args, '--verbose']);
    const json = await sb.run([...args, '--json']);
    for (const r of [short, verbose, json]) expect(r.code).toBe(0);

    const shortLines = short.stdout.trimEnd().split('\n');
    expect(shortLines).toHaveLength(1 + 20 + 1 + 1);
    expect(shortLines[0]).toBe(`dry run: sync school from ${file}: 30 rows`);
    expect(shortLines[21]).toBe('  … and 40 more; --verbose or --json for all');
    expect(shortLines[22]).toBe('would have created 30, updated 0, retired 0, reactivated 0, unchanged 0');

    const verboseLines = verbose.stdout.trimEnd().split('\n');
    expect(verboseLines).toHaveLength(1 + 60 + 1);
    expect(verboseLines.slice(0, 21)).toEqual(shortLines.slice(0, 21));
    expect(verboseLines.at(-2)).toBe(`  + account ${username(29)} (student) for S0000029`);
    expect(verboseLines.at(-1)).toBe(shortLines[22]);
    expect(verbose.stdout).not.toContain('more; --verbose');

    const report = JSON.parse(json.stdout) as { dryRun: boolean; rows: number; changes: Array<{ action: string; personId: string; username?: string }>; summary: { created: number; added: number } };
    expect(report).toMatchObject({ dryRun: true, rows: 30, summary: { created: 30, added: 30 } });
    expect(report.changes).toHaveLength(60);
    expect(report.changes.at(-1)).toEqual({ action: 'create', personId: 'S0000029', username: username(29), type: 'student', returning: false });
    // The same report whatever the form: every change of --json is a line of --verbose, in order.
    expect(report.changes.filter((c) => c.action === 'create').map((c) => c.username)).toEqual(verboseLines.filter((l) => l.startsWith('  + account ')).map((l) => l.split(' ')[4]));
  });
});
