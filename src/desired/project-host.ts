import type { RosterConfig } from '../config/config-schema.js';
import { effectiveHolds, type Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import { zonedDayCounter } from '../domain/zoned-day-counter.js';
import { keysetPages } from '../store/keyset-pages.js';
import type { AccountReads, Group, GroupReads } from '../store/store.js';
import type { DesiredAccount, DesiredGroup, DesiredHost, RemovedAccount } from './desired-host.js';
import { targetEntries, type TargetProjection } from './target-entries.js';

const PAGE = 2000;

/**
 * Projects the store onto one host: the accounts whose type lives there,
 * with holds evaluated at `now` (so an expiry that has passed is already a
 * disabled account), their groups, and the purged accounts whose entries
 * must go. Pure apart from reading the store.
 */
export async function projectHost(q: AccountReads & GroupReads, config: RosterConfig, host: string, now: Date, targets: readonly TargetProjection[]): Promise<DesiredHost> {
  const entries = targetEntries(config, targets);
  const accounts: DesiredAccount[] = [];
  const removed: RemovedAccount[] = [];
  const named = new Map<string, Set<string>>();
  const day = calendarDay(config);
  for await (const page of keysetPages({ limit: PAGE, page: (afterId: number | undefined, limit) => q.listAccounts({ afterId: afterId ?? 0, limit, includePurged: true }), keyOf: (a) => a.id })) {
    for (const a of page) {
      const type = config.types[a.type];
      if (type === undefined || !type.hosts.live.includes(host)) continue;
      if (a.purgedAt !== null) {
        removed.push({ username: a.username, uid: a.uid, home: a.home, purgedAt: a.purgedAt });
        continue;
      }
      accounts.push(desiredAccount(a, type, host, now, day, entries));
      nameGroups(named, a);
    }
  }
  const groups = await hostGroups(accounts, named, (name) => q.getGroup(name));
  return desiredHostOf(config, host, now, { accounts, groups, removed });
}

/** Records the groups an account names: its supplementary groups (it is a member) and a shared primary group (it is not). */
function nameGroups(named: Map<string, Set<string>>, a: Account): void {
  for (const g of a.groups) {
    const members = named.get(g) ?? new Set<string>();
    members.add(a.username);
    named.set(g, members);
  }
  if (a.primaryGroup !== a.username && !named.has(a.primaryGroup)) named.set(a.primaryGroup, new Set());
}

/**
 * The accounts' user-private groups, and each named group the store has,
 * with its members: the accounts naming it and the group's explicit members
 * among `accounts`.
 */
async function hostGroups(accounts: readonly DesiredAccount[], named: ReadonlyMap<string, Set<string>>, group: (name: string) => Promise<Group | undefined>): Promise<DesiredGroup[]> {
  const groups: DesiredGroup[] = accounts.filter((a) => a.primaryGroup === a.username).map((a) => ({ name: a.username, gid: a.gid, members: [] }));
  const living = new Set(accounts.map((a) => a.username));
  for (const [name, members] of named) {
    const g = await group(name);
    if (g === undefined) continue;
    for (const m of g.members) if (living.has(m)) members.add(m);
    groups.push({ name, gid: g.gid, members: [...members].sort() });
  }
  return groups;
}

function desiredHostOf(config: RosterConfig, host: string, now: Date, parts: { accounts: DesiredAccount[]; groups: DesiredGroup[]; removed: RemovedAccount[]; scope?: readonly string[] }): DesiredHost {
  const { accounts, groups, removed, scope } = parts;
  accounts.sort((a, b) => (a.username < b.username ? -1 : 1));
  groups.sort((a, b) => (a.name < b.name ? -1 : 1));
  removed.sort((a, b) => (a.username < b.username ? -1 : 1));
  return {
    host,
    at: now.toISOString(),
    timeZone: config.timeZone,
    freezeKeep: config.freeze.keep,
    accounts,
    groups,
    removed,
    ...(scope === undefined ? {} : { scope }),
    purge: { archive: config.purge.archive, archiveDir: config.purge.archiveDir },
  };
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
export async function projectAccounts(q: AccountReads & GroupReads, config: RosterConfig, host: string, now: Date, usernames: readonly string[], targets: readonly TargetProjection[]): Promise<ScopedProjection> {
  const found = new Map((await q.accountsByUsernames(usernames)).map((a) => [a.username, a]));
  const missing = [...new Set(usernames)].filter((u) => !found.has(u));
  if (missing.length > 0) {
    throw new RosterError('not_found', `no account ${missing.map((u) => `"${u}"`).join(', ')}`, missing.map((u) => ({ where: '--account', message: `no account "${u}"` })));
  }
  const day = calendarDay(config);
  const entries = targetEntries(config, targets);
  const accounts: DesiredAccount[] = [];
  const named = new Map<string, Set<string>>();
  for (const a of found.values()) {
    const type = config.types[a.type];
    if (type === undefined || !type.hosts.live.includes(host)) return { wholeHost: `${a.username} does not live on host ${host}` };
    if (a.purgedAt !== null) return { wholeHost: `${a.username} is purged` };
    accounts.push(desiredAccount(a, type, host, now, day, entries));
    nameGroups(named, a);
  }
  // As in projectHost, a shared group is desired when an account names it and the store has it.
  const stored = new Map((await q.listGroups()).map((g) => [g.name, g]));
  const groups = await hostGroups(accounts, named, async (name) => stored.get(name));
  return { desired: desiredHostOf(config, host, now, { accounts, groups, removed: [], scope: accounts.map((a) => a.username).sort() }) };
}

type AccountType = RosterConfig['types'][string];

/** An ISO instant's calendar day in the configured zone, as days since 1970-01-01. */
function calendarDay(config: RosterConfig): (iso: string) => number {
  const dayOf = zonedDayCounter(config.timeZone);
  return (iso) => dayOf(Date.parse(iso));
}

/**
 * `day`: an ISO instant's calendar day in the configured zone, as days since
 * 1970-01-01; `entries`: each target's entry for an account of its type.
 */
function desiredAccount(a: Account, type: AccountType, host: string, now: Date, day: (iso: string) => number, entries: (type: string, account: Omit<DesiredAccount, 'targets'>) => DesiredAccount['targets']): DesiredAccount {
  const holds = effectiveHolds(a, now);
  const auth = type.auth;
  const passwordField = a.passwordHash ?? (auth === 'kerberos' ? '*' : '!');
  const core = {
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
  };
  return { ...core, targets: entries(a.type, core) };
}
