import type { Account } from './account.js';
import { RosterError } from './errors.js';

/**
 * `roster account restore` (DESIGN.md §3 "Purged accounts are restored from
 * the archive"): the tombstone becomes an active account again with the same
 * username and UID — both stayed reserved — and no holds or retirement
 * dates, because whatever led to the purge has been dealt with by whoever
 * restores it. Pure; the host targets bring the files back.
 */
export function restorePurged(account: Account, now: Date): Account {
  if (account.purgedAt === null) throw new RosterError('conflict', `${account.username} is not purged; nothing to restore`);
  const at = now.toISOString();
  return { ...account, purgedAt: null, holds: [], expiresAt: null, purgeAt: null, updatedAt: at };
}
