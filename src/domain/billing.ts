/**
 * The billing freeze (seed 000, DESIGN.md §3 "Billing freeze"): members are
 * warned at configured lead times before their balance runs out, frozen with
 * `freeze:billing` at the freeze lead (default 30 days, "a month before"),
 * and unfrozen as soon as a payment moves the run-out date past the lead.
 *
 * Money is integer cents throughout: no binary fractions in a ledger.
 * Dates are calendar dates (`YYYY-MM-DD`) in the site's time zone.
 */
import { RosterError } from './errors.js';
import { addDaysToDate, daysBetween } from './zoned-time.js';

export interface LedgerLine {
  readonly kind: 'charge' | 'payment';
  readonly amountCents: number;
}

function cents(value: number, field: string): number {
  if (!Number.isSafeInteger(value)) throw new RosterError('bad_input', `${field} must be a whole number of cents, got ${String(value)}`, [{ where: field, message: 'not an integer' }]);
  return value;
}

/** Payments minus charges: positive means credit. */
export function balanceCents(entries: readonly LedgerLine[]): number {
  let balance = 0;
  for (const e of entries) {
    const amount = cents(e.amountCents, 'amountCents');
    balance += e.kind === 'payment' ? amount : -amount;
  }
  return balance;
}

const LAST_DATE = '9999-12-31';

/** The average Gregorian month: 365.2425 days / 12. */
const DAYS_PER_MONTH_X10000 = 304_375;

export interface RunOutInput {
  readonly balanceCents: number;
  readonly monthlyDuesCents: number;
  /** `YYYY-MM-DD` in the site's time zone. */
  readonly today: string;
}

/**
 * The day the balance would fall below zero at the current dues, defined
 * simply so that members and admins can check it by hand:
 *
 * - no dues (d ≤ 0): `null`, the balance never runs out;
 * - a negative balance: `today`, it already has;
 * - otherwise the balance b covers b/d months, counted as
 *   ⌊b/d × 30.4375⌋ days (an average month) from `today`, at the latest
 *   9999-12-31.
 *
 * Computed in integers so that an exact number of days is never rounded
 * down by a floating-point quotient a hair below it.
 */
export function runOutDate({ balanceCents: balance, monthlyDuesCents: dues, today }: RunOutInput): string | null {
  cents(balance, 'balanceCents');
  cents(dues, 'monthlyDuesCents');
  if (dues <= 0) return null;
  if (balance < 0) return addDaysToDate(today, 0);
  const days = BigInt(balance) * BigInt(DAYS_PER_MONTH_X10000) / (BigInt(dues) * 10_000n);
  // A credit of millennia (a 1-cent due) ends at the last date YYYY-MM-DD can write.
  const room = BigInt(daysBetween(today, LAST_DATE));
  return addDaysToDate(today, Number(days < room ? days : room));
}

export type BillingAction = 'freeze' | 'lift' | 'warn' | 'none';

export interface BillingDecisionInput {
  readonly runOut: string | null;
  readonly today: string;
  /** Days before the run-out date at which to warn, e.g. [60, 45]. */
  readonly warnLeadDays: readonly number[];
  /** Days before the run-out date at which to freeze, e.g. 30. */
  readonly freezeLeadDays: number;
  /** Whether the member's accounts carry `freeze:billing`. */
  readonly frozenForBilling: boolean;
  /** Warnings already sent for this run-out date, by kind (`warn:60`). */
  readonly noticesSent: ReadonlySet<string>;
}

export interface BillingDecision {
  readonly action: BillingAction;
  /** The warning to send, e.g. `warn:45`; present only with `action: 'warn'`. */
  readonly warnKind?: string;
  /** Days from today to the run-out date; null when it never runs out. */
  readonly daysLeft: number | null;
}

/**
 * What the billing job does for one member today.
 *
 * - freeze: the run-out date is within the freeze lead and no billing
 *   freeze is in place (seed 000: "freeze a month before");
 * - lift: a billing freeze is in place but the run-out date is now beyond
 *   the lead (or there is none): a payment came in;
 * - warn: the most recent warning threshold crossed, i.e. the smallest lead
 *   that is ≥ daysLeft, has not been sent for this run-out date. Earlier,
 *   larger leads that were skipped (a member who is first seen at 40 days
 *   left) are not sent late: one notice per threshold, and never the same
 *   one twice for the same run-out date;
 * - none: otherwise.
 */
export function billingDecision(input: BillingDecisionInput): BillingDecision {
  const { runOut, today, warnLeadDays, freezeLeadDays, frozenForBilling, noticesSent } = input;
  const daysLeft = runOut === null ? null : daysBetween(today, runOut);
  const due = daysLeft !== null && daysLeft <= freezeLeadDays;
  if (due) return { action: frozenForBilling ? 'none' : 'freeze', daysLeft };
  if (frozenForBilling) return { action: 'lift', daysLeft };
  if (daysLeft === null) return { action: 'none', daysLeft };
  const crossed = warnLeadDays.filter((lead) => lead >= daysLeft);
  if (crossed.length === 0) return { action: 'none', daysLeft };
  const warnKind = `warn:${Math.min(...crossed)}`;
  if (noticesSent.has(warnKind)) return { action: 'none', daysLeft };
  return { action: 'warn', warnKind, daysLeft };
}
