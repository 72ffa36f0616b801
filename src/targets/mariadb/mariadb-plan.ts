import type { DesiredAccount, DesiredHost, DesiredResource } from '../../desired/desired-host.js';
import { archiveSettings } from '../archive-settings.js';
import { disabledFor } from '../disabled-for.js';
import { targetEntry, type Change } from '../target.js';
import { AUTH_PLUGINS, type ArchiveOwnerData, type LockHost, type MariadbChangeData, type NewDatabase } from './mariadb-change.js';
import type { MariadbConfig } from './mariadb-config.js';
import { MARIADB_DATABASE, type MariadbDatabaseSettings } from './mariadb-database-kind.js';
import { grantKey, TARGET, type MariadbObserved, type ServerUser } from './mariadb-observed.js';
import { mariadbTypeSettingsSchema, type MariadbEntry } from './mariadb-type-settings.js';
import type { MetaDatabase, MetaUser } from './roster-meta.js';
import { accountName, grantDatabase } from './sql-quote.js';

/** The service a freeze turns off unless `freeze.keep` names it. */
export const SERVICE = 'databases';

/** The account's authentication setting (its type's `targets.mariadb`). */
const entryOf = targetEntry<MariadbEntry>(TARGET, () => mariadbTypeSettingsSchema.parse({}));

function change(account: string, action: string, subject: string, summary: string, data: MariadbChangeData, destructive = false): Change {
  return { target: TARGET, action, subject, account, summary, destructive, data };
}

function byUser<T extends { readonly user: string; readonly host: string }>(rows: readonly T[]): Map<string, Map<string, T>> {
  const out = new Map<string, Map<string, T>>();
  for (const r of rows) {
    const hosts = out.get(r.user) ?? new Map<string, T>();
    hosts.set(r.host, r);
    out.set(r.user, hosts);
  }
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function list(names: readonly string[]): string {
  return names.join(', ');
}

/** What every step of the plan looks at. */
interface Seen {
  readonly desired: DesiredHost;
  readonly observed: MariadbObserved;
  readonly patterns: readonly string[];
  readonly archive: { readonly enabled: boolean; readonly dir: string };
  readonly serverUsers: ReadonlyMap<string, ReadonlyMap<string, ServerUser>>;
  readonly metaUsers: ReadonlyMap<string, ReadonlyMap<string, MetaUser>>;
  readonly metaDatabases: ReadonlyMap<string, MetaDatabase>;
}

/**
 * The mariadb target's plan (pure). Per living account, in this order: its
 * freeze or unfreeze (first, so a collision further down never keeps a
 * frozen member's users open), its users, its databases; then the
 * databases and users of owners that are gone (purged: archived, then
 * dropped). Only what `roster_meta` records is ever changed or removed.
 */
export function planMariadb(desired: DesiredHost, observed: MariadbObserved, config: MariadbConfig): readonly Change[] {
  const seen: Seen = {
    desired,
    observed,
    patterns: config.hostPatterns,
    archive: archiveSettings(config, desired.purge),
    serverUsers: byUser(observed.users),
    metaUsers: byUser(observed.meta.users),
    metaDatabases: new Map(observed.meta.databases.map((d) => [d.name, d])),
  };
  const resources = new Map<string, DesiredResource[]>();
  for (const r of desired.resources?.[TARGET] ?? []) {
    if (r.kind === MARIADB_DATABASE) resources.set(r.owner, [...(resources.get(r.owner) ?? []), r]);
  }
  const changes: Change[] = [];
  for (const a of desired.accounts) changes.push(...accountChanges(seen, a, resources.get(a.username) ?? []));

  // A scoped plan leaves every other owner's records alone (DesiredHost.scope).
  const scope = desired.scope === undefined ? null : new Set([...desired.scope, ...desired.removed.map((r) => r.username)]);
  const live = new Set(desired.accounts.map((a) => a.username));
  const gone = new Set([...seen.metaUsers.keys(), ...observed.meta.databases.map((d) => d.owner)].filter((o) => !live.has(o) && (scope === null || scope.has(o))));
  for (const owner of [...gone].sort()) changes.push(...goneOwnerChanges(seen, owner));
  return changes;
}

function accountChanges(seen: Seen, a: DesiredAccount, resources: readonly DesiredResource[]): Change[] {
  const changes: Change[] = [];
  const user = a.username;
  const onServer = seen.serverUsers.get(user) ?? new Map<string, ServerUser>();
  const recorded = seen.metaUsers.get(user) ?? new Map<string, MetaUser>();
  const unmanaged = [...onServer.keys()].filter((h) => !recorded.has(h)).sort();
  const managed = [...onServer.values()].filter((u) => recorded.has(u.host)).sort((x, y) => (x.host < y.host ? -1 : 1));
  const disabled = disabledFor(a, SERVICE, seen.desired.freezeKeep);

  if (disabled) {
    const hosts: LockHost[] = [];
    let pending = false;
    for (const u of managed) {
      const rec = recorded.get(u.host) as MetaUser;
      if (!rec.frozen || !u.locked) pending = true;
      hosts.push({ host: u.host, lockedBefore: rec.frozen ? rec.lockedBefore === true : u.locked, record: !rec.frozen });
    }
    const open = seen.observed.connections.get(user) ?? [];
    const kill = unmanaged.length === 0;
    // Lingering connections of a frozen account are drift too (a session opened before the lock).
    if (managed.length > 0 && (pending || (kill && open.length > 0))) {
      const accounts = list(hosts.map((h) => accountName(user, h.host)));
      changes.push(change(user, 'lock', `user:${user}`, `lock ${accounts}${kill ? ` and end ${user}'s connections` : ''} (databases disabled)`, { kind: 'lock', user, hosts, kill, unmanaged: unmanaged.map((h) => accountName(user, h)) }));
    }
  } else {
    const frozen = managed.filter((u) => recorded.get(u.host)?.frozen === true);
    if (frozen.length > 0) {
      const hosts = frozen.map((u) => ({ host: u.host, lockedBefore: recorded.get(u.host)?.lockedBefore === true }));
      const unlocking = hosts.filter((h) => !h.lockedBefore).map((h) => accountName(user, h.host));
      const kept = hosts.filter((h) => h.lockedBefore).map((h) => accountName(user, h.host));
      const summary = [unlocking.length > 0 ? `unlock ${list(unlocking)}` : '', kept.length > 0 ? `keep ${list(kept)} locked, as before the freeze` : ''].filter((s) => s !== '').join('; ');
      changes.push(change(user, 'unlock', `user:${user}`, summary, { kind: 'unlock', user, hosts }));
    }
  }

  if (unmanaged.length > 0) {
    // A user of this name that Roster did not make: its connections cannot be told from the account's, so nothing is made beside it.
    const names = list(unmanaged.map((h) => accountName(user, h)));
    const wanted = list(seen.patterns.map((p) => accountName(user, p)));
    const problem = `${names} exists on the server and Roster does not manage it: account ${user} would need ${wanted}; rename or drop the other user, or record it in roster_meta.users if it is the account's`;
    changes.push(change(user, 'refuse', `mariadb-user:${user}`, `cannot manage the MariaDB users of ${user}: ${names} is not Roster's`, { kind: 'refuse', problem }));
    return changes;
  }

  const auth = entryOf(a).auth;
  for (const host of seen.patterns) {
    const u = onServer.get(host);
    const name = accountName(user, host);
    if (u === undefined) {
      changes.push(change(user, 'create', `mariadb-user:${name}`, `create user ${name} identified via ${AUTH_PLUGINS[auth].join(' or ')}${disabled ? ', locked (databases disabled)' : ''}`, { kind: 'create-user', user, host, auth, lock: disabled }));
    } else if (!sameList(u.plugins, AUTH_PLUGINS[auth])) {
      changes.push(change(user, 'update', `mariadb-user:${name}`, `authenticate ${name} via ${AUTH_PLUGINS[auth].join(' or ')} (is ${u.plugins.join(' or ')})`, { kind: 'set-auth', user, host, auth }));
    }
  }
  for (const host of [...recorded.keys()].filter((h) => !seen.patterns.includes(h)).sort()) {
    const exists = onServer.has(host);
    const name = accountName(user, host);
    changes.push(change(user, exists ? 'delete' : 'forget', `mariadb-user:${name}`, exists ? `drop user ${name} (its host is no longer in hostPatterns)` : `forget user ${name} (gone from the server)`, { kind: 'drop-user', user, host, exists }, exists));
  }

  const desiredNames = new Set<string>();
  for (const r of resources) {
    desiredNames.add(r.name);
    changes.push(...databaseChanges(seen, a, r));
  }
  const owner: ArchiveOwnerData = { username: user, uid: a.uid, at: seen.desired.at };
  for (const m of seen.observed.meta.databases) {
    if (m.owner !== user || desiredNames.has(m.name)) continue;
    const revoke = [...recorded.keys()].filter((h) => seen.observed.grants.has(grantKey(user, h, grantDatabase(m.name)))).sort();
    changes.push(...retireDatabase(seen, m, owner, revoke));
  }
  return changes;
}

function databaseChanges(seen: Seen, a: DesiredAccount, r: DesiredResource): Change[] {
  const user = a.username;
  const subject = `mariadb-database:${r.name}`;
  const m = seen.metaDatabases.get(r.name);
  if (m !== undefined && m.owner !== user) {
    const problem = `database ${r.name} is Roster's for ${m.owner} (resource ${m.resourceId}), not for ${user} (resource ${r.id}); it goes when ${m.owner}'s resource does`;
    return [change(user, 'refuse', subject, `cannot make database ${r.name} for ${user}: it is ${m.owner}'s`, { kind: 'refuse', problem })];
  }
  if (seen.observed.databases.has(r.name)) {
    if (m === undefined) {
      const problem = `database ${r.name} exists on the server and Roster does not manage it: resource ${r.id} of ${user} cannot take it; rename one of them`;
      return [change(user, 'refuse', subject, `cannot make database ${r.name} for ${user}: an unmanaged database has that name`, { kind: 'refuse', problem })];
    }
    const missing = seen.patterns.filter((h) => !seen.observed.grants.has(grantKey(user, h, grantDatabase(r.name))));
    if (missing.length === 0) return [];
    return [change(user, 'grant', subject, `grant all on ${r.name} to ${list(missing.map((h) => accountName(user, h)))}`, { kind: 'grant', name: r.name, user, hosts: missing })];
  }
  const settings = r.settings as Partial<MariadbDatabaseSettings>;
  const database: NewDatabase = { name: r.name, owner: user, resourceId: r.id, charset: settings.charset ?? 'utf8mb4', collation: settings.collation, grantees: seen.patterns };
  const archive = seen.observed.archives.get(r.name);
  if (archive !== undefined) {
    return [change(user, 'restore', subject, `restore database ${r.name} of ${user} from ${archive.file.file}`, { kind: 'restore-database', database, archive })];
  }
  return [change(user, 'create', subject, `create database ${r.name} (${database.charset}) for ${user}, all privileges to ${list(seen.patterns.map((h) => accountName(user, h)))}`, { kind: 'create-database', database })];
}

/** A recorded database no longer desired: archived (when archives are on), then dropped; a record whose database is gone is forgotten. */
function retireDatabase(seen: Seen, m: MetaDatabase, owner: ArchiveOwnerData | null, revoke: readonly string[]): Change[] {
  const subject = `mariadb-database:${m.name}`;
  if (!seen.observed.databases.has(m.name)) return [change(m.owner, 'forget', subject, `forget database ${m.name} of ${m.owner} (gone from the server)`, { kind: 'forget-database', name: m.name })];
  const changes: Change[] = [];
  if (seen.archive.enabled) {
    if (owner === null) {
      const problem = `database ${m.name} of ${m.owner} is no longer desired, but ${m.owner} neither lives on this host nor is a purged account, so there is no archive to put it in; not dropping it`;
      return [change(m.owner, 'refuse', subject, `cannot archive database ${m.name} of ${m.owner}`, { kind: 'refuse', problem })];
    }
    changes.push(change(m.owner, 'archive', subject, `dump database ${m.name} of ${m.owner} into ${seen.archive.dir}`, { kind: 'archive-database', name: m.name, owner }));
  }
  const after = seen.archive.enabled ? ' (after its dump)' : ' (archiving is off)';
  changes.push(change(m.owner, 'delete', subject, `drop database ${m.name} of ${m.owner}${after}`, { kind: 'drop-database', name: m.name, owner: m.owner, revoke, archived: seen.archive.enabled ? owner : null }, true));
  return changes;
}

/** An owner Roster recorded who no longer lives on the host: its databases archived and dropped, then its users dropped. */
function goneOwnerChanges(seen: Seen, owner: string): Change[] {
  const removed = seen.desired.removed.find((r) => r.username === owner);
  const archiveOwner = removed === undefined ? null : { username: owner, uid: removed.uid, at: removed.purgedAt };
  const changes: Change[] = [];
  for (const m of seen.observed.meta.databases) if (m.owner === owner) changes.push(...retireDatabase(seen, m, archiveOwner, []));
  const recorded = [...(seen.metaUsers.get(owner)?.keys() ?? [])].sort();
  const onServer = seen.serverUsers.get(owner) ?? new Map<string, ServerUser>();
  const hosts = recorded.filter((h) => onServer.has(h));
  const missing = recorded.filter((h) => !onServer.has(h));
  // Connections are known by user name only: with another user of the name on the server, they are not all the account's.
  const kill = [...onServer.keys()].every((h) => recorded.includes(h));
  if (recorded.length > 0) {
    const why = removed === undefined ? 'no longer lives on this host' : 'purged';
    const summary = hosts.length > 0 ? `drop user${hosts.length === 1 ? '' : 's'} ${list(hosts.map((h) => accountName(owner, h)))} (${owner} ${why})` : `forget the users of ${owner} (gone from the server)`;
    changes.push(change(owner, hosts.length > 0 ? 'delete' : 'forget', `user:${owner}`, summary, { kind: 'drop-users', user: owner, hosts, missing, kill }, hosts.length > 0));
  }
  return changes;
}
