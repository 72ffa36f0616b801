import { describe, expect, it } from 'vitest';
import { FREEZE_BILLING, RETIRED, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import type { Hold } from '../../domain/account.js';
import { kerberosConfigSchema } from './kerberos-config.js';
import type { KerberosObserved } from './kerberos-observe.js';
import { convergeSteps, dayStart, DISALLOW_ALL_TIX, parseStrings, parseTerse, principalIn, type PrincipalState } from './kerberos-principal.js';
import { planKerberos } from './kerberos-plan.js';

const config = kerberosConfigSchema.parse({ realm: 'EX.ORG', local: true, archiveDir: '/archive' });
const SECURITY: Hold = { kind: 'freeze', reason: 'security', since: '2026-01-01T00:00:00.000Z', note: null, setBy: 'admin' };
const marked = (owner: string, uid: number, more: Record<string, string> = {}): Record<string, string> => ({ 'roster.managed': 'shell', 'roster.owner': owner, 'roster.uid': String(uid), ...more });
const principal = (name: string, strings: Record<string, string>, over: Partial<PrincipalState> = {}): PrincipalState => ({ name, expiration: 0, attributes: 0, strings, ...over });
const observed = (...ps: PrincipalState[]): KerberosObserved => ({ principals: new Map(ps.map((p) => [p.name, p])) });
const amy = (over: Parameters<typeof fixtureAccount>[2] = {}) => fixtureAccount('amy', 1001, { principal: 'amy@EX.ORG', ...over });

describe('kerberos plan', () => {
  it('a billing freeze leaves the principal alone (mail and portal authenticate with it); a freeze that keeps none of them, or retirement, disallows tickets', () => {
    const o = observed(principal('amy@EX.ORG', marked('amy', 1001)));
    expect(planKerberos(fixtureHost([amy({ holds: [FREEZE_BILLING] })]), o, config)).toEqual([]);
    const strict = planKerberos(fixtureHost([amy({ holds: [SECURITY] })], { freezeKeep: [] }), o, config);
    expect(strict.map((c) => `${c.action} ${c.summary}`)).toEqual(['lock principal amy@EX.ORG: record its attributes (tickets allowed), disallow tickets (-allow_tix)']);
    expect(planKerberos(fixtureHost([amy({ holds: [RETIRED] })]), o, config).map((c) => c.action)).toEqual(['lock']);
  });

  it('missing principals are created with a random key, unmarked ones adopted with their password, others refused by name', () => {
    const ben = fixtureAccount('ben', 1002, { principal: 'ben' });
    const cal = fixtureAccount('cal', 1003, { principal: 'cal@OTHER.ORG' });
    const dee = fixtureAccount('dee', 1004, { principal: 'dee@EX.ORG' });
    const o = observed(principal('ben@EX.ORG', {}), principal('dee@EX.ORG', marked('dee', 999)));
    expect(planKerberos(fixtureHost([amy(), ben, cal, dee]), o, config).map((c) => `${c.action} ${c.summary}`)).toEqual([
      'create create principal amy@EX.ORG with a random key: no password until roster account passwd',
      'adopt adopt existing principal ben@EX.ORG for ben, keeping its password',
      'refuse account cal: principal cal@OTHER.ORG is in realm OTHER.ORG, not this host\'s realm EX.ORG',
      "refuse account dee (UID 1004) cannot have principal dee@EX.ORG: it is Roster's for account dee with UID 999",
    ]);
  });

  it('restores exactly what it recorded: a principal that had DISALLOW_ALL_TIX keeps it, an expiry of never is never again', () => {
    const frozen = principal('amy@EX.ORG', marked('amy', 1001, { 'roster.saved-flags': String(DISALLOW_ALL_TIX | 0x80), 'roster.saved-expire': '0' }), { attributes: DISALLOW_ALL_TIX | 0x80, expiration: 1_800_000_000 });
    expect(convergeSteps(frozen, { disabled: false, expire: null }).map((s) => s.query)).toEqual([
      'delstr amy@EX.ORG roster.saved-flags',
      'modprinc -expire never amy@EX.ORG',
      'delstr amy@EX.ORG roster.saved-expire',
    ]);
    const was = principal('amy@EX.ORG', marked('amy', 1001, { 'roster.saved-flags': '128', 'roster.saved-expire': '1799971200' }), { attributes: DISALLOW_ALL_TIX | 0x80, expiration: 1_800_000_000 });
    expect(convergeSteps(was, { disabled: false, expire: null }).map((s) => s.query)).toEqual([
      'modprinc +allow_tix amy@EX.ORG',
      'delstr amy@EX.ORG roster.saved-flags',
      'modprinc -expire "2027-01-15 00:00:00 UTC" amy@EX.ORG',
      'delstr amy@EX.ORG roster.saved-expire',
    ]);
    // A second freeze keeps the first record.
    expect(convergeSteps(frozen, { disabled: true, expire: 1_800_000_000 })).toEqual([]);
  });

  it('retiring with D > 0 expires the principal at the start of the deactivation day in the configured zone', () => {
    const day = 20_468; // 2026-01-15
    const steps = planKerberos({ ...fixtureHost([amy({ expiryDay: day })]), timeZone: 'Europe/Berlin' }, observed(principal('amy@EX.ORG', marked('amy', 1001))), config);
    expect(steps.map((c) => c.summary)).toEqual(['principal amy@EX.ORG: record its expiry (never), expire it at 2026-01-14 23:00:00 UTC']);
    expect(dayStart(day, 'UTC')).toBe(Date.UTC(2026, 0, 15) / 1000);
    // Once retired, tickets are disallowed instead, and the expiry Roster set is given back.
    const expired = principal('amy@EX.ORG', marked('amy', 1001, { 'roster.saved-expire': '0' }), { expiration: dayStart(day, 'UTC') });
    expect(planKerberos(fixtureHost([amy({ expiryDay: day, holds: [RETIRED] })]), observed(expired), config).map((c) => c.summary)).toEqual([
      'principal amy@EX.ORG: record its attributes (tickets allowed), disallow tickets (-allow_tix), give back its expiry (never), drop the record of its expiry',
    ]);
  });

  it('a purged account\'s principal is recorded, then deleted; a scoped state plans its accounts alone', () => {
    const removed = [{ username: 'zed', uid: 9, home: '/home/zed', purgedAt: '2026-11-20T00:00:00.000Z' }];
    const o = observed(principal('zed@EX.ORG', marked('zed', 9)), principal('zoe@EX.ORG', marked('zed', 8)));
    expect(planKerberos(fixtureHost([], { removed }), o, config).map((c) => `${c.action} ${c.subject} ${c.destructive}`)).toEqual(['archive kerberos-principal:zed@EX.ORG false', 'delete kerberos-principal:zed@EX.ORG true']);
    expect(planKerberos({ ...fixtureHost([amy()], { removed }), scope: ['amy'] }, o, config).map((c) => c.action)).toEqual(['create']);
  });

  it('parses kadmin answers and checks principals', () => {
    expect(parseTerse('"amy@EX.ORG"\t1799971203\t1796414116\t0\t86400\t"roster/admin@EX.ORG"\t1796414133\t192\t1\t1\t"[none]"\t0')).toEqual({ name: 'amy@EX.ORG', expiration: 1_799_971_203, attributes: 192 });
    expect(parseTerse('')).toBeNull();
    expect(parseStrings('roster.managed: shell\nroster.owner: amy\n')).toEqual({ 'roster.managed': 'shell', 'roster.owner': 'amy' });
    expect(parseStrings('(No string attributes.)')).toEqual({});
    expect(principalIn('amy', 'EX.ORG')).toEqual({ name: 'amy@EX.ORG' });
    expect(principalIn('a"b@EX.ORG', 'EX.ORG')).toHaveProperty('problem');
    expect(kerberosConfigSchema.safeParse({ realm: 'EX.ORG' }).error?.issues[0]?.message).toBe('give exactly one of kadmin: { server, principal, keytab } and local: true');
  });
});
