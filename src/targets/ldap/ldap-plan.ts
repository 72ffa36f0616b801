import type { DesiredAccount, DesiredGroup, DesiredHost } from '../../desired/desired-host.js';
import { archiveSettings } from '../archive-settings.js';
import type { Change } from '../target.js';
import { LDAP, LOCKED_FOREVER, type LdapChangeData, type Modification } from './ldap-change.js';
import type { LdapConfig } from './ldap-config.js';
import { diffValues, missingClasses, valueKey } from './ldap-diff.js';
import { normaliseDn, sameDn } from './ldap-dn.js';
import { NAMES_GROUP_ATTRIBUTES, NO_MEMBER, POSIX_GROUP_ATTRIBUTES, renderGroup, renderUser, USER_ATTRIBUTES, userDn } from './ldap-entry.js';
import { parseAccountMarker, parseGroupMarker, type AccountMarker } from './ldap-marker.js';
import { valuesOf, type LdapObserved, type ObservedEntry } from './ldap-observed.js';

/** Observed entries by name (uid or cn, case-insensitively), number (uidNumber or gidNumber) and DN: a whole host of 100,000 entries is matched in one pass, not one scan per account. */
interface EntryIndex {
  byName(name: string): readonly ObservedEntry[];
  byNumber(n: string): readonly ObservedEntry[];
  byDn(dn: string): readonly ObservedEntry[];
}

function indexEntries(entries: readonly ObservedEntry[], nameAttribute: string, numberAttribute: string): EntryIndex {
  const names = new Map<string, ObservedEntry[]>();
  const numbers = new Map<string, ObservedEntry[]>();
  const dns = new Map<string, ObservedEntry[]>();
  const put = (map: Map<string, ObservedEntry[]>, key: string, e: ObservedEntry): void => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [e]);
    else list.push(e);
  };
  for (const e of entries) {
    for (const v of valuesOf(e, nameAttribute)) put(names, v.toLowerCase(), e);
    for (const v of valuesOf(e, numberAttribute)) put(numbers, v, e);
    put(dns, normaliseDn(e.dn), e);
  }
  return { byName: (n) => names.get(n.toLowerCase()) ?? [], byNumber: (n) => numbers.get(n) ?? [], byDn: (dn) => dns.get(normaliseDn(dn)) ?? [] };
}

const MULTI = new Set(['objectclass', 'authorizedservice', 'memberuid', 'member', 'description']);

function change(account: string | undefined, action: string, subject: string, summary: string, data: LdapChangeData, destructive = false): Change {
  return { target: LDAP, action, subject, ...(account === undefined ? {} : { account }), summary, destructive, data };
}

const userSubject = (name: string): string => `ldap-user:${name}`;
const groupSubject = (name: string): string => `ldap-group:${name}`;

/** Who an entry in the way is, for the failed change that names both. */
function describe(e: ObservedEntry, host: string): string {
  const m = parseAccountMarker(valuesOf(e, 'description')) ?? parseGroupMarker(valuesOf(e, 'description'));
  const ids = [...valuesOf(e, 'uid').map((u) => `uid ${u}`), ...valuesOf(e, 'uidNumber').map((n) => `uidNumber ${n}`), ...valuesOf(e, 'gidNumber').map((n) => `gidNumber ${n}`)];
  const whose = m === null ? 'not managed by Roster (no Roster marker in its description)' : m.host !== host ? `Roster's for host ${m.host}` : 'owner' in m ? `Roster's for account ${m.owner} (UID ${m.uid})` : `Roster's for group ${m.group}`;
  return `${e.dn}${ids.length === 0 ? '' : ` (${ids.join(', ')})`}, ${whose}`;
}

function ours(m: AccountMarker | null, host: string, a: Pick<DesiredAccount, 'username' | 'uid'>): boolean {
  return m !== null && m.host === host && m.owner === a.username && m.uid === a.uid;
}

/** The lock attribute: ppolicy's permanent lock is Roster's to add and remove; any other value (ppolicy's own lockout) is left alone. */
function lockModifications(wantLocked: boolean, observed: readonly string[]): Modification[] {
  if (wantLocked && observed.length === 0) return [{ operation: 'add', type: 'pwdAccountLockedTime', values: [LOCKED_FOREVER] }];
  if (!wantLocked && observed.includes(LOCKED_FOREVER)) return [{ operation: 'delete', type: 'pwdAccountLockedTime', values: [LOCKED_FOREVER] }];
  return [];
}

function describeModifications(mods: readonly Modification[]): string {
  return mods.map((m) => `${m.operation} ${m.type}${m.values.length === 0 ? '' : ` ${m.values.map((v) => (m.type === 'userPassword' ? '(hash)' : JSON.stringify(v))).join(' ')}`}`).join('; ');
}

/** One living account: add its entry, bring Roster's attributes to what they should be, or refuse an entry in the way. */
function planUser(desired: DesiredHost, config: LdapConfig, a: DesiredAccount, index: EntryIndex, leaving: ReadonlySet<ObservedEntry>): Change | null {
  const host = desired.host;
  const entry = renderUser(a, desired, config);
  const subject = userSubject(a.username);
  const uidNumber = String(a.uid);
  const candidates = [...new Set([...index.byName(a.username), ...index.byNumber(uidNumber), ...index.byDn(entry.dn)])].filter((e) => !leaving.has(e));
  const atDn = candidates.find((e) => sameDn(e.dn, entry.dn));
  const others = candidates.filter((e) => e !== atDn);
  const refuse = (problem: string): Change => change(a.username, 'refuse', subject, problem, { kind: 'refuse', problem });
  if (others.length > 0) return refuse(`account ${a.username} (UID ${a.uid}) at ${entry.dn} collides with ${others.map((e) => describe(e, host)).join('; ')}`);
  const lock = config.ppolicy && entry.locked ? { pwdAccountLockedTime: [LOCKED_FOREVER] } : {};
  if (atDn === undefined) {
    const attributes = { objectClass: entry.objectClasses, ...entry.attributes, ...lock };
    const state = entry.locked ? ' (locked: its holds disable it)' : a.disabled ? ` (services ${JSON.stringify(entry.attributes.authorizedService ?? [])} only)` : '';
    return change(a.username, 'create', subject, `add ${entry.dn}${state}`, { kind: 'add', dn: entry.dn, attributes });
  }
  const marker = parseAccountMarker(valuesOf(atDn, 'description'));
  if (!ours(marker, host, a)) return refuse(`account ${a.username} (UID ${a.uid}) cannot have ${describe(atDn, host)}`);
  const mods: Modification[] = [...missingClasses(entry.objectClasses, valuesOf(atDn, 'objectClass'))];
  for (const name of USER_ATTRIBUTES) mods.push(...diffValues(name, entry.attributes[name] ?? [], valuesOf(atDn, name), MULTI.has(name.toLowerCase())));
  if (config.ppolicy) mods.push(...lockModifications(entry.locked, valuesOf(atDn, 'pwdAccountLockedTime')));
  if (mods.length === 0) return null;
  const touchesLocks = mods.some((m) => ['shadowExpire', 'pwdAccountLockedTime', 'authorizedService'].includes(m.type));
  const action = touchesLocks ? (a.disabled ? 'lock' : 'unlock') : 'update';
  const markerText = valuesOf(atDn, 'description').find((d) => parseAccountMarker([d]) !== null) as string;
  return change(a.username, action, subject, `modify ${entry.dn}: ${describeModifications(mods)}`, { kind: 'modify', dn: atDn.dn, marker: markerText, modifications: mods });
}

/**
 * The membership changes of one group. A scoped state lists only its
 * accounts as members, so only their values are compared; the others' stay
 * as they are. groupOfNames's stand-in for no member comes and goes with
 * the last member.
 */
function memberModifications(config: LdapConfig, wanted: readonly string[], observed: readonly string[], scope: ReadonlySet<string> | null): Modification[] {
  const type = config.groups === 'posixGroup' ? 'memberUid' : 'member';
  if (scope === null) return diffValues(type, wanted, observed, true);
  const key = valueKey(type);
  const relevant = new Set([...scope].map((u) => key(type === 'member' ? userDn(u, config) : u)));
  const want = new Set(wanted.map(key));
  const have = new Set(observed.map(key));
  const add = wanted.filter((v) => v !== NO_MEMBER && !have.has(key(v)));
  const del = observed.filter((v) => relevant.has(key(v)) && !want.has(key(v)));
  if (type === 'member') {
    const remaining = observed.filter((v) => !del.includes(v) && v !== NO_MEMBER).length + add.length;
    if (remaining > 0 && observed.includes(NO_MEMBER)) del.push(NO_MEMBER);
    if (remaining === 0 && !observed.includes(NO_MEMBER)) add.push(NO_MEMBER);
  }
  return [...(del.length === 0 ? [] : [{ operation: 'delete' as const, type, values: del }]), ...(add.length === 0 ? [] : [{ operation: 'add' as const, type, values: add }])];
}

function planGroup(desired: DesiredHost, config: LdapConfig, g: DesiredGroup, index: EntryIndex, scope: ReadonlySet<string> | null): Change | null {
  const host = desired.host;
  const entry = renderGroup(g, host, config);
  const subject = groupSubject(g.name);
  const posix = config.groups === 'posixGroup';
  const gidNumber = String(g.gid);
  const candidates = [...new Set([...index.byDn(entry.dn), ...index.byName(g.name), ...(posix ? index.byNumber(gidNumber) : [])])];
  const atDn = candidates.find((e) => sameDn(e.dn, entry.dn));
  const others = candidates.filter((e) => e !== atDn);
  const refuse = (problem: string): Change => change(undefined, 'refuse', subject, problem, { kind: 'refuse', problem });
  if (others.length > 0) return refuse(`group ${g.name} (GID ${g.gid}) at ${entry.dn} collides with ${others.map((e) => describe(e, host)).join('; ')}`);
  if (atDn === undefined) return change(undefined, 'create', subject, `add ${entry.dn} (${g.members.length} members)`, { kind: 'add', dn: entry.dn, attributes: { objectClass: entry.objectClasses, ...entry.attributes } });
  const marker = parseGroupMarker(valuesOf(atDn, 'description'));
  if (marker === null || marker.host !== host || marker.group !== g.name) return refuse(`group ${g.name} (GID ${g.gid}) cannot have ${describe(atDn, host)}`);
  const memberType = posix ? 'memberUid' : 'member';
  const mods: Modification[] = [...missingClasses(entry.objectClasses, valuesOf(atDn, 'objectClass'))];
  for (const name of posix ? POSIX_GROUP_ATTRIBUTES : NAMES_GROUP_ATTRIBUTES) {
    if (name === memberType) mods.push(...memberModifications(config, entry.attributes[name] ?? [], valuesOf(atDn, name), scope));
    else mods.push(...diffValues(name, entry.attributes[name] ?? [], valuesOf(atDn, name), MULTI.has(name.toLowerCase())));
  }
  if (mods.length === 0) return null;
  const markerText = valuesOf(atDn, 'description').find((d) => parseGroupMarker([d]) !== null) as string;
  return change(undefined, 'update', subject, `modify ${entry.dn}: ${describeModifications(mods)}`, { kind: 'modify', dn: atDn.dn, marker: markerText, modifications: mods });
}

/**
 * Roster's account entries of this host whose account no longer lives here
 * (purged, or moved off the host): archived (when archiving is on), then
 * deleted. A scoped state only removes its purged accounts' entries.
 */
function planUserRemovals(desired: DesiredHost, config: LdapConfig, observed: LdapObserved, scoped: boolean): { changes: Change[]; leaving: Set<ObservedEntry> } {
  const host = desired.host;
  const archive = archiveSettings(config, desired.purge);
  const living = new Map(desired.accounts.map((a) => [a.username, a]));
  const removed = new Map(desired.removed.map((r) => [r.username, r]));
  const changes: Change[] = [];
  const leaving = new Set<ObservedEntry>();
  for (const e of observed.users) {
    const m = parseAccountMarker(valuesOf(e, 'description'));
    if (m === null || m.host !== host) continue;
    const a = living.get(m.owner);
    if (a !== undefined && a.uid === m.uid && sameDn(e.dn, userDn(a.username, config))) continue;
    const purged = removed.get(m.owner);
    const isPurge = purged !== undefined && purged.uid === m.uid;
    if (scoped && !isPurge) continue;
    leaving.add(e);
    const archiveOwner = { username: m.owner, uid: m.uid, at: isPurge ? purged.purgedAt : desired.at };
    const markerText = valuesOf(e, 'description').find((d) => parseAccountMarker([d]) !== null) as string;
    const why = isPurge ? `of purged ${m.owner}` : `of ${m.owner}, no longer on this host`;
    const subject = userSubject(m.owner);
    if (archive.enabled) changes.push(change(m.owner, 'archive', subject, `write ${e.dn} ${why} (LDIF, with its group and memberships) to ${archive.dir}`, { kind: 'archive', dn: e.dn, marker: markerText, username: m.owner, archiveOwner }));
    changes.push(change(m.owner, 'delete', subject, `delete ${e.dn} ${why}${archive.enabled ? ' (after its archive)' : ' (archiving is off)'}`, { kind: 'delete', dn: e.dn, marker: markerText, archiveOwner: archive.enabled ? archiveOwner : null, username: m.owner }, true));
  }
  return { changes, leaving };
}

/** Roster's group entries of this host that no group of the desired state is (whole host only: a scoped state does not list every group). */
function planGroupRemovals(desired: DesiredHost, observed: LdapObserved): Change[] {
  const wanted = new Set(desired.groups.map((g) => g.name));
  const changes: Change[] = [];
  for (const e of observed.groups) {
    const m = parseGroupMarker(valuesOf(e, 'description'));
    if (m === null || m.host !== desired.host || wanted.has(m.group)) continue;
    const markerText = valuesOf(e, 'description').find((d) => parseGroupMarker([d]) !== null) as string;
    changes.push(change(undefined, 'delete', groupSubject(m.group), `delete ${e.dn}: group ${m.group} is no longer used on ${desired.host}`, { kind: 'delete', dn: e.dn, marker: markerText, archiveOwner: null, username: null }, true));
  }
  return changes;
}

/**
 * The pure plan (DESIGN.md §9.3): entries of accounts no longer here first
 * (archive, then delete, so their uid and uidNumber are free again), then
 * the living accounts' entries (add, or the minimal modify: a freeze is one
 * modify of one entry), then the groups (add, modify, delete). Only entries
 * whose marker names this host and the account or group are changed; an
 * entry in the way is a failed change naming both.
 */
export function planLdap(desired: DesiredHost, observed: LdapObserved, config: LdapConfig): readonly Change[] {
  const scope = desired.scope === undefined ? null : new Set(desired.scope);
  const removals = planUserRemovals(desired, config, observed, scope !== null);
  const userIndex = indexEntries(observed.users, 'uid', 'uidNumber');
  const groupIndex = indexEntries(observed.groups, 'cn', 'gidNumber');
  const users: Change[] = [];
  for (const a of desired.accounts) {
    const c = planUser(desired, config, a, userIndex, removals.leaving);
    if (c !== null) users.push(c);
  }
  const groups: Change[] = [];
  for (const g of desired.groups) {
    const c = planGroup(desired, config, g, groupIndex, scope);
    if (c !== null) groups.push(c);
  }
  return [...removals.changes, ...users, ...groups, ...(scope === null ? planGroupRemovals(desired, observed) : [])];
}
