import type { Account } from '../domain/account.js';
import type { AccountWrites } from '../store/store.js';

/** Persists what a pure lifecycle transition changed: holds by (kind, reason), then dates. */
export async function saveAccount(tx: AccountWrites, before: Account, after: Account): Promise<void> {
  const key = (h: Account['holds'][number]): string => `${h.kind}\u0000${h.reason}`;
  const old = new Map(before.holds.map((h) => [key(h), h]));
  const next = new Map(after.holds.map((h) => [key(h), h]));
  for (const [k, h] of old) if (!next.has(k)) await tx.removeHold(before.id, h.kind, h.reason);
  for (const [k, h] of next) {
    const was = old.get(k);
    if (was === undefined || was.since !== h.since || was.note !== h.note || was.setBy !== h.setBy) await tx.putHold(before.id, h);
  }
  if (before.expiresAt !== after.expiresAt || before.purgeAt !== after.purgeAt || before.purgedAt !== after.purgedAt || before.updatedAt !== after.updatedAt) {
    await tx.updateAccount(before.id, { expiresAt: after.expiresAt, purgeAt: after.purgeAt, purgedAt: after.purgedAt, updatedAt: after.updatedAt });
  }
}
