import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseSnapshot } from './db-snapshot.js';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

interface Row {
  readonly id: number;
  readonly user: string;
  readonly kind: string;
  readonly name: string;
  readonly host: string;
  readonly settings: Record<string, unknown>;
}

/**
 * The built command. None of the registered targets declares a resource
 * kind yet, so `add` is refused as an unknown kind; resources made by the
 * use case (test/resources.int.test.ts covers adding them) are listed, shown
 * and removed here.
 */
describe('roster resource add|list|show|remove', () => {
  let sb: RosterSandbox;
  afterEach(async () => sb.cleanup());

  it('refuses a kind no target manages and writes nothing; lists, shows and removes (dry run first), audited', async () => {
    sb = await rosterSandbox();
    await sb.ok(['person', 'add', '--id', 'P1', '--first', 'Kim', '--last', 'Lee', '--role', 'MEMBER']);
    await sb.ok(['account', 'create', 'P1', '--type', 'member', '--username', 'kim', '--password-stdin'], 'Correct-Horse-7-Battery');
    const dbFile = join(sb.dir, 'roster.db');
    const snapshot = databaseSnapshot(dbFile);

    const unknown = await sb.run(['resource', 'add', 'kim', '--kind', 'database', '--name', 'kim_main', '--host', 'shell', '--set', 'encoding=UTF8']);
    expect(unknown.code).toBe(65);
    expect(unknown.stderr).toMatch(/kind: unknown resource kind "database" \(kinds: (?:[a-z-]+, )*[a-z-]+\)/);
    const badSet = await sb.run(['resource', 'add', 'kim', '--kind', 'database', '--name', 'kim_main', '--host', 'shell', '--set', 'encoding']);
    expect(badSet.code).toBe(2);
    expect(badSet.stderr).toContain('--set "encoding" must be key=value');
    const badJson = await sb.run(['resource', 'add', 'kim', '--kind', 'database', '--name', 'kim_main', '--host', 'shell', '--set', 'size:=big']);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain('--set size:= needs a JSON value');
    // A typed value gets as far as the kind check: the pair itself was read.
    const typed = await sb.run(['resource', 'add', 'kim', '--kind', 'database', '--name', 'kim_main', '--host', 'shell', '--set', 'size:=10', '--set', 'quiet:=true']);
    expect(typed.code).toBe(65);
    const missing = await sb.run(['resource', 'add', 'kim', '--kind', 'database', '--host', 'shell']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--name <name>' not specified");
    expect(databaseSnapshot(dbFile)).toBe(snapshot);

    expect(await sb.ok(['resource', 'list'])).toBe('no resources\n');
    expect(await sb.json(['resource', 'list'])).toEqual([]);

    // Resources as a target that declares their kinds would have them added.
    const db = new Database(dbFile);
    try {
      const kim = db.prepare("select id from accounts where username = 'kim'").get() as { id: number };
      const insert = db.prepare("insert into resources (account_id, kind, name, host, settings, created_at, updated_at) values (?, ?, ?, 'shell', ?, '2026-01-02T03:04:05.000Z', '2026-01-02T03:04:05.000Z')");
      insert.run(kim.id, 'database', 'kim_main', JSON.stringify({ encoding: 'UTF8' }));
      insert.run(kim.id, 'list', 'kim-news', '{}');
    } finally {
      db.close();
    }
    const all = await sb.json<Row[]>(['resource', 'list']);
    expect(all.map((r) => [r.user, r.kind, r.name, r.host, r.settings])).toEqual([
      ['kim', 'database', 'kim_main', 'shell', { encoding: 'UTF8' }],
      ['kim', 'list', 'kim-news', 'shell', {}],
    ]);
    const [main, news] = all;
    expect(await sb.ok(['resource', 'list', '--kind', 'list', '--user', 'kim'])).toMatch(/^ +\d+ {2}kim +list +shell +kim-news\n$/);
    expect(await sb.json(['resource', 'list', '--kind', 'web'])).toEqual([]);
    const nobody = await sb.run(['resource', 'list', '--user', 'nobody']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('user: no account "nobody"');

    expect(await sb.ok(['resource', 'show', String(main?.id)])).toBe(`resource ${main?.id}: database kim_main on shell\nowner: kim\ncreated: 2026-01-02T03:04:05.000Z\nupdated: 2026-01-02T03:04:05.000Z\nsettings:\n  encoding: UTF8\n`);
    expect(await sb.json(['resource', 'show', String(news?.id)])).toEqual(news);
    const notNumber = await sb.run(['resource', 'show', 'x']);
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toContain('resource id "x" is not a number');
    const gone = await sb.run(['resource', 'show', '999']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('id: no resource 999');

    const before = databaseSnapshot(dbFile);
    const dry = await sb.run(['resource', 'remove', String(main?.id), '--dry-run', '--detailed-exitcode']);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toBe(`would remove resource ${main?.id}: database kim_main on shell, owned by kim\n`);
    expect(databaseSnapshot(dbFile)).toBe(before);
    expect(await sb.ok(['resource', 'remove', String(main?.id)])).toBe(`removed resource ${main?.id}: database kim_main on shell, owned by kim\n`);
    expect((await sb.json<Row[]>(['resource', 'list'])).map((r) => r.name)).toEqual(['kim-news']);
    const audit = await sb.json<Array<{ action: string; target: string }>>(['audit']);
    expect(audit.filter((r) => r.action.startsWith('resource.')).map((r) => [r.action, r.target])).toEqual([['resource.remove', 'resource:shell/database/kim_main']]);
  }, 60_000);
});
