import type { DesiredAccount, DesiredGroup, DesiredHost } from '../../desired/desired-host.js';

/**
 * Desired states for the unix target's tests, crash driver and bench, built
 * directly (the projection from the store has its own tests). Not used by
 * the product code.
 */
export function fixtureAccount(username: string, uid: number, over: Partial<DesiredAccount> = {}): DesiredAccount {
  return {
    username,
    uid,
    gid: uid,
    primaryGroup: username,
    gecos: `User ${username}`,
    home: `/home/${username}`,
    shell: '/bin/bash',
    type: 'member',
    personId: `P-${username}`,
    passwordField: '!',
    principal: null,
    holds: [],
    disabled: false,
    expiryDay: null,
    lastChangeDay: 20_000,
    canLogin: true,
    groups: [],
    // Each target's entry: absent ones are the defaults of a type that sets nothing.
    targets: {},
    ...over,
  };
}

/** A host whose groups are each account's private group plus `extra` (members given there). */
export function fixtureHost(accounts: readonly DesiredAccount[], extra: readonly DesiredGroup[] = []): DesiredHost {
  const groups: DesiredGroup[] = accounts.filter((a) => a.primaryGroup === a.username).map((a) => ({ name: a.username, gid: a.gid, members: [] }));
  groups.push(...extra);
  return {
    host: 'test',
    at: '2026-11-23T12:00:00.000Z',
    timeZone: 'UTC',
    freezeKeep: ['mail', 'portal'],
    accounts: [...accounts].sort((a, b) => (a.username < b.username ? -1 : 1)),
    groups: groups.sort((a, b) => (a.name < b.name ? -1 : 1)),
    removed: [],
  };
}

/** The same account frozen (a `freeze:admin` hold). */
export function frozen(a: DesiredAccount): DesiredAccount {
  return { ...a, disabled: true, holds: [{ kind: 'freeze', reason: 'admin', since: '2026-11-01T00:00:00.000Z', note: null, setBy: 'test' }] };
}
