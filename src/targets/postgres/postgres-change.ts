import type { ArchiveOwner, FoundArchive } from '../resource-archive.js';
import type { PostgresDatabaseSettings } from './postgres-database-kind.js';
import type { DatabaseMarker, RoleMarker } from './postgres-marker.js';

/**
 * What each postgres change carries from plan to apply and verify (private
 * to this target). Apply re-reads the role's or database's marker before it
 * acts, so something that stopped being Roster's between plan and apply is
 * refused, not altered.
 */
export type PostgresChangeData =
  /** A conflict found by the plan (an unmanaged role or database in the way): a failed change naming both. */
  | { readonly kind: 'refuse'; readonly problem: string }
  /** CREATE ROLE, LOGIN unless the account is disabled (then NOLOGIN, with the LOGIN to give back recorded). */
  | { readonly kind: 'create-role'; readonly role: string; readonly marker: RoleMarker; readonly canLogin: boolean }
  /** Records what the role is (unless already recorded), makes it NOLOGIN and ends its sessions. */
  | { readonly kind: 'freeze'; readonly role: string; readonly marker: RoleMarker }
  /** Gives back exactly what the freeze recorded, and forgets the record. */
  | { readonly kind: 'unfreeze'; readonly role: string; readonly marker: RoleMarker; readonly restore: { readonly canLogin: boolean; readonly validUntil: string | null } }
  /** Rewrites the marker only (the type's login method changed). */
  | { readonly kind: 'mark-role'; readonly role: string; readonly marker: RoleMarker }
  | { readonly kind: 'create-database'; readonly database: string; readonly owner: string; readonly marker: DatabaseMarker; readonly settings: PostgresDatabaseSettings }
  /** From the newest archive, checked against its SHA-256 first; `replace` drops a database a crashed restore left half done. */
  | { readonly kind: 'restore-database'; readonly database: string; readonly owner: string; readonly marker: DatabaseMarker; readonly settings: PostgresDatabaseSettings; readonly archive: FoundArchive; readonly replace: boolean }
  /** A managed database of the same owner under a new resource id (removed and added again): its marker follows. */
  | { readonly kind: 'update-database'; readonly database: string; readonly owner: string; readonly marker: DatabaseMarker }
  | { readonly kind: 'archive-database'; readonly database: string; readonly archiveOwner: ArchiveOwner }
  /** DROP DATABASE … WITH (FORCE), only after its archive is listed in the manifest when archiving is on. */
  | { readonly kind: 'drop-database'; readonly database: string; readonly archiveOwner: ArchiveOwner; readonly markerOwner: { readonly owner: string; readonly uid: number } }
  | { readonly kind: 'drop-role'; readonly role: string; readonly uid: number };

/** The target's name, in changes, archives and markers. */
export const POSTGRES = 'postgres';
/** The service a hold disables unless `freeze.keep` lists it. */
export const DATABASES_SERVICE = 'databases';
/** The kind of the databases' resources. */
export const DATABASE_KIND = 'postgres-database';
