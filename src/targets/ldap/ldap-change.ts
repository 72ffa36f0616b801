import type { ArchiveOwner } from '../resource-archive.js';

/** The target's name, in changes, archives and markers. */
export const LDAP = 'ldap';
/** The service the whole directory account stands for (its binds and every client that checks shadowExpire or ppolicy). */
export const DIRECTORY_SERVICE = 'ldap';
/** The archive kind of a purged account's entries. */
export const ENTRY_KIND = 'ldap-entry';
/** ppolicy's permanent lock: the account stays locked until an administrator (here: the unfreeze) removes it. */
export const LOCKED_FOREVER = '000001010000Z';

/** Attributes as Roster writes them: the schema's name → values (never empty). */
export type Attributes = Readonly<Record<string, readonly string[]>>;

/** One modification of a modify operation (RFC 4511 §4.6). `delete` without values removes the attribute. */
export interface Modification {
  readonly operation: 'add' | 'delete' | 'replace';
  readonly type: string;
  readonly values: readonly string[];
}

/**
 * What each ldap change carries from plan to apply and verify (private to
 * this target). Every modify and delete carries the marker the entry had
 * when it was planned; the server checks it (an assertion control) as part
 * of the operation.
 */
export type LdapChangeData =
  /** A conflict found by the plan (an entry that is not Roster's in the way): a failed change naming both. */
  | { readonly kind: 'refuse'; readonly problem: string }
  /** Adds the entry; the server refuses it if something appeared at the DN since the plan. */
  | { readonly kind: 'add'; readonly dn: string; readonly attributes: Attributes }
  /** The minimal changes to the attributes Roster manages, as one modify. */
  | { readonly kind: 'modify'; readonly dn: string; readonly marker: string; readonly modifications: readonly Modification[] }
  /** Writes the account's entry, its user-private group and its memberships as LDIF into the archive. */
  | { readonly kind: 'archive'; readonly dn: string; readonly marker: string; readonly username: string; readonly archiveOwner: ArchiveOwner }
  /** Deletes the entry, after checking the archive's manifest lists it (when `archiveOwner` is set). */
  | { readonly kind: 'delete'; readonly dn: string; readonly marker: string; readonly archiveOwner: ArchiveOwner | null; readonly username: string | null };
