import type { ArchiveOwner } from '../resource-archive.js';
import type { PrincipalMarker, PrincipalWant } from './kerberos-principal.js';

/**
 * What each kerberos change carries from plan to apply and verify (private
 * to this target). Apply re-reads the principal and its marker before it
 * acts and works out its kadmin queries from what it finds then, so a
 * principal that stopped being Roster's since the plan is refused, and one
 * changed since is still brought exactly to what is wanted.
 */
export type KerberosChangeData =
  /** Something the plan found in the way (another realm, another owner's principal): a failed change naming it. */
  | { readonly kind: 'refuse'; readonly problem: string }
  /** addprinc -randkey, marked, then brought to `want`: the account has no password on it until `roster account passwd`. */
  | { readonly kind: 'create'; readonly principal: string; readonly marker: PrincipalMarker; readonly want: PrincipalWant }
  /** A principal that was there before Roster: marked as Roster's with its keys (its password) untouched, then brought to `want`. */
  | { readonly kind: 'adopt'; readonly principal: string; readonly marker: PrincipalMarker; readonly want: PrincipalWant }
  /** Roster's principal: its ticket flag and expiry brought to `want`, with the records that make the undo exact. */
  | { readonly kind: 'converge'; readonly principal: string; readonly marker: PrincipalMarker; readonly want: PrincipalWant }
  /** getprinc and getstrs of a purged account's principal into the archive. */
  | { readonly kind: 'archive'; readonly principal: string; readonly marker: PrincipalMarker; readonly archiveOwner: ArchiveOwner }
  /** delprinc -force, only after the archive lists its record when archiving is on. */
  | { readonly kind: 'delete'; readonly principal: string; readonly marker: PrincipalMarker; readonly archiveOwner: ArchiveOwner };

/** The target's name, in changes, archives and markers. */
export const KERBEROS = 'kerberos';
/** The service a hold disables unless `freeze.keep` lists it. */
export const KERBEROS_SERVICE = 'kerberos';
/** The kind of a principal's record in the archive. */
export const PRINCIPAL_KIND = 'kerberos-principal';

export const principalSubject = (name: string): string => `kerberos-principal:${name}`;

/** A principal's name as part of an archive file name (a `/` of `host/name@REALM` would leave the archive dir). */
export const archiveName = (principal: string): string => principal.replaceAll('%', '%25').replaceAll('/', '%2F');
