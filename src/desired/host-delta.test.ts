import { describe, expect, it } from 'vitest';
import { FREEZE_BILLING, fixtureAccount, fixtureHost } from '../../test/desired-fixture.js';
import { hostAssignmentSchema } from './desired-host-schema.js';
import { applyDelta, deltaFrom, digestsOf, hostDeltaSchema, revisionOf, type Assignment } from './host-delta.js';
import type { DesiredHost } from './desired-host.js';

function assignment(desired: DesiredHost): Assignment {
  const rest = { desired, targets: { unix: {} }, breaker: { count: 50, percent: 5 } };
  return { revision: revisionOf(rest), ...rest };
}

/** As it crosses the wire: JSON, then the receiver's schema. */
function wire<T>(value: unknown, schema: { parse(v: unknown): T }): T {
  return schema.parse(JSON.parse(JSON.stringify(value)));
}

describe('host deltas', () => {
  const accounts = Array.from({ length: 50 }, (_, i) => fixtureAccount(`user${String(i).padStart(2, '0')}`, 10_000 + i, { groups: ['members'] }));
  const base = assignment({ ...fixtureHost(accounts), groups: [{ name: 'members', gid: 9_000, members: accounts.map((a) => a.username) }] });

  it('carry only the changed accounts and groups, and rebuild the exact state the revision names', () => {
    const frozen = accounts.map((a) => (a.username === 'user07' ? { ...a, holds: [FREEZE_BILLING], disabled: true } : a)).filter((a) => a.username !== 'user13');
    const added = fixtureAccount('newbie', 20_000, { groups: ['members'] });
    const next = assignment({ ...fixtureHost([...frozen, added].sort((a, b) => (a.username < b.username ? -1 : 1))), at: '2026-11-24T00:00:00.000Z', groups: [{ name: 'members', gid: 9_000, members: [...frozen, added].map((a) => a.username).sort() }] });
    const delta = deltaFrom(digestsOf(base), next, digestsOf(next));
    expect(delta.desired.accounts.map((a) => a.username)).toEqual(['newbie', 'user07']);
    expect(delta.desired.dropAccounts).toEqual(['user13']);
    expect(delta.desired.groups.map((g) => g.name)).toEqual(['members']);

    const agentBase = wire(base, hostAssignmentSchema);
    const rebuilt = applyDelta(agentBase, wire(delta, hostDeltaSchema));
    expect(rebuilt?.revision).toBe(next.revision);
    expect(rebuilt?.desired).toEqual(wire(next, hostAssignmentSchema).desired);
  });

  it('refuse a delta from another base, or one that does not reproduce the revision', () => {
    const next = assignment({ ...base.desired, accounts: base.desired.accounts.slice(1) });
    const delta = deltaFrom(digestsOf(base), next, digestsOf(next));
    expect(applyDelta({ ...base, revision: 'other' }, delta)).toBeNull();
    expect(applyDelta(base, { ...delta, desired: { ...delta.desired, dropAccounts: [] } })).toBeNull();
    expect(applyDelta(base, { ...delta, breaker: { count: 1, percent: 0 } })).toBeNull();
    expect(applyDelta(base, delta)?.revision).toBe(next.revision);
  });
});
