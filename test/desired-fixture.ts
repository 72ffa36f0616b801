import type { Hold } from '../src/domain/account.js';
import type { DesiredAccount, DesiredHost, RemovedAccount } from '../src/desired/desired-host.js';

/** A desired account with plain defaults; tests override what they are about. */
export function fixtureAccount(username: string, uid: number, overrides: Partial<DesiredAccount> = {}): DesiredAccount {
  const holds = overrides.holds ?? [];
  return {
    username,
    uid,
    gid: uid,
    primaryGroup: username,
    gecos: username,
    home: `/home/${username}`,
    shell: '/bin/bash',
    type: 'member',
    personId: `P-${username}`,
    passwordField: '!',
    principal: null,
    holds,
    disabled: holds.length > 0,
    expiryDay: null,
    lastChangeDay: 20_000,
    canLogin: true,
    groups: [],
    // Each target's entry: absent ones are the defaults of a type that sets nothing.
    targets: {},
    ...overrides,
  };
}

export const FREEZE_BILLING: Hold = { kind: 'freeze', reason: 'billing', since: '2026-01-01T00:00:00.000Z', note: null, setBy: 'billing' };
export const RETIRED: Hold = { kind: 'retired', reason: 'admin', since: '2026-01-01T00:00:00.000Z', note: null, setBy: 'admin' };

export function fixtureHost(accounts: readonly DesiredAccount[], options: { readonly removed?: readonly RemovedAccount[]; readonly freezeKeep?: readonly string[] } = {}): DesiredHost {
  return {
    host: 'shell',
    at: '2026-11-23T12:00:00.000Z',
    timeZone: 'UTC',
    freezeKeep: options.freezeKeep ?? ['mail', 'portal'],
    accounts: [...accounts].sort((a, b) => (a.username < b.username ? -1 : 1)),
    groups: [],
    removed: options.removed ?? [],
  };
}
