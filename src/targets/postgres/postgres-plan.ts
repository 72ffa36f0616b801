import type { DesiredAccount, DesiredHost, DesiredResource } from '../../desired/desired-host.js';
import { archiveSettings } from '../archive-settings.js';
import { disabledFor } from '../disabled-for.js';
import { targetEntry, type Change } from '../target.js';
import { DATABASE_KIND, DATABASES_SERVICE, POSTGRES, type PostgresChangeData } from './postgres-change.js';
import type { PostgresConfig } from './postgres-config.js';
import { databaseSettings, type PostgresDatabaseSettings } from './postgres-database-kind.js';
import type { DatabaseMarker, RoleMarker } from './postgres-marker.js';
import type { ObservedDatabase, ObservedRole, PostgresObserved } from './postgres-observe.js';
import { postgresTypeSettingsSchema, type PostgresEntry } from './postgres-type-settings.js';

/** The account's login method (its type's `targets.postgres`). */
export const postgresEntryOf = targetEntry<PostgresEntry>(POSTGRES, () => postgresTypeSettingsSchema.parse({}));

interface Owned {
  readonly host: string;
  readonly owner: string;
  readonly uid: number;
}

/** A marker that says this host manages the object for this very account (same username and UID). */
function isOurs(marker: Owned | null, host: string, owner: string, uid: number): boolean {
  return marker !== null && marker.host === host && marker.owner === owner && marker.uid === uid;
}

/** Why an object is not this account's, for the failed change that names both. */
function whose(marker: Owned | null, host: string): string {
  if (marker === null) return 'it is not managed by Roster (no Roster marker in its comment)';
  if (marker.host !== host) return `Roster manages it for host ${marker.host}, not ${host}`;
  return `it is Roster's for account ${marker.owner} with UID ${marker.uid}`;
}

/**
 * A database is Roster's (for someone) when its marker names this host and
 * the role the marker names owns it. A database's owner may write its
 * comment, so a marker on a database owned by anyone else proves nothing:
 * such a database is never dropped nor handed over.
 */
function managedDatabase(db: ObservedDatabase, host: string): db is ObservedDatabase & { readonly marker: DatabaseMarker } {
  return db.marker !== null && db.marker.host === host && db.marker.owner === db.owner;
}

function whoseDatabase(db: ObservedDatabase, host: string): string {
  if (db.marker !== null && db.marker.host === host && db.marker.owner !== db.owner) return `its marker names ${db.marker.owner}, but ${db.owner} owns it, so it is not taken as Roster's`;
  return whose(db.marker, host);
}

function change(account: string, action: string, subject: string, summary: string, data: PostgresChangeData, destructive = false): Change {
  return { target: POSTGRES, action, subject, account, summary, destructive, data };
}

const roleSubject = (name: string): string => `postgres-role:${name}`;
const databaseSubject = (name: string): string => `postgres-database:${name}`;

function describeSettings(s: PostgresDatabaseSettings): string {
  const parts = [...(s.encoding === undefined ? [] : [`encoding ${s.encoding}`]), ...(s.locale === undefined ? [] : [`locale ${s.locale}`])];
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function sessions(n: number): string {
  return n === 1 ? '1 session' : `${n} sessions`;
}

/** The role changes of one living account: create it, freeze or unfreeze it, or refuse a role that is not its. */
function planRole(desired: DesiredHost, a: DesiredAccount, role: ObservedRole | undefined): Change | null {
  const host = desired.host;
  const entry = postgresEntryOf(a);
  const disabled = disabledFor(a, DATABASES_SERVICE, desired.freezeKeep);
  const marker: RoleMarker = { host, owner: a.username, uid: a.uid, login: entry.login };
  const subject = roleSubject(a.username);
  if (role === undefined) {
    // A role made while its account is disabled is made frozen: the LOGIN it is owed waits in the record.
    if (disabled) return change(a.username, 'create', subject, `create role ${a.username} (NOLOGIN while databases are disabled for it)`, { kind: 'create-role', role: a.username, marker: { ...marker, frozen: { canLogin: true, validUntil: null } }, canLogin: false });
    return change(a.username, 'create', subject, `create role ${a.username} (LOGIN, ${entry.login} login)`, { kind: 'create-role', role: a.username, marker, canLogin: true });
  }
  if (!isOurs(role.marker, host, a.username, a.uid)) {
    const problem = `account ${a.username} (UID ${a.uid}) cannot have role ${role.name}: ${whose(role.marker, host)}`;
    return change(a.username, 'refuse', subject, problem, { kind: 'refuse', problem });
  }
  const current = role.marker as RoleMarker;
  if (disabled) {
    if (current.frozen !== undefined && !role.canLogin && role.backends.length === 0) return current.login === entry.login ? null : markRole(a.username, marker, current);
    const what = [...(role.canLogin ? ['NOLOGIN'] : []), ...(role.backends.length > 0 ? [`end its ${sessions(role.backends.length)}`] : [])];
    const record = current.frozen === undefined ? ` (was ${role.canLogin ? 'LOGIN' : 'NOLOGIN'}${role.validUntil === null ? '' : `, valid until ${role.validUntil}`}: kept for the unfreeze)` : '';
    return change(a.username, 'lock', subject, `freeze role ${a.username}: ${what.length === 0 ? 'record it' : what.join(' and ')}${record}`, { kind: 'freeze', role: a.username, marker });
  }
  if (current.frozen !== undefined) {
    const restore = current.frozen;
    const until = role.validUntil === restore.validUntil ? '' : `, VALID UNTIL ${restore.validUntil ?? 'unset'} (is ${role.validUntil ?? 'unset'})`;
    return change(a.username, 'unlock', subject, `unfreeze role ${a.username}: ${restore.canLogin ? 'LOGIN' : 'NOLOGIN'} as before the freeze${until}`, { kind: 'unfreeze', role: a.username, marker, restore });
  }
  return current.login === entry.login ? null : markRole(a.username, marker, current);
}

function markRole(username: string, marker: RoleMarker, current: RoleMarker): Change {
  return change(username, 'update', roleSubject(username), `mark role ${username}: ${marker.login} login (was ${current.login})`, { kind: 'mark-role', role: username, marker });
}

/** The change for one desired database, or null when it is as it should be. */
function planDatabase(desired: DesiredHost, observed: PostgresObserved, r: DesiredResource, owner: DesiredAccount | undefined, roleUsable: boolean): Change | null {
  const host = desired.host;
  const subject = databaseSubject(r.name);
  const refuse = (problem: string): Change => change(r.owner, 'refuse', subject, problem, { kind: 'refuse', problem });
  if (owner === undefined) return refuse(`database ${r.name} (resource #${r.id}): its owner ${r.owner} does not live on host ${host}`);
  const db: ObservedDatabase | undefined = observed.databases.get(r.name);
  const marker: DatabaseMarker = { host, owner: r.owner, uid: owner.uid, resource: r.id };
  const settings = databaseSettings(r.settings);
  const dbIsOurs = db !== undefined && managedDatabase(db, host) && isOurs(db.marker, host, r.owner, owner.uid);
  if (!roleUsable && !dbIsOurs) return refuse(`database ${r.name} (resource #${r.id}) of ${r.owner} cannot be made: role ${r.owner} is not Roster's`);
  // A database of another owner that Roster manages is archived and dropped first (see planRemovals); this one is then made anew.
  if (db !== undefined && !managedDatabase(db, host)) {
    return refuse(`${r.owner}'s ${DATABASE_KIND} ${r.name} (resource #${r.id}) collides with database ${db.name} owned by ${db.owner}: ${whoseDatabase(db, host)}`);
  }
  const archive = observed.archives.get(r.name);
  if (db === undefined || !dbIsOurs || db.marker.restoring === true) {
    const replace = dbIsOurs;
    if (archive !== undefined) {
      return change(r.owner, 'restore', subject, `restore database ${r.name} owned by ${r.owner} from ${archive.file.file}${replace ? ' (replacing a restore that did not finish)' : ''}`, { kind: 'restore-database', database: r.name, owner: r.owner, marker, settings, archive, replace });
    }
    if (replace) return refuse(`database ${r.name} was left half restored and its archive is gone; drop it by hand to start it empty`);
    return change(r.owner, 'create', subject, `create database ${r.name} owned by ${r.owner}${describeSettings(settings)}`, { kind: 'create-database', database: r.name, owner: r.owner, marker, settings });
  }
  // The same owner's database under a new resource id (removed and added again before an apply): the data stays, the marker follows.
  if (db.marker.resource !== r.id) {
    return change(r.owner, 'update', subject, `mark database ${r.name} as resource #${r.id} (was #${db.marker.resource})`, { kind: 'update-database', database: r.name, owner: r.owner, marker });
  }
  return null;
}

/** Archive and drop every database this host manages that is no longer desired (its resource removed, or its owner purged). */
function planRemovals(desired: DesiredHost, observed: PostgresObserved, config: PostgresConfig, inScope: (u: string) => boolean, accounts: ReadonlyMap<string, DesiredAccount>, wanted: ReadonlyMap<string, DesiredResource>): Change[] {
  const host = desired.host;
  const archive = archiveSettings(config, desired.purge);
  const removed = new Map(desired.removed.map((r) => [r.username, r]));
  const changes: Change[] = [];
  for (const db of observed.databases.values()) {
    if (!managedDatabase(db, host) || !inScope(db.marker.owner)) continue;
    const m = db.marker;
    const w = wanted.get(db.name);
    if (w !== undefined && w.owner === m.owner && accounts.get(m.owner)?.uid === m.uid) continue;
    const purged = removed.get(m.owner);
    // A purge's dumps carry its time, as the home's archive does; a resource removed from a live account, the projection's.
    const at = purged !== undefined && purged.uid === m.uid ? purged.purgedAt : desired.at;
    const archiveOwner = { username: m.owner, uid: m.uid, at };
    const subject = databaseSubject(db.name);
    const why = purged !== undefined && purged.uid === m.uid ? `of purged ${m.owner}` : `of ${m.owner}, no longer desired`;
    if (archive.enabled) changes.push(change(m.owner, 'archive', subject, `dump database ${db.name} ${why} to ${archive.dir}`, { kind: 'archive-database', database: db.name, archiveOwner }));
    changes.push(change(m.owner, 'delete', subject, `drop database ${db.name} ${why}${archive.enabled ? ' (after its dump)' : ' (archiving is off)'}`, { kind: 'drop-database', database: db.name, archiveOwner, markerOwner: { owner: m.owner, uid: m.uid } }, true));
  }
  return changes;
}

/**
 * The pure plan (DESIGN.md §9.3): roles of living accounts first (create,
 * freeze, unfreeze), then databases no longer desired (dump, then drop),
 * then desired databases (create, restore, fix their owner), and last the
 * roles of purged accounts. Only objects whose marker names this host and
 * the account are changed; a scoped state touches its accounts' alone.
 */
export function planPostgres(desired: DesiredHost, observed: PostgresObserved, config: PostgresConfig): readonly Change[] {
  const host = desired.host;
  const scope = desired.scope === undefined ? null : new Set(desired.scope);
  const inScope = (u: string): boolean => scope === null || scope.has(u);
  const accounts = new Map(desired.accounts.map((a) => [a.username, a]));
  const roles: Change[] = [];
  const usable = new Set<string>();
  for (const a of desired.accounts) {
    const role = observed.roles.get(a.username);
    const c = planRole(desired, a, role);
    if (c !== null) roles.push(c);
    if (role === undefined || isOurs(role.marker, host, a.username, a.uid)) usable.add(a.username);
  }
  const resources = (desired.resources?.[POSTGRES] ?? []).filter((r) => r.kind === DATABASE_KIND);
  const wanted = new Map(resources.map((r) => [r.name, r]));
  const databases: Change[] = [];
  for (const r of resources) {
    const c = planDatabase(desired, observed, r, accounts.get(r.owner), usable.has(r.owner));
    if (c !== null) databases.push(c);
  }
  const drops: Change[] = [];
  for (const r of desired.removed) {
    const role = observed.roles.get(r.username);
    if (role === undefined || accounts.has(r.username) || !isOurs(role.marker, host, r.username, r.uid)) continue;
    drops.push(change(r.username, 'delete', roleSubject(r.username), `drop role ${r.username} of purged account ${r.username}`, { kind: 'drop-role', role: r.username, uid: r.uid }, true));
  }
  return [...roles, ...planRemovals(desired, observed, config, inScope, accounts, wanted), ...databases, ...drops];
}
