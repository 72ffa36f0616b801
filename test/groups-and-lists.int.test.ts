import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type TestDatabase } from '../src/store/test-stores.js';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

interface AccountJson { username: string; state: string; groups: string[]; shell: string; gecos: string; uid: number }

describe.each([
  ['SQLite', false],
  ['PostgreSQL via DATABASE_URL', true],
] as const)('groups, modify and lists on %s', (_name, onPostgres) => {
  let sb: RosterSandbox;
  let pg: TestDatabase | undefined;
  beforeAll(async () => {
    sb = await rosterSandbox();
    if (onPostgres) {
      pg = await createPostgresDatabase();
      sb.env.DATABASE_URL = pg.url;
    }
    for (const [id, first, last] of [['G1', 'Grace', 'Hopper'], ['G2', 'Alan', 'Turing']] as const) {
      expect((await sb.run(['person', 'add', '--id', id, '--first', first, '--last', last, '--role', 'MEMBER'])).code).toBe(0);
      expect((await sb.run(['account', 'create', id, '--type', 'member'])).code).toBe(0);
    }
  });
  afterAll(async () => {
    await sb.cleanup();
    await pg?.drop();
  });

  it('adds groups, changes memberships, shell and GECOS', async () => {
    const g = await sb.json<{ name: string; gid: number }>(['group', 'add', 'projects', '--description', 'shared project space']);
    expect(g.gid).toBeGreaterThanOrEqual(10000);
    const fixed = await sb.json<{ gid: number }>(['group', 'add', 'lab', '--gid', '55555']);
    expect(fixed.gid).toBe(55555);
    expect((await sb.run(['group', 'add', 'lab2', '--gid', '55555'])).code).toBe(1);
    const a = await sb.json<AccountJson & { changed: boolean }>(['account', 'modify', 'ghopper', '--add-group', 'projects', '--add-group', 'lab', '--shell', '/bin/zsh', '--gecos', 'Grace B. Hopper']);
    expect(a.changed).toBe(true);
    expect(a.groups).toEqual(['lab', 'members', 'projects']);
    expect(a.shell).toBe('/bin/zsh');
    expect(a.gecos).toBe('Grace B. Hopper');
    const again = await sb.json<{ changed: boolean }>(['account', 'modify', 'ghopper', '--add-group', 'projects']);
    expect(again.changed).toBe(false);
    const shown = await sb.json<{ memberAccounts: string[] }>(['group', 'show', 'projects']);
    expect(shown.memberAccounts).toEqual(['ghopper']);
    const members = await sb.json<{ memberAccounts: string[] }>(['group', 'show', 'members']);
    expect(members.memberAccounts).toEqual(['aturing', 'ghopper']);
    const list = await sb.json<Array<{ name: string }>>(['group', 'list']);
    expect(list.map((x) => x.name).sort()).toEqual(['lab', 'members', 'projects']);
    await sb.json(['account', 'modify', 'ghopper', '--remove-group', 'lab']);
    expect((await sb.json<AccountJson>(['account', 'show', 'ghopper'])).groups).toEqual(['members', 'projects']);
  });

  it('lists accounts by state and type', async () => {
    await sb.json(['account', 'freeze', 'aturing', '--reason', 'admin']);
    const disabled = await sb.json<AccountJson[]>(['account', 'list', '--state', 'disabled']);
    expect(disabled.map((x) => x.username)).toEqual(['aturing']);
    const active = await sb.json<AccountJson[]>(['account', 'list', '--state', 'active', '--type', 'member']);
    expect(active.map((x) => x.username)).toEqual(['ghopper']);
    const bad = await sb.run(['account', 'list', '--state', 'sleeping']);
    expect(bad.code).toBe(2);
    const dry = await sb.run(['account', 'freeze', 'ghopper', '--reason', 'admin', '--dry-run', '--detailed-exitcode']);
    expect(dry.code).toBe(2);
    expect((await sb.json<AccountJson>(['account', 'show', 'ghopper'])).state).toBe('active');
    const verify = await sb.json<{ ok: boolean }>(['audit', 'verify']);
    expect(verify.ok).toBe(true);
  });
});
