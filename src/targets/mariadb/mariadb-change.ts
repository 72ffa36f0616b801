import type { FoundArchive } from '../resource-archive.js';
import type { Change } from '../target.js';
import type { MariadbAuth } from './mariadb-type-settings.js';

/** An account's user at one host pattern, as a freeze finds it. */
export interface LockHost {
  readonly host: string;
  /** Whether it was locked before this freeze: recorded once, when the freeze begins. */
  readonly lockedBefore: boolean;
  /** True when the freeze begins now (the record is written); false when re-locking one Roster froze already. */
  readonly record: boolean;
}

/** A database a change makes, and the owner's users it grants it to. */
export interface NewDatabase {
  readonly name: string;
  readonly owner: string;
  readonly resourceId: number;
  readonly charset: string;
  readonly collation?: string | undefined;
  /** The owner's host patterns whose users get ALL on it. */
  readonly grantees: readonly string[];
}

/** The owner of an archive: a purged account at its purge time, a live one at the time its resource went. */
export interface ArchiveOwnerData {
  readonly username: string;
  readonly uid: number;
  readonly at: string;
}

/** What a change of the mariadb target does; private to the target (DESIGN.md §9.3). */
export type MariadbChangeData =
  | { readonly kind: 'refuse'; readonly problem: string }
  | { readonly kind: 'lock'; readonly user: string; readonly hosts: readonly LockHost[]; readonly kill: boolean; readonly unmanaged: readonly string[] }
  | { readonly kind: 'unlock'; readonly user: string; readonly hosts: ReadonlyArray<{ readonly host: string; readonly lockedBefore: boolean }> }
  | { readonly kind: 'create-user'; readonly user: string; readonly host: string; readonly auth: MariadbAuth; readonly lock: boolean }
  | { readonly kind: 'set-auth'; readonly user: string; readonly host: string; readonly auth: MariadbAuth }
  | { readonly kind: 'drop-user'; readonly user: string; readonly host: string; readonly exists: boolean }
  | { readonly kind: 'create-database'; readonly database: NewDatabase }
  | { readonly kind: 'restore-database'; readonly database: NewDatabase; readonly archive: FoundArchive }
  | { readonly kind: 'grant'; readonly name: string; readonly user: string; readonly hosts: readonly string[] }
  | { readonly kind: 'archive-database'; readonly name: string; readonly owner: ArchiveOwnerData }
  | { readonly kind: 'drop-database'; readonly name: string; readonly owner: string; readonly revoke: readonly string[]; readonly archived: ArchiveOwnerData | null }
  | { readonly kind: 'forget-database'; readonly name: string }
  | { readonly kind: 'drop-users'; readonly user: string; readonly hosts: readonly string[]; readonly missing: readonly string[]; readonly kill: boolean };

export function dataOf(change: Change): MariadbChangeData {
  return change.data as MariadbChangeData;
}

/** The SQL of each authentication setting (Roster never sets a password; see mariadb-type-settings.ts). */
export const AUTH_CLAUSE: Readonly<Record<MariadbAuth, string>> = {
  unix_socket: 'IDENTIFIED VIA unix_socket',
  password: "IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket",
};

/** The plugins each setting leaves in mysql.global_priv, sorted, to find drift. */
export const AUTH_PLUGINS: Readonly<Record<MariadbAuth, readonly string[]>> = {
  unix_socket: ['unix_socket'],
  password: ['mysql_native_password', 'unix_socket'],
};
