import { describe, expect, it } from 'vitest';
import { FREEZE_BILLING, RETIRED, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import type { DesiredHost } from '../../desired/desired-host.js';
import type { Change } from '../target.js';
import { LOCKED_FOREVER, type LdapChangeData } from './ldap-change.js';
import { ldapConfigSchema } from './ldap-config.js';
import { escapeRdnValue } from './ldap-dn.js';
import type { LdapObserved, ObservedEntry } from './ldap-observed.js';
import { planLdap } from './ldap-plan.js';

const HASH = '$6$salt$hash';
const config = ldapConfigSchema.parse({
  url: 'ldap://127.0.0.1:389',
  bindDn: 'cn=admin,dc=example,dc=org',
  bindPasswordFile: '/etc/roster/ldap.password',
  usersDn: 'ou=people,dc=example,dc=org',
  groupsDn: 'ou=groups,dc=example,dc=org',
  ppolicy: true,
  authorizedService: { sshd: 'login', imap: 'mail' },
});
const NONE: LdapObserved = { users: [], groups: [] };

const data = (c: Change): LdapChangeData => c.data as LdapChangeData;

/** The entry a first apply would have made, as the observe reads it back. */
function observedFrom(changes: readonly Change[], patch: Record<string, readonly string[]> = {}): ObservedEntry[] {
  return changes.flatMap((c) => {
    const d = data(c);
    if (d.kind !== 'add') return [];
    const attributes: Record<string, readonly string[]> = {};
    for (const [k, v] of Object.entries(d.attributes)) attributes[k.toLowerCase()] = v;
    for (const [k, v] of Object.entries(patch)) attributes[k.toLowerCase()] = v;
    return [{ dn: d.dn, attributes: Object.fromEntries(Object.entries(attributes).filter(([, v]) => v.length > 0)) }];
  });
}

function host(accounts: Parameters<typeof fixtureHost>[0], extra: Partial<DesiredHost> = {}): DesiredHost {
  return { ...fixtureHost(accounts), ...extra };
}

describe('planLdap', () => {
  it('adds an account entry with the names from the GECOS, the crypt hash and every service', () => {
    const alice = fixtureAccount('alice', 1000, { gecos: 'Ada King Lovelace,Room 1', passwordField: HASH });
    const [c] = planLdap(host([alice]), NONE, config);
    const d = data(c as Change);
    expect(d.kind).toBe('add');
    if (d.kind !== 'add') return;
    expect(d.dn).toBe('uid=alice,ou=people,dc=example,dc=org');
    expect(d.attributes).toMatchObject({
      objectClass: ['top', 'inetOrgPerson', 'posixAccount', 'shadowAccount', 'authorizedServiceObject'],
      cn: ['Ada King Lovelace'],
      sn: ['Lovelace'],
      givenName: ['Ada King'],
      uidNumber: ['1000'],
      gecos: ['Ada King Lovelace,Room 1'],
      userPassword: [`{CRYPT}${HASH}`],
      authorizedService: ['imap', 'sshd'],
      shadowLastChange: ['20000'],
    });
    expect(d.attributes.shadowExpire).toBeUndefined();
    expect(d.attributes.pwdAccountLockedTime).toBeUndefined();
  });

  it('leaves userPassword out for an account without a crypt hash, and gecos out when it is not ASCII', () => {
    const bob = fixtureAccount('bob', 1001, { passwordField: '!', gecos: 'Zoë Ørsted' });
    const d = data(planLdap(host([bob]), NONE, config)[0] as Change);
    if (d.kind !== 'add') throw new Error('expected an add');
    expect(d.attributes.userPassword).toBeUndefined();
    expect(d.attributes.gecos).toBeUndefined();
    expect(d.attributes.cn).toEqual(['Zoë Ørsted']);
  });

  it('a billing freeze that keeps mail is one modify that removes sshd only: no shadowExpire, no ppolicy lock', () => {
    const active = fixtureAccount('alice', 1000, { passwordField: HASH });
    const observed = { users: observedFrom(planLdap(host([active]), NONE, config)), groups: [] };
    const frozen = fixtureAccount('alice', 1000, { passwordField: HASH, holds: [FREEZE_BILLING] });
    const changes = planLdap(host([frozen]), observed, config);
    expect(changes).toHaveLength(1);
    const c = changes[0] as Change;
    expect(c.action).toBe('lock');
    expect(data(c)).toMatchObject({ kind: 'modify', modifications: [{ operation: 'delete', type: 'authorizedService', values: ['sshd'] }] });
  });

  it('retirement locks the whole entry (shadowExpire 1, pwdAccountLockedTime) and removes every service; lifting it restores exactly', () => {
    const active = fixtureAccount('alice', 1000, { passwordField: HASH });
    const added = planLdap(host([active]), NONE, config);
    const retired = fixtureAccount('alice', 1000, { passwordField: HASH, holds: [RETIRED] });
    const lock = data(planLdap(host([retired]), { users: observedFrom(added), groups: [] }, config)[0] as Change);
    expect(lock).toMatchObject({
      kind: 'modify',
      modifications: [
        { operation: 'add', type: 'shadowExpire', values: ['1'] },
        { operation: 'delete', type: 'authorizedService', values: [] },
        { operation: 'add', type: 'pwdAccountLockedTime', values: [LOCKED_FOREVER] },
      ],
    });
    const locked = observedFrom(added, { shadowExpire: ['1'], pwdAccountLockedTime: [LOCKED_FOREVER], authorizedService: [] });
    const unlock = planLdap(host([active]), { users: locked, groups: [] }, config);
    expect(unlock.map((c) => c.action)).toEqual(['unlock']);
    expect(data(unlock[0] as Change)).toMatchObject({
      modifications: [
        { operation: 'delete', type: 'shadowExpire', values: [] },
        { operation: 'add', type: 'authorizedService', values: ['imap', 'sshd'] },
        { operation: 'delete', type: 'pwdAccountLockedTime', values: [LOCKED_FOREVER] },
      ],
    });
  });

  it("leaves a lock ppolicy set itself (another pwdAccountLockedTime) alone on unfreeze", () => {
    const active = fixtureAccount('alice', 1000, { passwordField: HASH });
    const locked = observedFrom(planLdap(host([active]), NONE, config), { pwdAccountLockedTime: ['20261101120000Z'] });
    expect(planLdap(host([active]), { users: locked, groups: [] }, config)).toEqual([]);
  });

  it('a scheduled retirement writes shadowExpire for the deactivation day', () => {
    const active = fixtureAccount('alice', 1000, { passwordField: HASH });
    const observed = { users: observedFrom(planLdap(host([active]), NONE, config)), groups: [] };
    const retiring = fixtureAccount('alice', 1000, { passwordField: HASH, expiryDay: 20_500 });
    expect(data(planLdap(host([retiring]), observed, config)[0] as Change)).toMatchObject({ modifications: [{ operation: 'add', type: 'shadowExpire', values: ['20500'] }] });
  });

  it('refuses an entry at the DN that is not Roster\'s, and another entry with the same uidNumber, naming both', () => {
    const alice = fixtureAccount('alice', 1000);
    const foreign: ObservedEntry = { dn: 'uid=alice,ou=people,dc=example,dc=org', attributes: { uid: ['alice'], uidnumber: ['5000'] } };
    const [atDn] = planLdap(host([alice]), { users: [foreign], groups: [] }, config);
    expect(atDn?.action).toBe('refuse');
    expect(atDn?.summary).toMatch(/alice \(UID 1000\) cannot have uid=alice,ou=people,dc=example,dc=org .*not managed by Roster/);
    const other: ObservedEntry = { dn: 'uid=zed,ou=staff,ou=people,dc=example,dc=org', attributes: { uid: ['zed'], uidnumber: ['1000'] } };
    const [clash] = planLdap(host([alice]), { users: [other], groups: [] }, config);
    expect(clash?.summary).toMatch(/alice \(UID 1000\) at uid=alice,ou=people,dc=example,dc=org collides with uid=zed,ou=staff,ou=people,dc=example,dc=org \(uid zed, uidNumber 1000\)/);
  });

  it('a purged account is archived, then deleted; with archiving off, only deleted', () => {
    const alice = fixtureAccount('alice', 1000);
    const observed = { users: observedFrom(planLdap(host([alice]), NONE, config)), groups: [] };
    const gone = host([], { removed: [{ username: 'alice', uid: 1000, home: '/home/alice', purgedAt: '2026-11-23T12:00:00.000Z' }] });
    expect(planLdap(gone, observed, config).map((c) => [c.action, data(c).kind])).toEqual([['archive', 'archive'], ['delete', 'delete']]);
    expect(planLdap({ ...gone, purge: { archive: false, archiveDir: '/x' } }, observed, config).map((c) => c.action)).toEqual(['delete']);
  });

  it('a scoped state changes only its accounts\' memberships of a shared group', () => {
    const observedGroup: ObservedEntry = {
      dn: 'cn=staff,ou=groups,dc=example,dc=org',
      attributes: { objectclass: ['top', 'posixGroup'], cn: ['staff'], gidnumber: ['2000'], memberuid: ['bob', 'carol'], description: ['roster {"host":"shell","group":"staff"}'] },
    };
    const alice = fixtureAccount('alice', 1000, { groups: ['staff'] });
    const aliceObserved = observedFrom(planLdap(host([alice]), NONE, config));
    const scoped = host([alice], { scope: ['alice'], groups: [{ name: 'staff', gid: 2000, members: ['alice'] }] });
    const changes = planLdap(scoped, { users: aliceObserved, groups: [observedGroup] }, config);
    expect(changes.map((c) => data(c))).toEqual([expect.objectContaining({ kind: 'modify', modifications: [{ operation: 'add', type: 'memberUid', values: ['alice'] }] })]);
  });

  it('a groupOfNames group without members gets the empty DN, dropped when the first member comes', () => {
    const names = { ...config, groups: 'groupOfNames' as const };
    const empty = host([], { groups: [{ name: 'staff', gid: 2000, members: [] }] });
    const add = data(planLdap(empty, NONE, names)[0] as Change);
    expect(add).toMatchObject({ kind: 'add', attributes: { member: [''] } });
    const observed = observedFrom(planLdap(empty, NONE, names));
    const alice = fixtureAccount('alice', 1000, { groups: ['staff'] });
    const full = host([alice], { groups: [{ name: 'staff', gid: 2000, members: ['alice'] }] });
    const groupChange = planLdap(full, { users: observedFrom(planLdap(host([alice]), NONE, names)), groups: observed }, names).map((c) => data(c)).find((d) => d.kind === 'modify');
    expect(groupChange).toMatchObject({ modifications: [{ operation: 'delete', type: 'member', values: [''] }, { operation: 'add', type: 'member', values: ['uid=alice,ou=people,dc=example,dc=org'] }] });
  });
});

describe('escapeRdnValue (RFC 4514)', () => {
  it('escapes the specials, a leading # or space, a trailing space and control characters', () => {
    expect(escapeRdnValue('a,b+c"d\\e<f>g;h=i')).toBe('a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i');
    expect(escapeRdnValue('#x ')).toBe('\\#x\\ ');
    expect(escapeRdnValue(' y')).toBe('\\ y');
    expect(escapeRdnValue('a\u0000b\nc')).toBe('a\\00b\\0ac');
    expect(escapeRdnValue('Zoë*(x)')).toBe('Zoë*(x)');
  });
});

describe('DNs compare by value', () => {
  it('parses the escapes slapd answers with and Roster writes as the same entry', async () => {
    const { sameDn, parseDn } = await import('./ldap-dn.js');
    expect(sameDn('cn=a*)(uid\\=*,ou=groups,dc=example,dc=org', 'cn=a*)(uid=*,ou=groups,dc=example,dc=org')).toBe(true);
    expect(sameDn('cn=x\\2Cou\\3Devil\\2Bcn\\3Dy,OU=Groups, dc=example,dc=org', 'cn=x\\,ou\\=evil\\+cn\\=y,ou=groups,dc=example,dc=org')).toBe(true);
    expect(sameDn('cn=Zo\\C3\\AB,dc=org', 'cn=zoë,dc=org')).toBe(true);
    expect(sameDn('cn=x\\,ou=evil,dc=org', 'cn=x,ou=evil,dc=org')).toBe(false);
    expect(parseDn('cn=\\ #lead\\\\trail\\ ,dc=org')).toEqual([[{ type: 'cn', value: ' #lead\\trail ' }], [{ type: 'dc', value: 'org' }]]);
    expect(parseDn('uid=a+cn=b,dc=org')).toEqual([[{ type: 'uid', value: 'a' }, { type: 'cn', value: 'b' }], [{ type: 'dc', value: 'org' }]]);
  });
});

describe('escapeRdnValue fast path', () => {
  it('still escapes a trailing space and a leading # in otherwise plain values', () => {
    expect(escapeRdnValue('plain value')).toBe('plain value');
    expect(escapeRdnValue('trailing ')).toBe('trailing\\ ');
    expect(escapeRdnValue('#hash')).toBe('\\#hash');
  });
});
