/**
 * Pure lifecycle transitions on an account (DESIGN.md §3 "Lifecycle: holds
 * and the retirement schedule", seeds 000 and 002). Each returns a new
 * account and whether anything changed; the input is never mutated, and a
 * transition that changes nothing returns the very same account so callers
 * write (and audit) nothing. State is not stored: it follows from the holds
 * and the clock (`accountState` in account.ts).
 */
import type { Account, Hold } from './account.js';
import { RosterError } from './errors.js';
import { addDaysInZone, startOfDayInZone } from './zoned-time.js';

export interface Transition {
  readonly account: Account;
  readonly changed: boolean;
}

/** Freeze reasons become part of the hold's name (`freeze:billing`), in the CLI, the API and the audit log. */
export const FREEZE_REASON = /^[a-z][a-z0-9-]{0,31}$/;

function instant(now: Date): string {
  if (!Number.isFinite(now.getTime())) throw new RosterError('bad_input', 'now is not a valid time');
  return now.toISOString();
}

function checkReason(reason: string): void {
  if (!FREEZE_REASON.test(reason)) {
    const message = 'must be a lower-case word of up to 32 letters, digits and dashes, starting with a letter';
    throw new RosterError('bad_input', `freeze reason "${reason.replace(/[^\x20-\x7e]/g, '?')}" ${message}`, [{ where: 'reason', message }]);
  }
}

/** Purged is final: a tombstone only comes back through `roster account restore`. */
function refusePurged(account: Account, what: string): void {
  if (account.purgedAt !== null) {
    throw new RosterError('conflict', `cannot ${what} ${account.username}: it was purged on ${account.purgedAt}`);
  }
}

function changedTo(account: Account, fields: Partial<Pick<Account, 'holds' | 'expiresAt' | 'purgeAt' | 'purgedAt'>>, at: string): Transition {
  return { account: { ...account, ...fields, updatedAt: at }, changed: true };
}

export interface FreezeInput {
  /** billing, admin, security, scim, or any admin-chosen word. */
  readonly reason: string;
  readonly note?: string | null;
  readonly by: string;
  readonly now: Date;
}

/**
 * Adds the hold `freeze:<reason>`. Idempotent (seed 000: freezing must be
 * safe to repeat): the same reason again changes nothing, and keeps the
 * original `since` and note.
 */
export function freeze(account: Account, { reason, note = null, by, now }: FreezeInput): Transition {
  checkReason(reason);
  refusePurged(account, 'freeze');
  const at = instant(now);
  if (account.holds.some((h) => h.kind === 'freeze' && h.reason === reason)) return { account, changed: false };
  const hold: Hold = { kind: 'freeze', reason, since: at, note, setBy: by };
  return changedTo(account, { holds: [...account.holds, hold] }, at);
}

export interface UnfreezeInput {
  readonly reason: string;
  readonly by: string;
  readonly now: Date;
}

/**
 * Lifts `freeze:<reason>` and nothing else: holds stack and are lifted one
 * by one, so paying dues never lifts an admin's security freeze.
 */
export function unfreeze(account: Account, { reason, now }: UnfreezeInput): Transition {
  checkReason(reason);
  refusePurged(account, 'unfreeze');
  const at = instant(now);
  const holds = account.holds.filter((h) => !(h.kind === 'freeze' && h.reason === reason));
  if (holds.length === account.holds.length) return { account, changed: false };
  return changedTo(account, { holds }, at);
}

export interface RetireInput {
  /** D: days the account stays usable. */
  readonly deactivation: number;
  /** P: days until the purge; 0 purges now. */
  readonly deletion: number;
  readonly now: Date;
  /** IANA zone whose midnight "start of day" means. */
  readonly timeZone: string;
  readonly by: string;
  /** Recorded as the `retired` hold's reason; defaults to `by` (admin, sync:<source>, scim). */
  readonly reason?: string;
}

export type RetireOutcome = Transition | { readonly purgeNow: true };

function checkDays(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RosterError('bad_input', `${field} grace must be a whole number of days ≥ 0, got ${String(value)}`, [{ where: field, message: 'must be a whole number ≥ 0' }]);
  }
}

function earlier(a: string | null | undefined, b: string): string {
  return a === null || a === undefined || Date.parse(b) < Date.parse(a) ? b : a;
}

/**
 * Retirement with grace periods D (deactivation) and P (deletion), seed 002
 * as tabled in DESIGN.md §3:
 *
 * | D     | P     | effect                                                        |
 * | any   | 0     | `{ purgeNow: true }`; the caller purges (archive first)       |
 * | 0     | > 0   | `retired` hold now, expiresAt = now, purgeAt = day(now + P)   |
 * | > 0   | ≥ D   | hold and expiresAt at day(now + D), purgeAt = day(now + P)    |
 * | > P   | > 0   | rejected                                                      |
 *
 * where day(t) is the start of t's calendar day in `timeZone`. The scheduled
 * hold is stored with `since` in the future, so the account turns disabled
 * when the clock passes it, with no job involved.
 *
 * Retiring an account that is already retiring keeps, for each deadline, the
 * earlier of the old and the new date: a deadline is never silently extended
 * (a sync run with a longer grace must not postpone a purge), while a shorter
 * one takes effect — seed 002's D=7 then D=0 run deactivated at once.
 */
export function retire(account: Account, input: RetireInput): RetireOutcome {
  const { deactivation: d, deletion: p, now, timeZone, by } = input;
  checkDays(d, 'deactivation');
  checkDays(p, 'deletion');
  if (p > 0 && d > p) {
    throw new RosterError('bad_input', `deactivation grace (${d} days) exceeds deletion grace (${p} days)`, [{ where: 'deactivation', message: `must not exceed the deletion grace (${p} days)` }]);
  }
  refusePurged(account, 'retire');
  const at = instant(now);
  if (p === 0) return { purgeNow: true };

  const day = (days: number): string => startOfDayInZone(addDaysInZone(now, days, timeZone), timeZone).toISOString();
  const newExpiry = d === 0 ? at : day(d);
  const newPurge = day(p);

  const old = account.holds.find((h) => h.kind === 'retired');
  // The hold's `since` and `expiresAt` are the same deadline; should they
  // ever disagree, the earlier one counts.
  const oldExpiry = old === undefined ? account.expiresAt : earlier(account.expiresAt, old.since);
  const expiresAt = earlier(oldExpiry, newExpiry);
  const purgeAt = earlier(account.purgeAt, newPurge);

  if (old !== undefined && old.since === expiresAt && account.expiresAt === expiresAt && account.purgeAt === purgeAt) {
    return { account, changed: false };
  }
  const hold: Hold =
    old === undefined
      ? { kind: 'retired', reason: input.reason ?? by, since: expiresAt, note: null, setBy: by }
      : old.since === expiresAt
        ? old
        : { ...old, since: expiresAt, setBy: by };
  const holds = [...account.holds.filter((h) => h.kind !== 'retired'), hold];
  return changedTo(account, { holds, expiresAt, purgeAt }, at);
}

export interface ReactivateInput {
  readonly by: string;
  readonly now: Date;
}

/**
 * A retired person who returns (seed 002 C: re-import; or an admin): the
 * `retired` hold goes and expiresAt and purgeAt are cleared. Freeze holds
 * stay — lifting one hold never lifts another (UCS re-enabled accounts an
 * admin had disabled, which its 4.2 v4 fix had to undo).
 */
export function reactivate(account: Account, { now }: ReactivateInput): Transition {
  refusePurged(account, 'reactivate');
  const at = instant(now);
  const holds = account.holds.filter((h) => h.kind !== 'retired');
  if (holds.length === account.holds.length && account.expiresAt === null && account.purgeAt === null) return { account, changed: false };
  return changedTo(account, { holds, expiresAt: null, purgeAt: null }, at);
}

/**
 * The account becomes a tombstone: state `purged`, username and UID stay
 * reserved. Holds and dates are kept as the record of how it got there.
 * Purging a tombstone again changes nothing.
 */
export function markPurged(account: Account, now: Date): Account {
  const at = instant(now);
  if (account.purgedAt !== null) return account;
  return { ...account, purgedAt: at, updatedAt: at };
}

/** Seed 002 D: due once `purgeAt ≤ now` (a purge at 23:58:44 finds nothing, one at 00:00:03 does). */
export function isPurgeDue(account: Pick<Account, 'purgeAt' | 'purgedAt'>, now: Date): boolean {
  return account.purgedAt === null && account.purgeAt !== null && Date.parse(account.purgeAt) <= now.getTime();
}
