import { describe, expect, it } from 'vitest';
import { FREEZE_BILLING, fixtureAccount } from '../../test/desired-fixture.js';
import { deltaScope, type DeltaChanges, type KeptRest } from './delta-scope.js';

const rest: KeptRest = { desired: { host: 'shell', at: '2026-11-23T12:00:00.000Z', timeZone: 'UTC', freezeKeep: ['mail'], removed: [] }, targets: { unix: {} }, breaker: { count: 50, percent: 5 } };
const alice = fixtureAccount('alice', 10_000, { holds: [FREEZE_BILLING], disabled: true, groups: ['staff'] });

function changes(over: Partial<DeltaChanges>): DeltaChanges {
  return { before: rest, after: { ...rest, desired: { ...rest.desired, at: '2026-11-24T00:00:00.000Z' } }, accounts: [alice], groups: [], dropAccounts: [], dropGroups: [], ...over };
}

describe('deltaScope', () => {
  it('scopes a delta to its accounts while the rest changed only in time', () => {
    expect(deltaScope(changes({}))).toEqual({ scope: ['alice'] });
  });
  it('covers a shared group the scoped accounts join, and adds the owners of changed resources', () => {
    const staff = { name: 'staff', gid: 9_000, members: ['bob'] };
    const list = { id: 1, kind: 'list', name: 'l', owner: 'carol', settings: {} };
    expect(deltaScope(changes({ groups: [{ before: staff, after: { ...staff, members: ['alice', 'bob'] } }], after: { ...rest, desired: { ...rest.desired, resources: { 'mail-lists': [list] } } } }))).toEqual({ scope: ['alice', 'carol'] });
  });
  it('needs the whole host for drops, other settings, a member leaving or joining on its own, a gid change', () => {
    const staff = { name: 'staff', gid: 9_000, members: ['alice', 'bob'] };
    const cases: Array<[Partial<DeltaChanges>, RegExp]> = [
      [{ dropAccounts: ['bob'] }, /account bob/],
      [{ dropGroups: ['old'] }, /group old/],
      [{ after: { ...rest, breaker: { count: 1, percent: 0 } } }, /settings/],
      [{ after: { ...rest, desired: { ...rest.desired, removed: [{ username: 'bob', uid: 1, home: '/home/bob', purgedAt: 'x' }] } } }, /removed/],
      [{ groups: [{ before: staff, after: { ...staff, members: ['alice'] } }] }, /bob left group staff/],
      [{ groups: [{ before: staff, after: { ...staff, members: ['alice', 'bob', 'carol'] } }] }, /carol joined group staff/],
      [{ groups: [{ before: staff, after: { ...staff, gid: 9_001 } }] }, /gid/],
      [{ accounts: [], groups: [] }, /no account/],
    ];
    for (const [over, why] of cases) expect(deltaScope(changes(over))).toEqual({ whole: expect.stringMatching(why) });
  });
});
