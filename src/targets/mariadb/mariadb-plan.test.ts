import { describe, expect, it } from 'vitest';
import { FREEZE_BILLING, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import { parseConfig } from '../../config/load-config.js';
import type { DesiredAccount, DesiredHost, DesiredResource } from '../../desired/desired-host.js';
import { RosterError } from '../../domain/errors.js';
import { targetRegistry } from '../registry.js';
import { mariadbConfigSchema } from './mariadb-config.js';
import { mariadbDatabaseKind } from './mariadb-database-kind.js';
import type { MariadbObserved, ServerUser } from './mariadb-observed.js';
import { planMariadb } from './mariadb-plan.js';
import { mariadbTypeSettingsSchema } from './mariadb-type-settings.js';
import type { RosterMeta } from './roster-meta.js';
import { serverAddress } from './server-address.js';
import { accountName, grantDatabase, quoteIdentifier } from './sql-quote.js';

const config = mariadbConfigSchema.parse({ url: 'mariadb://roster@localhost/?socket=/run/mysqld/mysqld.sock' });

function observed(over: Partial<MariadbObserved> & { readonly meta?: RosterMeta } = {}): MariadbObserved {
  return { users: [], meta: { users: [], databases: [] }, databases: new Set(), grants: new Set(), connections: new Map(), archives: new Map(), ...over };
}

const user = (name: string, host: string, locked = false): ServerUser => ({ user: name, host, plugins: ['unix_socket'], locked });

function desired(accounts: readonly DesiredAccount[], resources: readonly DesiredResource[] = [], over: Partial<DesiredHost> = {}): DesiredHost {
  return { ...fixtureHost(accounts), ...(resources.length === 0 ? {} : { resources: { mariadb: resources } }), ...over };
}

describe('mariadb settings', () => {
  it('reads the admin URL: over the socket or TCP, with the reasons it refuses one', () => {
    expect(serverAddress('mariadb://roster@localhost/?socket=/run/mysqld/mysqld.sock')).toEqual({ user: 'roster', host: 'localhost', port: 3306, socket: '/run/mysqld/mysqld.sock' });
    expect(serverAddress('mysql://ad%40min:p%2Fw@[::1]:3307/')).toEqual({ user: 'ad@min', password: 'p/w', host: '::1', port: 3307 });
    expect(serverAddress('postgres://roster@localhost/')).toBe('must start with mariadb:// (or mysql://), not postgres://');
    expect(serverAddress('mariadb://localhost/')).toBe('must name the admin account before the host: mariadb://USER@HOST/');
    expect(serverAddress('mariadb://roster@localhost/shop')).toBe('must not name a database (shop): Roster works on many');
    expect(serverAddress('mariadb://roster@localhost/?ssl=true')).toBe('unknown option ssl (the only option is socket=PATH)');
    expect(serverAddress('mariadb://roster@localhost/?socket=run/x.sock')).toBe('socket must be an absolute path, got "run/x.sock"');
    expect(serverAddress('not a url')).toMatch(/^must be a URL such as /);
  });

  it('checks the host section, the type section and database names', () => {
    expect(config.hostPatterns).toEqual(['localhost']);
    const bad = mariadbConfigSchema.safeParse({ url: 'mariadb://roster@localhost/', hostPatterns: ['Local', "x'y", 'a', 'a'], passwordFile: 'secret' });
    expect(bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'passwordFile: must be an absolute path without \'..\' or control characters, got "secret"',
      'hostPatterns.0: must be a host name, an address, a pattern with % or _, or a netmask: lower-case letters (MariaDB keeps host names in lower case), digits and . % _ : / -, at most 255',
      'hostPatterns.1: must be a host name, an address, a pattern with % or _, or a netmask: lower-case letters (MariaDB keeps host names in lower case), digits and . % _ : / -, at most 255',
      'hostPatterns: must not repeat a pattern',
    ]);
    expect(mariadbConfigSchema.safeParse({ url: 'mariadb://roster@localhost/', hostPatterns: ['a', 'a'] }).error?.issues[0]?.message).toBe('must not repeat a pattern');
    expect(mariadbTypeSettingsSchema.parse({})).toEqual({ auth: 'unix_socket' });
    const name = mariadbDatabaseKind.name;
    expect(['alice_blog', 'A1', 'x'.repeat(64)].map((n) => name?.safeParse(n).success)).toEqual([true, true, true]);
    expect(['1blog', 'a-b', 'a`b', 'x'.repeat(65), 'mysql', 'Roster_Meta', ''].map((n) => name?.safeParse(n).success)).toEqual([false, false, false, false, false, false, false]);
    expect(mariadbDatabaseKind.settings.parse({})).toEqual({ charset: 'utf8mb4' });
  });

  it('is configured in roster.yaml: its host and type sections, and freeze.keep may keep databases', () => {
    const targets = targetRegistry;
    const text = (db: string, type: string): string => `
timeZone: UTC
freeze: { keep: [mail, portal, databases] }
hosts:
  db:
    targets:
      mariadb: ${db}
types:
  member:
    hosts: { live: [db] }
    targets:
      mariadb: ${type}
`;
    expect(parseConfig(text('{ url: "mariadb://roster@localhost/?socket=/run/mysqld/mysqld.sock", hostPatterns: [localhost, "10.0.%"] }', '{ auth: password }'), 'roster.yaml', { targets }).config.hosts.db?.targets).toMatchObject({ mariadb: { hostPatterns: ['localhost', '10.0.%'] } });
    let issues: string[] = [];
    try {
      parseConfig(text('{ url: "mariadb://localhost/" }', '{ auth: ident }'), 'roster.yaml', { targets });
    } catch (e) {
      if (!(e instanceof RosterError)) throw e;
      issues = e.issues.map((i) => `${i.where}: ${i.message}`);
    }
    expect(issues).toEqual(['roster.yaml:7:23: hosts.db.targets.mariadb.url: must name the admin account before the host: mariadb://USER@HOST/', 'roster.yaml:12:24: types.member.targets.mariadb.auth: must be one of unix_socket, password, got the string "ident"']);
  });

  it('quotes names: backticks doubled, grant wildcards escaped, accounts as MariaDB writes them', () => {
    expect(quoteIdentifier('a`b')).toBe('`a``b`');
    expect(grantDatabase('ann_blog%\\')).toBe('ann\\_blog\\%\\\\');
    expect(accountName("o'neil", '10.0.%')).toBe("'o\\'neil'@'10.0.%'");
  });
});

describe('the mariadb plan', () => {
  const ann = fixtureAccount('ann', 3001);

  it('never takes a database recorded for another owner, and refuses to drop one it cannot archive', () => {
    const meta: RosterMeta = {
      users: [],
      databases: [
        { name: 'shop', owner: 'bo', resourceId: 4 },
        { name: 'gone_db', owner: 'zed', resourceId: 9 },
      ],
    };
    const changes = planMariadb(desired([ann], [{ id: 5, kind: 'mariadb-database', name: 'shop', owner: 'ann', settings: {} }]), observed({ meta, databases: new Set(['shop', 'gone_db']) }), config);
    expect(changes.map((c) => [c.action, c.account, c.summary])).toEqual([
      ['create', 'ann', "create user 'ann'@'localhost' identified via unix_socket"],
      ['refuse', 'ann', "cannot make database shop for ann: it is bo's"],
      ['refuse', 'bo', 'cannot archive database shop of bo'],
      ['refuse', 'zed', 'cannot archive database gone_db of zed'],
    ]);
    expect(changes[1]?.data).toEqual({ kind: 'refuse', problem: "database shop is Roster's for bo (resource 4), not for ann (resource 5); it goes when bo's resource does" });
    // With archiving off, an owner that is gone has its databases dropped all the same.
    const off = planMariadb(desired([]), observed({ meta, databases: new Set(['shop', 'gone_db']) }), { ...config, archive: false });
    expect(off.map((c) => [c.summary, c.destructive])).toEqual([
      ['drop database shop of bo (archiving is off)', true],
      ['drop database gone_db of zed (archiving is off)', true],
    ]);
  });

  it('locks a frozen account even when its users collide elsewhere, but ends no connection it cannot tell apart', () => {
    const meta: RosterMeta = { users: [{ user: 'ann', host: 'localhost', frozen: false, lockedBefore: null }], databases: [] };
    const changes = planMariadb(desired([{ ...ann, holds: [FREEZE_BILLING], disabled: true }]), observed({ meta, users: [user('ann', 'localhost'), user('ann', '%')], connections: new Map([['ann', [7]]]) }), config);
    expect(changes.map((c) => [c.action, c.summary])).toEqual([
      ['lock', "lock 'ann'@'localhost' (databases disabled)"],
      ['refuse', "cannot manage the MariaDB users of ann: 'ann'@'%' is not Roster's"],
    ]);
    expect(changes[0]?.data).toEqual({ kind: 'lock', user: 'ann', hosts: [{ host: 'localhost', lockedBefore: false, record: true }], kill: false, unmanaged: ["'ann'@'%'"] });
  });

  it('ends the lingering connections of an account frozen already', () => {
    const meta: RosterMeta = { users: [{ user: 'ann', host: 'localhost', frozen: true, lockedBefore: true }], databases: [] };
    const frozen = desired([{ ...ann, holds: [FREEZE_BILLING], disabled: true }]);
    expect(planMariadb(frozen, observed({ meta, users: [user('ann', 'localhost', true)] }), config)).toEqual([]);
    const lingering = planMariadb(frozen, observed({ meta, users: [user('ann', 'localhost', true)], connections: new Map([['ann', [7]]]) }), config);
    expect(lingering.map((c) => c.data)).toEqual([{ kind: 'lock', user: 'ann', hosts: [{ host: 'localhost', lockedBefore: true, record: false }], kill: true, unmanaged: [] }]);
  });
});
