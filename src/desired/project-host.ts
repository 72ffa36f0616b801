import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { RosterConfig } from '../config/config-schema.js';
import { effectiveHolds, type Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import { zonedDayCounter } from '../domain/zoned-day-counter.js';
import { keysetPages } from '../store/keyset-pages.js';
import type { AccountReads, Group, GroupReads, ResourceReads } from '../store/store.js';
import type { DesiredAccount, DesiredGroup, DesiredHost, DesiredResource, RemovedAccount } from './desired-host.js';
import { targetEntries, type TargetProjection } from './target-entries.js';

const PAGE = 2000;

/**
 * Projects the store onto one host: the accounts whose type lives there,
 * with holds evaluated at `now` (so an expiry that has passed is already a
 * disabled account), their groups, and the purged accounts whose entries
 * must go. Pure apart from reading the store.
 */
export async function projectHost(q: AccountReads & GroupReads & ResourceReads, config: RosterConfig, host: string, now: Date, targets: readonly TargetProjection[]): Promise<DesiredHost> {
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
    // SQLite answers synchronously: a turn of the event loop per page lets a server's other requests in.
    await yieldToEvents();
  }
  const groups = await hostGroups(accounts, named, (name) => q.getGroup(name));
  const resources = await hostResources(q, config, host, targets);
  return desiredHostOf(config, host, now, { accounts, groups, removed, ...(resources === undefined ? {} : { resources }) });
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

/** The enabled targets of the host that manage resource kinds: kind → target name (the first in `targets` order, as when the resource was added). */
export function resourceManagers(config: RosterConfig, host: string, targets: readonly TargetProjection[]): Map<string, string> {
  const sections: Readonly<Record<string, unknown>> = config.hosts[host]?.targets ?? {};
  const managers = new Map<string, string>();
  for (const t of targets) {
    if (t.resourceKinds === undefined || !Object.hasOwn(sections, t.name)) continue;
    for (const kind of Object.keys(t.resourceKinds)) if (!managers.has(kind)) managers.set(kind, t.name);
  }
  return managers;
}

/**
 * The host's owned resources by managing target, those of live owners only
 * (`owners`: of these accounts only, id → username); undefined when there
 * are none, so a host without resources has the desired state it always had.
 * No query when no enabled target of the host manages a kind.
 */
export async function hostResources(q: AccountReads & ResourceReads, config: RosterConfig, host: string, targets: readonly TargetProjection[], owners?: ReadonlyMap<number, string>): Promise<Record<string, DesiredResource[]> | undefined> {
  const managers = resourceManagers(config, host, targets);
  if (managers.size === 0) return undefined;
  // A scoped state reads its accounts' resources only, not the host's (30,000 rows for one freeze otherwise).
  const candidates = owners === undefined ? await q.listResources({ host }) : (await q.resourcesOfAccounts([...owners.keys()])).filter((r) => r.host === host);
  const stored = candidates.filter((r) => managers.has(r.kind));
  if (stored.length === 0) return undefined;
  const names = owners ?? new Map((await q.getAccountsByIds([...new Set(stored.map((r) => r.accountId))])).filter((a) => a.purgedAt === null).map((a) => [a.id, a.username]));
  const byTarget: Record<string, DesiredResource[]> = {};
  for (const r of stored) {
    const owner = names.get(r.accountId);
    const target = managers.get(r.kind);
    if (owner === undefined || target === undefined) continue;
    (byTarget[target] ??= []).push({ id: r.id, kind: r.kind, name: r.name, owner, settings: r.settings });
  }
  return Object.keys(byTarget).length === 0 ? undefined : byTarget;
}

export function desiredHostOf(
  config: RosterConfig,
  host: string,
  now: Date,
  parts: { accounts: DesiredAccount[]; groups: DesiredGroup[]; removed: RemovedAccount[]; scope?: readonly string[]; resources?: Readonly<Record<string, readonly DesiredResource[]>> },
): DesiredHost {
  const { accounts, groups, removed, scope, resources } = parts;
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
    ...(resources === undefined ? {} : { resources }),
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
export async function projectAccounts(q: AccountReads & GroupReads & ResourceReads, config: RosterConfig, host: string, now: Date, usernames: readonly string[], targets: readonly TargetProjection[]): Promise<ScopedProjection> {
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
  const resources = await hostResources(q, config, host, targets, new Map([...found.values()].map((a) => [a.id, a.username])));
  return { desired: desiredHostOf(config, host, now, { accounts, groups, removed: [], scope: accounts.map((a) => a.username).sort(), ...(resources === undefined ? {} : { resources }) }) };
}

export type AccountType = RosterConfig['types'][string];

/** An ISO instant's calendar day in the configured zone, as days since 1970-01-01. */
export function calendarDay(config: RosterConfig): (iso: string) => number {
  const dayOf = zonedDayCounter(config.timeZone);
  return (iso) => dayOf(Date.parse(iso));
}

/**
 * `day`: an ISO instant's calendar day in the configured zone, as days since
 * 1970-01-01; `entries`: each target's entry for an account of its type.
 */
export function desiredAccount(a: Account, type: AccountType, host: string, now: Date, day: (iso: string) => number, entries: (type: string, account: Omit<DesiredAccount, 'targets'>) => DesiredAccount['targets']): DesiredAccount {
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
    principal: a.principal,
    holds,
    disabled: holds.length > 0,
    expiryDay: a.expiresAt === null ? null : day(a.expiresAt),
    lastChangeDay: day(a.createdAt),
    canLogin: type.hosts.login.includes(host),
    groups: [...a.groups].sort(),
  };
  return { ...core, targets: entries(a.type, core) };
}
