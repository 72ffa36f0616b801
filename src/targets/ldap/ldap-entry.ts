import type { DesiredAccount, DesiredGroup, DesiredHost } from '../../desired/desired-host.js';
import { disabledFor } from '../disabled-for.js';
import { DIRECTORY_SERVICE, type Attributes } from './ldap-change.js';
import type { LdapConfig } from './ldap-config.js';
import { childDn } from './ldap-dn.js';
import { renderAccountMarker, renderGroupMarker } from './ldap-marker.js';

/**
 * The entries Roster wants, rendered from the desired state alone (pure):
 * the same account gives the same attributes, so an unfreeze is an exact
 * restore by construction (the active entry is rendered again; nothing is
 * remembered from the freeze).
 */

export const USER_CLASSES = ['top', 'inetOrgPerson', 'posixAccount', 'shadowAccount'] as const;
export const SERVICE_CLASS = 'authorizedServiceObject';

/**
 * The attributes Roster owns on its account entries: each is rendered
 * whole and a value Roster did not render is removed. Anything else an
 * admin adds (mail, telephoneNumber) is left alone.
 */
export const USER_ATTRIBUTES = ['uid', 'cn', 'sn', 'givenName', 'uidNumber', 'gidNumber', 'homeDirectory', 'loginShell', 'gecos', 'userPassword', 'shadowLastChange', 'shadowExpire', 'authorizedService', 'description'] as const;
export const POSIX_GROUP_ATTRIBUTES = ['cn', 'gidNumber', 'memberUid', 'description'] as const;
export const NAMES_GROUP_ATTRIBUTES = ['cn', 'member', 'description'] as const;

/** A crypt(3) hash slapd's {CRYPT} scheme can check: `$id$…` (yescrypt, SHA-512 …) or 13-character DES. */
const CRYPT_HASH = /^(\$[0-9a-z]+\$[^\s:]+|[./0-9A-Za-z]{13})$/;
/** IA5 (ASCII), the syntax of gecos, homeDirectory and loginShell in nis.schema. */
const IA5 = /^[\x20-\x7e]+$/;
/** groupOfNames needs a member: an empty group gets the empty DN (the root DSE), which no account is. */
export const NO_MEMBER = '';

export interface UserEntry {
  readonly dn: string;
  readonly objectClasses: readonly string[];
  readonly attributes: Attributes;
  /** Whether the entry is locked as a whole (shadowExpire 1 and, with ppolicy, pwdAccountLockedTime). */
  readonly locked: boolean;
}

export interface GroupEntry {
  readonly dn: string;
  readonly objectClasses: readonly string[];
  readonly attributes: Attributes;
}

/** The authorizedService values that stay while the account's holds last: the ones whose Roster service is not disabled. */
export function grantedServices(a: DesiredAccount, desired: Pick<DesiredHost, 'freezeKeep'>, map: Readonly<Record<string, string>>): string[] {
  return Object.entries(map)
    .filter(([, service]) => !disabledFor(a, service, desired.freezeKeep))
    .map(([value]) => value)
    .sort();
}

/**
 * Whether the whole entry is locked. Without authorizedService, when the
 * hold disables the directory service. With it, only when no granted
 * service is left: a billing freeze that keeps mail must leave the password
 * bind and the shadow fields alone (IMAP binds with them), and takes SSH
 * away through authorizedService instead.
 */
export function entryLocked(a: DesiredAccount, desired: Pick<DesiredHost, 'freezeKeep'>, config: Pick<LdapConfig, 'authorizedService'>): boolean {
  if (!disabledFor(a, DIRECTORY_SERVICE, desired.freezeKeep)) return false;
  return config.authorizedService === undefined || grantedServices(a, desired, config.authorizedService).length === 0;
}

/** cn, sn and givenName from the GECOS's first field: `Ada King Lovelace` → sn Lovelace, givenName Ada King. */
export function names(a: Pick<DesiredAccount, 'gecos' | 'username'>): { readonly cn: string; readonly sn: string; readonly givenName: string | null } {
  const full = (a.gecos.split(',')[0] ?? '').trim();
  const cn = full === '' ? a.username : full;
  const words = cn.split(/\s+/);
  if (words.length < 2) return { cn, sn: cn, givenName: null };
  return { cn, sn: words[words.length - 1] as string, givenName: words.slice(0, -1).join(' ') };
}

export function userDn(username: string, config: Pick<LdapConfig, 'usersDn'>): string {
  return childDn('uid', username, config.usersDn);
}

export function groupDn(name: string, config: Pick<LdapConfig, 'groupsDn'>): string {
  return childDn('cn', name, config.groupsDn);
}

/**
 * The account's entry. userPassword is `{CRYPT}` + the hash when the
 * account has a crypt hash; an account without one (`!`, `*`, a Kerberos
 * type) gets none, so no bind with a password can succeed. gecos is left
 * out when empty or not ASCII (its syntax is IA5); cn carries the name.
 */
export function renderUser(a: DesiredAccount, desired: Pick<DesiredHost, 'host' | 'freezeKeep'>, config: LdapConfig): UserEntry {
  const locked = entryLocked(a, desired, config);
  const n = names(a);
  const attrs: Record<string, string[]> = {
    uid: [a.username],
    cn: [n.cn],
    sn: [n.sn],
    uidNumber: [String(a.uid)],
    gidNumber: [String(a.gid)],
    homeDirectory: [a.home],
    loginShell: [a.shell],
    shadowLastChange: [String(a.lastChangeDay)],
    description: [renderAccountMarker({ host: desired.host, owner: a.username, uid: a.uid })],
  };
  if (n.givenName !== null) attrs.givenName = [n.givenName];
  if (a.gecos !== '' && IA5.test(a.gecos)) attrs.gecos = [a.gecos];
  if (CRYPT_HASH.test(a.passwordField)) attrs.userPassword = [`{CRYPT}${a.passwordField}`];
  if (locked) attrs.shadowExpire = ['1'];
  else if (a.expiryDay !== null) attrs.shadowExpire = [String(a.expiryDay)];
  const classes: string[] = [...USER_CLASSES];
  if (config.authorizedService !== undefined) {
    classes.push(SERVICE_CLASS);
    const granted = grantedServices(a, desired, config.authorizedService);
    if (granted.length > 0) attrs.authorizedService = granted;
  }
  return { dn: userDn(a.username, config), objectClasses: classes, attributes: attrs, locked };
}

/**
 * A group's entry: posixGroup (cn, gidNumber, memberUid) or groupOfNames
 * (cn, member DNs; the empty DN stands in for no member, since the class
 * requires one).
 */
export function renderGroup(g: DesiredGroup, host: string, config: LdapConfig): GroupEntry {
  const description = [renderGroupMarker({ host, group: g.name })];
  if (config.groups === 'posixGroup') {
    return { dn: groupDn(g.name, config), objectClasses: ['top', 'posixGroup'], attributes: { cn: [g.name], gidNumber: [String(g.gid)], ...(g.members.length === 0 ? {} : { memberUid: [...g.members] }), description } };
  }
  const member = g.members.length === 0 ? [NO_MEMBER] : g.members.map((m) => userDn(m, config));
  return { dn: groupDn(g.name, config), objectClasses: ['top', 'groupOfNames'], attributes: { cn: [g.name], member, description } };
}
