import type { RosterConfig } from '../config/config-schema.js';
import { effectiveHolds, type Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import { zonedDayCounter } from '../domain/zoned-day-counter.js';
import type { Queries } from '../store/store.js';
import type { DesiredAccount, DesiredGroup, DesiredHost, RemovedAccount } from './desired-host.js';

const PAGE = 2000;

/**
 * Projects the store onto one host: the accounts whose type lives there,
 * with holds evaluated at `now` (so an expiry that has passed is already a
 * disabled account), their groups, and the purged accounts whose entries
 * must go. Pure apart from reading the store.
 */
export async function projectHost(q: Queries, config: RosterConfig, host: string, now: Date): Promise<DesiredHost> {
  const accounts: DesiredAccount[] = [];
  const removed: RemovedAccount[] = [];
  const named = new Map<string, Set<string>>();
  const tz = config.timeZone;
  const dayOf = zonedDayCounter(tz);
  const day = (iso: string): number => dayOf(Date.parse(iso));
  for (let afterId = 0; ; ) {
    const page = await q.listAccounts({ afterId, limit: PAGE, includePurged: true });
    for (const a of page) {
      const type = config.types[a.type];
      if (type === undefined || !type.hosts.live.includes(host)) continue;
      if (a.purgedAt !== null) {
        removed.push({ username: a.username, uid: a.uid, home: a.home, purgedAt: a.purgedAt });
        continue;
      }
      accounts.push(desiredAccount(a, type, host, now, day));
      for (const g of a.groups) {
        const members = named.get(g) ?? new Set<string>();
        members.add(a.username);
        named.set(g, members);
      }
      if (a.primaryGroup !== a.username && !named.has(a.primaryGroup)) named.set(a.primaryGroup, new Set());
    }
    const last = page.at(-1);
    if (last === undefined) break;
    afterId = last.id;
  }
  const groups: DesiredGroup[] = [];
  for (const a of accounts) {
    if (a.primaryGroup === a.username) groups.push({ name: a.username, gid: a.gid, members: [] });
  }
  const living = new Set(accounts.map((a) => a.username));
  for (const [name, members] of named) {
    const g = await q.getGroup(name);
    if (g === undefined) continue;
    for (const m of g.members) if (living.has(m)) members.add(m);
    groups.push({ name, gid: g.gid, members: [...members].sort() });
  }
  accounts.sort((a, b) => (a.username < b.username ? -1 : 1));
  groups.sort((a, b) => (a.name < b.name ? -1 : 1));
  removed.sort((a, b) => (a.username < b.username ? -1 : 1));
  return { host, at: now.toISOString(), timeZone: tz, freezeKeep: config.freeze.keep, accounts, groups, removed, purge: { archive: config.purge.archive, archiveDir: config.purge.archiveDir } };
}

/** The desired state of some accounts on a host, or why only the whole host's will do. */
export type ScopedProjection = { readonly desired: DesiredHost } | { readonly wholeHost: string };

/**
 * Projects the named accounts onto one host (DESIGN.md §1, `DesiredHost.scope`):
 * each exactly as `projectHost` would, with their user-private groups and the
 * shared groups they belong to, listing only them as members. Accounts that
 * are purged or do not live on the host have entries to remove, which only a
 * whole-host plan decides (the archive comes first, and the circuit breaker
 * counts against the whole host). An unknown username is `not_found`.
 */
export async function projectAccounts(q: Queries, config: RosterConfig, host: string, now: Date, usernames: readonly string[]): Promise<ScopedProjection> {
  const found = new Map((await q.accountsByUsernames(usernames)).map((a) => [a.username, a]));
  const missing = [...new Set(usernames)].filter((u) => !found.has(u));
  if (missing.length > 0) {
    throw new RosterError('not_found', `no account ${missing.map((u) => `"${u}"`).join(', ')}`, missing.map((u) => ({ where: '--account', message: `no account "${u}"` })));
  }
  const tz = config.timeZone;
  const dayOf = zonedDayCounter(tz);
  const day = (iso: string): number => dayOf(Date.parse(iso));
  const accounts: DesiredAccount[] = [];
  const named = new Map<string, Set<string>>();
  for (const a of found.values()) {
    const type = config.types[a.type];
    if (type === undefined || !type.hosts.live.includes(host)) return { wholeHost: `${a.username} does not live on host ${host}` };
    if (a.purgedAt !== null) return { wholeHost: `${a.username} is purged` };
    accounts.push(desiredAccount(a, type, host, now, day));
    for (const g of [...a.groups, ...(a.primaryGroup === a.username ? [] : [a.primaryGroup])]) {
      const members = named.get(g) ?? new Set<string>();
      if (g !== a.primaryGroup || a.groups.includes(g)) members.add(a.username);
      named.set(g, members);
    }
  }
  const groups: DesiredGroup[] = accounts.filter((a) => a.primaryGroup === a.username).map((a) => ({ name: a.username, gid: a.gid, members: [] }));
  const scoped = new Set(accounts.map((a) => a.username));
  // As in projectHost, a shared group is desired when an account names it and the store has it.
  for (const g of await q.listGroups()) {
    const members = named.get(g.name);
    if (members === undefined) continue;
    for (const m of g.members) if (scoped.has(m)) members.add(m);
    groups.push({ name: g.name, gid: g.gid, members: [...members].sort() });
  }
  accounts.sort((a, b) => (a.username < b.username ? -1 : 1));
  groups.sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    desired: {
      host,
      at: now.toISOString(),
      timeZone: tz,
      freezeKeep: config.freeze.keep,
      accounts,
      groups,
      removed: [],
      scope: accounts.map((a) => a.username),
      purge: { archive: config.purge.archive, archiveDir: config.purge.archiveDir },
    },
  };
}

type AccountType = RosterConfig['types'][string];

/** `day`: an ISO instant's calendar day in the configured zone, as days since 1970-01-01. */
function desiredAccount(a: Account, type: AccountType, host: string, now: Date, day: (iso: string) => number): DesiredAccount {
  const holds = effectiveHolds(a, now);
  const auth = type.auth;
  const passwordField = a.passwordHash ?? (auth === 'kerberos' ? '*' : '!');
  return {
    username: a.username,
    uid: a.uid,
    gid: a.gid,
    primaryGroup: a.primaryGroup,
    gecos: a.gecos,
    home: a.home,
    shell: a.shell,
    type: a.type,
    personId: a.personId,
    passwordField,
    holds,
    disabled: holds.length > 0,
    expiryDay: a.expiresAt === null ? null : day(a.expiresAt),
    lastChangeDay: day(a.createdAt),
    canLogin: type.hosts.login.includes(host),
    groups: [...a.groups].sort(),
    homeMode: type.homeMode,
    homeOwner: type.homeOwner,
    skeleton: type.skeleton,
    quotas: type.quotas,
    hooks: type.hooks,
  };
}
