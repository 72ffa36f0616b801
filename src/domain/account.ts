/**
 * Accounts and holds (DESIGN.md §3 "Lifecycle").
 *
 * An account is disabled while it carries at least one *effective* hold. A
 * retirement with a deactivation grace period is stored as a `retired` hold
 * whose `since` lies in the future (equal to `expiresAt`): the hold becomes
 * effective when the clock passes it, so state is a function of the clock and
 * no job has to run for an expired account to show as disabled.
 */
export type HoldKind = 'freeze' | 'retired';

export interface Hold {
  readonly kind: HoldKind;
  /** For `freeze`: billing, admin, security, scim, or any admin-chosen word. For `retired`: who retired it (admin, sync:<source>, scim). */
  readonly reason: string;
  /** ISO 8601 UTC; for a scheduled retirement this is in the future. */
  readonly since: string;
  readonly note: string | null;
  readonly setBy: string;
}

export type AccountState = 'pending' | 'active' | 'disabled' | 'purged';

export interface Account {
  readonly id: number;
  readonly personId: string;
  readonly type: string;
  readonly username: string;
  readonly uid: number;
  readonly gid: number;
  readonly primaryGroup: string;
  readonly gecos: string;
  readonly shell: string;
  readonly home: string;
  /** crypt(3) hash, a literal password field such as `*`, or null for `locked`/`kerberos`. Never leaves the server. */
  readonly passwordHash: string | null;
  readonly principal: string | null;
  /** Supplementary group names. */
  readonly groups: readonly string[];
  readonly holds: readonly Hold[];
  /** ISO 8601 UTC: when the `retired` hold takes effect. */
  readonly expiresAt: string | null;
  /** ISO 8601 UTC: when the purge job removes the account. */
  readonly purgeAt: string | null;
  /** ISO 8601 UTC: set once purged (tombstone). */
  readonly purgedAt: string | null;
  /** True until an admin approves a portal sign-up. */
  readonly pending: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Holds in force at `now` (ISO strings in UTC compare as time). */
export function effectiveHolds(account: Pick<Account, 'holds'>, now: Date): readonly Hold[] {
  // Most accounts have none: the time is not even written out for them (SCIM GET by id asks twice per answer).
  if (account.holds.length === 0) return [];
  const at = now.toISOString();
  return account.holds.filter((h) => h.since <= at);
}

export function accountState(account: Pick<Account, 'holds' | 'purgedAt' | 'pending'>, now: Date): AccountState {
  if (account.purgedAt !== null) return 'purged';
  if (effectiveHolds(account, now).length > 0) return 'disabled';
  if (account.pending) return 'pending';
  return 'active';
}

/** A freeze hold disables every service except those listed in `freeze.keep`; `retired` disables everything. */
export function disablesService(holds: readonly Hold[], service: string, freezeKeep: readonly string[]): boolean {
  return holds.some((h) => h.kind === 'retired' || !freezeKeep.includes(service));
}
