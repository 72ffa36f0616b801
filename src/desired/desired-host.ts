import type { Hold } from '../domain/account.js';

/**
 * The desired state of one host (DESIGN.md §1): what every local target must
 * make true. It is data, computed from the store by `projectHost`, and the
 * only input of the targets' pure `plan` functions.
 */
export interface DesiredAccount {
  readonly username: string;
  readonly uid: number;
  readonly gid: number;
  readonly primaryGroup: string;
  readonly gecos: string;
  readonly home: string;
  readonly shell: string;
  readonly type: string;
  readonly personId: string;
  /**
   * The shadow password field when the account is enabled: a crypt hash, a
   * literal such as `*`, or `!` when no password is set. Targets that disable
   * prepend `!` themselves (so unfreeze restores exactly this value).
   */
  readonly passwordField: string;
  /** The Kerberos principal from the type's template (`auth: kerberos`), else null; the kerberos target manages it. */
  readonly principal: string | null;
  /** Holds in force now; empty means active. */
  readonly holds: readonly Hold[];
  /** True when any hold is in force (a freeze or `retired`). */
  readonly disabled: boolean;
  /** Days since 1970-01-01 of the expiry date in the configured zone, while a retirement is scheduled; null otherwise. */
  readonly expiryDay: number | null;
  /** Days since 1970-01-01 of the last password change (shadow field 3). */
  readonly lastChangeDay: number;
  /** Whether the account's type lets it log into this host (type.hosts.login). */
  readonly canLogin: boolean;
  /** Supplementary groups. */
  readonly groups: readonly string[];
  /**
   * Each target's entry for this account, by target name: what the target
   * needs beyond the fields above, projected from the account's type
   * settings (`types.<type>.targets.<name>`) and checked by the target's own
   * schema. Only the target reads its entry.
   */
  readonly targets: Readonly<Record<string, unknown>>;
}

export interface DesiredGroup {
  readonly name: string;
  readonly gid: number;
  /** Supplementary members (usernames), sorted. */
  readonly members: readonly string[];
}

/** A purged account that lived on this host: its entries and files must go (after the archive). */
export interface RemovedAccount {
  readonly username: string;
  readonly uid: number;
  readonly home: string;
  readonly purgedAt: string;
}

/** A resource an account owns on this host (a database, a mailing list, a vhost), for the target that manages its kind. */
export interface DesiredResource {
  readonly id: number;
  readonly kind: string;
  readonly name: string;
  /** The owning account's username (a live account; a purged owner's resources are no longer desired). */
  readonly owner: string;
  /** As the kind's settings schema accepted them. */
  readonly settings: Readonly<Record<string, unknown>>;
}

export interface DesiredHost {
  readonly host: string;
  /** ISO 8601 UTC of the projection. */
  readonly at: string;
  readonly timeZone: string;
  /** Services a freeze leaves usable (`freeze.keep`). */
  readonly freezeKeep: readonly string[];
  /** Accounts living on this host, by username order. */
  readonly accounts: readonly DesiredAccount[];
  /** Groups used on this host: user-private groups, declared groups and groups of its accounts. */
  readonly groups: readonly DesiredGroup[];
  readonly removed: readonly RemovedAccount[];
  /**
   * Set when this is the desired state of some accounts only (an apply
   * scoped to them: `roster apply --account`, `roster account freeze
   * --apply`): their usernames, all living on the host. `accounts` then holds
   * just these, and `groups` their user-private groups plus the shared groups
   * they belong to, listing only them as members. Targets plan for these
   * accounts alone and leave every other entry as it is; where that cannot
   * be done exactly (a shared group's membership changed, a file Roster
   * writes whole is missing) a target throws WholeHostNeeded and the whole
   * host is planned instead. Absent: the whole host, which is also the pass
   * that corrects drift.
   */
  readonly scope?: readonly string[];
  /**
   * Owned resources on this host, by the name of the enabled target that
   * manages their kind, each list in id order; absent when there are none.
   * A scoped state holds those of its accounts only. A resource that is no
   * longer here (removed, or its owner purged) is the target's to archive
   * and remove, as it decides.
   */
  readonly resources?: Readonly<Record<string, readonly DesiredResource[]>>;
  /** roster.yaml `purge`: whether and where homes are archived before removal (targets may override per host). */
  readonly purge?: { readonly archive: boolean; readonly archiveDir: string };
}
