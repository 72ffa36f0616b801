import { describe, expect, it } from 'vitest';
import { accountState, effectiveHolds, type Account } from './account.js';
import { RosterError } from './errors.js';
import { freeze, isPurgeDue, markPurged, reactivate, retire, unfreeze, type RetireOutcome, type Transition } from './lifecycle.js';
import { calendarDate, daysSinceEpoch } from './zoned-time.js';

const T0 = '2026-01-10T12:00:00.000Z';

function sampleAccount(overrides: Partial<Account> = {}): Account {
  return {
    id: 1,
    personId: 'p1',
    type: 'student',
    username: 'svette',
    uid: 10001,
    gid: 10001,
    primaryGroup: 'svette',
    gecos: 'Søren Vette',
    shell: '/bin/bash',
    home: '/home/svette',
    passwordHash: '$y$j9T$salt$hash',
    principal: null,
    groups: ['students'],
    holds: [],
    expiresAt: null,
    purgeAt: null,
    purgedAt: null,
    pending: false,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function transition(outcome: RetireOutcome): Transition {
  if ('purgeNow' in outcome) throw new Error('expected a transition, got purgeNow');
  return outcome;
}

const at = (s: string): Date => new Date(s);
const by = 'admin:alice';

describe('freeze / unfreeze', () => {
  it('adds a freeze hold that disables the account at once', () => {
    const a = deepFreeze(sampleAccount());
    const r = freeze(a, { reason: 'billing', note: 'balance runs out 2026-02-09', by, now: at('2026-01-11T00:00:00Z') });
    expect(r.changed).toBe(true);
    expect(r.account.holds).toEqual([{ kind: 'freeze', reason: 'billing', since: '2026-01-11T00:00:00.000Z', note: 'balance runs out 2026-02-09', setBy: by }]);
    expect(r.account.updatedAt).toBe('2026-01-11T00:00:00.000Z');
    expect(accountState(r.account, at('2026-01-11T00:00:00Z'))).toBe('disabled');
    expect(a.holds).toEqual([]);
  });

  it('is idempotent: the same reason again changes nothing and keeps the first since and note', () => {
    const first = freeze(sampleAccount(), { reason: 'admin', note: 'first', by, now: at('2026-01-11T00:00:00Z') }).account;
    const again = freeze(deepFreeze(first), { reason: 'admin', note: 'second', by: 'other', now: at('2026-01-12T00:00:00Z') });
    expect(again.changed).toBe(false);
    expect(again.account).toBe(first);
  });

  it('note defaults to null', () => {
    expect(freeze(sampleAccount(), { reason: 'admin', by, now: at(T0) }).account.holds[0]?.note).toBeNull();
  });

  it('holds stack; lifting one never lifts another', () => {
    let a = sampleAccount();
    a = freeze(a, { reason: 'billing', by, now: at(T0) }).account;
    a = freeze(a, { reason: 'security', by, now: at(T0) }).account;
    const r = unfreeze(deepFreeze(a), { reason: 'billing', by, now: at(T0) });
    expect(r.changed).toBe(true);
    expect(r.account.holds.map((h) => h.reason)).toEqual(['security']);
    expect(accountState(r.account, at(T0))).toBe('disabled');
    const r2 = unfreeze(r.account, { reason: 'security', by, now: at(T0) });
    expect(accountState(r2.account, at(T0))).toBe('active');
  });

  it('unfreezing an absent reason changes nothing, and never touches the retired hold', () => {
    const retired = transition(retire(sampleAccount(), { deactivation: 0, deletion: 10, now: at(T0), timeZone: 'UTC', by })).account;
    const r = unfreeze(deepFreeze(retired), { reason: 'billing', by, now: at(T0) });
    expect(r.changed).toBe(false);
    expect(r.account).toBe(retired);
  });

  it('validates the reason', () => {
    for (const bad of ['', 'Billing', '1st', 'a b', 'a:b', 'x'.repeat(33), 'billing\n']) {
      expect(() => freeze(sampleAccount(), { reason: bad, by, now: at(T0) })).toThrow(RosterError);
      try {
        unfreeze(sampleAccount(), { reason: bad, by, now: at(T0) });
      } catch (e) {
        expect(e instanceof RosterError && e.code).toBe('bad_input');
      }
    }
    expect(freeze(sampleAccount(), { reason: `a${'-'.repeat(31)}`, by, now: at(T0) }).changed).toBe(true);
  });

  it('refuses a purged account', () => {
    const purged = markPurged(sampleAccount(), at(T0));
    expect(() => freeze(purged, { reason: 'admin', by, now: at(T0) })).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(() => unfreeze(purged, { reason: 'admin', by, now: at(T0) })).toThrow(expect.objectContaining({ code: 'conflict' }));
  });
});

describe('retire (seed 002, DESIGN.md §3 table)', () => {
  const berlin = { timeZone: 'Europe/Berlin', by: 'sync:school' };
  const now = at('2017-10-13T13:00:17+02:00');

  it('P = 0 purges now, whatever D', () => {
    expect(retire(sampleAccount(), { deactivation: 0, deletion: 0, now, ...berlin })).toEqual({ purgeNow: true });
    expect(retire(sampleAccount(), { deactivation: 10, deletion: 0, now, ...berlin })).toEqual({ purgeNow: true });
  });

  it('D = 0, P = 10: disabled now, purgeAt 2017-10-23 00:00 Berlin', () => {
    const r = transition(retire(deepFreeze(sampleAccount()), { deactivation: 0, deletion: 10, now, ...berlin }));
    expect(r.changed).toBe(true);
    expect(r.account.expiresAt).toBe('2017-10-13T11:00:17.000Z');
    expect(r.account.purgeAt).toBe('2017-10-22T22:00:00.000Z');
    expect(r.account.holds).toEqual([{ kind: 'retired', reason: 'sync:school', since: '2017-10-13T11:00:17.000Z', note: null, setBy: 'sync:school' }]);
    expect(accountState(r.account, now)).toBe('disabled');
    // The seed's purge runs.
    expect(isPurgeDue(r.account, at('2017-10-22T23:58:44+02:00'))).toBe(false);
    expect(isPurgeDue(r.account, at('2017-10-23T00:00:03+02:00'))).toBe(true);
  });

  it('D = 5, P = 10: active until 2017-10-18 00:00 Berlin (shadowExpire 17457), then disabled', () => {
    const r = transition(retire(sampleAccount(), { deactivation: 5, deletion: 10, now, ...berlin }));
    expect(r.account.expiresAt).toBe('2017-10-17T22:00:00.000Z');
    expect(r.account.holds[0]?.since).toBe('2017-10-17T22:00:00.000Z');
    expect(r.account.purgeAt).toBe('2017-10-22T22:00:00.000Z');
    expect(daysSinceEpoch(calendarDate(at(r.account.expiresAt ?? ''), 'Europe/Berlin'))).toBe(17457);
    expect(accountState(r.account, now)).toBe('active');
    expect(effectiveHolds(r.account, now)).toEqual([]);
    expect(accountState(r.account, at('2017-10-17T21:59:59.999Z'))).toBe('active');
    expect(accountState(r.account, at('2017-10-17T22:00:00.000Z'))).toBe('disabled');
  });

  it('P = D > 0 is allowed', () => {
    const r = transition(retire(sampleAccount(), { deactivation: 3, deletion: 3, now, ...berlin }));
    expect(r.account.expiresAt).toBe(r.account.purgeAt);
  });

  it('D > P > 0 is rejected with the seed’s words', () => {
    expect(() => retire(sampleAccount(), { deactivation: 30, deletion: 10, now, ...berlin })).toThrow(
      expect.objectContaining({ code: 'bad_input', message: 'deactivation grace (30 days) exceeds deletion grace (10 days)' }),
    );
  });

  it('negative or fractional grace periods are bad input naming the field', () => {
    for (const [d, p, field] of [[-1, 10, 'deactivation'], [1.5, 10, 'deactivation'], [0, -1, 'deletion'], [0, 2.5, 'deletion'], [Number.NaN, 1, 'deactivation']] as const) {
      try {
        retire(sampleAccount(), { deactivation: d, deletion: p, now, ...berlin });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(RosterError);
        expect((e as RosterError).code).toBe('bad_input');
        expect((e as RosterError).message).toContain(field);
        expect((e as RosterError).issues[0]?.where).toBe(field);
      }
    }
  });

  it('seed 002: previously D=7, P=12345; now D=0 → deactivated immediately, purge date kept', () => {
    const first = transition(retire(sampleAccount(), { deactivation: 7, deletion: 12345, now, ...berlin })).account;
    expect(first.expiresAt).toBe('2017-10-19T22:00:00.000Z');
    expect(calendarDate(at(first.purgeAt ?? ''), 'Europe/Berlin')).toBe('2051-08-01');
    const later = at('2017-10-14T09:00:00+02:00');
    const second = transition(retire(deepFreeze(first), { deactivation: 0, deletion: 12345, now: later, ...berlin }));
    expect(second.changed).toBe(true);
    expect(second.account.expiresAt).toBe(later.toISOString());
    expect(second.account.holds.filter((h) => h.kind === 'retired')).toHaveLength(1);
    expect(second.account.holds[0]?.since).toBe(later.toISOString());
    // 12345 days from the 14th would be 2051-08-02: the earlier date stays.
    expect(second.account.purgeAt).toBe(first.purgeAt);
    expect(accountState(second.account, later)).toBe('disabled');
  });

  it('a deadline is never silently extended; repeating the same retire changes nothing', () => {
    const first = transition(retire(sampleAccount(), { deactivation: 5, deletion: 10, now, ...berlin })).account;
    const same = transition(retire(deepFreeze(first), { deactivation: 5, deletion: 10, now, ...berlin }));
    expect(same.changed).toBe(false);
    expect(same.account).toBe(first);
    const longer = transition(retire(first, { deactivation: 50, deletion: 100, now, ...berlin }));
    expect(longer.changed).toBe(false);
    const shorterPurge = transition(retire(first, { deactivation: 8, deletion: 8, now, ...berlin }));
    expect(shorterPurge.changed).toBe(true);
    expect(shorterPurge.account.expiresAt).toBe(first.expiresAt);
    expect(shorterPurge.account.purgeAt).toBe('2017-10-20T22:00:00.000Z');
  });

  it('keeps other holds, and reruns on an already-retired account keep the original hold', () => {
    const frozen = freeze(sampleAccount(), { reason: 'admin', by, now }).account;
    const r = transition(retire(frozen, { deactivation: 0, deletion: 10, now, ...berlin }));
    expect(r.account.holds.map((h) => `${h.kind}:${h.reason}`)).toEqual(['freeze:admin', 'retired:sync:school']);
    const again = transition(retire(r.account, { deactivation: 0, deletion: 10, now: at('2017-10-15T00:00:00Z'), ...berlin, by: 'admin:bob' }));
    expect(again.changed).toBe(false);
  });

  it('an explicit reason is recorded on the hold', () => {
    const r = transition(retire(sampleAccount(), { deactivation: 0, deletion: 1, now, timeZone: 'UTC', by: 'admin:alice', reason: 'scim' }));
    expect(r.account.holds[0]).toMatchObject({ kind: 'retired', reason: 'scim', setBy: 'admin:alice' });
  });

  it('start of day in New York across the DST change', () => {
    // 2024-03-08 12:00 EST + 3 days = 2024-03-11, whose midnight is EDT.
    const r = transition(retire(sampleAccount(), { deactivation: 3, deletion: 4, now: at('2024-03-08T17:00:00Z'), timeZone: 'America/New_York', by }));
    expect(r.account.expiresAt).toBe('2024-03-11T04:00:00.000Z');
    expect(r.account.purgeAt).toBe('2024-03-12T04:00:00.000Z');
  });

  it('refuses a purged account (after validating the input)', () => {
    const purged = markPurged(sampleAccount(), now);
    expect(() => retire(purged, { deactivation: 0, deletion: 10, now, ...berlin })).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(() => retire(purged, { deactivation: 0, deletion: 0, now, ...berlin })).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(() => retire(purged, { deactivation: 5, deletion: 1, now, ...berlin })).toThrow(expect.objectContaining({ code: 'bad_input' }));
  });
});

describe('reactivate', () => {
  const now = at(T0);

  it('removes the retired hold and clears both dates, keeping freezes (the UCS bug)', () => {
    let a = freeze(sampleAccount(), { reason: 'security', by, now }).account;
    a = transition(retire(a, { deactivation: 0, deletion: 30, now, timeZone: 'UTC', by })).account;
    const r = reactivate(deepFreeze(a), { by, now });
    expect(r.changed).toBe(true);
    expect(r.account.holds.map((h) => h.reason)).toEqual(['security']);
    expect(r.account.expiresAt).toBeNull();
    expect(r.account.purgeAt).toBeNull();
    expect(accountState(r.account, now)).toBe('disabled');
    expect(isPurgeDue(r.account, at('2100-01-01T00:00:00Z'))).toBe(false);
  });

  it('cancels a scheduled retirement before it takes effect', () => {
    const a = transition(retire(sampleAccount(), { deactivation: 5, deletion: 10, now, timeZone: 'UTC', by })).account;
    const r = reactivate(a, { by, now });
    expect(r.account.holds).toEqual([]);
    expect(accountState(r.account, at('2026-02-01T00:00:00Z'))).toBe('active');
  });

  it('on an account that is not retiring changes nothing', () => {
    const a = freeze(sampleAccount(), { reason: 'billing', by, now }).account;
    const r = reactivate(a, { by, now });
    expect(r.changed).toBe(false);
    expect(r.account).toBe(a);
  });

  it('refuses a purged account', () => {
    expect(() => reactivate(markPurged(sampleAccount(), now), { by, now })).toThrow(expect.objectContaining({ code: 'conflict' }));
  });
});

describe('markPurged / isPurgeDue', () => {
  it('purged is a state of its own and final', () => {
    const a = transition(retire(sampleAccount(), { deactivation: 0, deletion: 1, now: at(T0), timeZone: 'UTC', by })).account;
    const p = markPurged(deepFreeze(a), at('2026-01-11T00:00:05Z'));
    expect(p.purgedAt).toBe('2026-01-11T00:00:05.000Z');
    expect(p.updatedAt).toBe('2026-01-11T00:00:05.000Z');
    expect(accountState(p, at('2026-01-11T00:00:05Z'))).toBe('purged');
    expect(isPurgeDue(p, at('2030-01-01T00:00:00Z'))).toBe(false);
    expect(markPurged(p, at('2027-01-01T00:00:00Z'))).toBe(p);
  });

  it('due exactly at purgeAt, not before; never without a purgeAt', () => {
    const a = sampleAccount({ purgeAt: '2026-01-11T00:00:00.000Z' });
    expect(isPurgeDue(a, at('2026-01-10T23:59:59.999Z'))).toBe(false);
    expect(isPurgeDue(a, at('2026-01-11T00:00:00.000Z'))).toBe(true);
    expect(isPurgeDue(sampleAccount(), at('2100-01-01T00:00:00Z'))).toBe(false);
  });
});
