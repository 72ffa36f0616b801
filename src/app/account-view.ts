import { accountState, effectiveHolds, type Account } from '../domain/account.js';

export interface AccountView {
  readonly username: string;
  readonly uid: number;
  readonly gid: number;
  readonly type: string;
  readonly personId: string;
  readonly state: 'pending' | 'active' | 'disabled' | 'purged';
  readonly holds: ReadonlyArray<{ readonly kind: string; readonly reason: string; readonly since: string; readonly note: string | null }>;
  readonly expiresAt: string | null;
  readonly purgeAt: string | null;
  readonly purgedAt: string | null;
  readonly primaryGroup: string;
  readonly groups: readonly string[];
  readonly gecos: string;
  readonly shell: string;
  readonly home: string;
  readonly principal: string | null;
  readonly passwordSet: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * The public shape of an account at `now`. State and holds are functions of
 * the clock (a retirement whose date has passed shows without any job). The
 * password hash never leaves the server.
 */
export function accountView(account: Account, now: Date): AccountView {
  return {
    username: account.username,
    uid: account.uid,
    gid: account.gid,
    type: account.type,
    personId: account.personId,
    state: accountState(account, now),
    holds: effectiveHolds(account, now).map((h) => ({ kind: h.kind, reason: h.reason, since: h.since, note: h.note })),
    expiresAt: account.expiresAt,
    purgeAt: account.purgeAt,
    purgedAt: account.purgedAt,
    primaryGroup: account.primaryGroup,
    groups: account.groups,
    gecos: account.gecos,
    shell: account.shell,
    home: account.home,
    principal: account.principal,
    passwordSet: account.passwordHash !== null && account.passwordHash.startsWith('$'),
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
  };
}

/** What the audit log keeps of an account: no hash, no secrets. */
export function accountSummary(account: Account): Record<string, unknown> {
  return {
    username: account.username,
    uid: account.uid,
    gid: account.gid,
    type: account.type,
    personId: account.personId,
    primaryGroup: account.primaryGroup,
    groups: account.groups,
    gecos: account.gecos,
    shell: account.shell,
    home: account.home,
    holds: account.holds.map((h) => `${h.kind}:${h.reason}@${h.since}`),
    expiresAt: account.expiresAt,
    purgeAt: account.purgeAt,
    purgedAt: account.purgedAt,
  };
}
