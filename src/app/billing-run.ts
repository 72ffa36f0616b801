import type { Account } from '../domain/account.js';
import { balanceCents, billingDecision, runOutDate } from '../domain/billing.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { freeze, unfreeze } from '../domain/lifecycle.js';
import type { Person } from '../domain/person.js';
import { calendarDate } from '../domain/zoned-time.js';
import { keysetPages } from '../store/keyset-pages.js';
import type { AccountQueries, AccountReads, AuditWrites, LedgerEntry, LedgerQueries, OutboxWrites } from '../store/store.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { accountSummary } from './account-view.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';
import { requirePerson } from './people.js';
import { memberAddress, queueNotices, type Notice } from './notices.js';
import { saveAccount } from './save-account.js';

const BILLING = 'billing';

/** Parses `12`, `12.5`, `12.50` into cents; anything else is bad input naming the field. */
export function parseAmount(text: string, field = 'AMOUNT'): number {
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (m === null) throw new RosterError('bad_input', `${field} "${printable(text)}" is not a positive amount with at most 2 decimals`, [{ where: field, message: 'expected e.g. 10 or 10.50' }]);
  const cents = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (cents <= 0) throw new RosterError('bad_input', `${field} must be greater than zero`, [{ where: field, message: 'must be greater than zero' }]);
  return cents;
}

export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export interface PersonBilling {
  readonly personId: string;
  readonly balanceCents: number;
  readonly monthlyDuesCents: number;
  readonly runOut: string | null;
  readonly daysLeft: number | null;
  readonly action: 'freeze' | 'lift' | 'warn' | 'none';
  readonly warnKind?: string;
  readonly duesPosted?: number;
  readonly error?: string;
}

async function liveAccounts(q: AccountReads, personId: string): Promise<Account[]> {
  return q.listAccounts({ personId });
}

function monthlyDues(ctx: AppContext, accounts: readonly Account[]): number {
  return accounts.reduce((sum, a) => sum + (ctx.config.types[a.type]?.duesCents ?? 0), 0);
}

/**
 * Evaluates one member (seed 000): posts this month's dues once, computes the
 * run-out date and freezes, lifts or warns. `postDues` is false when a
 * payment triggers the evaluation, so paying never charges.
 */
async function evaluatePerson(tx: AccountQueries & LedgerQueries & OutboxWrites & AuditWrites, ctx: AppContext, person: Person, postDues: boolean): Promise<PersonBilling> {
  const now = ctx.clock.now();
  const today = calendarDate(now, ctx.config.timeZone);
  const accounts = await liveAccounts(tx, person.id);
  const dues = monthlyDues(ctx, accounts);
  let duesPosted: number | undefined;
  if (postDues && dues > 0 && (await tx.recordNotice(person.id, 'dues', today.slice(0, 7), now.toISOString()))) {
    await tx.addLedgerEntry({ personId: person.id, at: now.toISOString(), kind: 'charge', amountCents: dues, note: `dues ${today.slice(0, 7)}` });
    await audit(tx, ctx, { action: 'ledger.charge', target: `person:${person.id}`, before: null, after: { amount: formatCents(dues), note: `dues ${today.slice(0, 7)}` } });
    duesPosted = dues;
  }
  const entries = await tx.ledger(person.id);
  const balance = balanceCents(entries);
  const runOut = runOutDate({ balanceCents: balance, monthlyDuesCents: dues, today });
  const frozen = accounts.some((a) => a.holds.some((h) => h.kind === 'freeze' && h.reason === BILLING));
  // Never the same warning twice (seed 000): warnings already sent since the
  // last payment count, whatever run-out date they named. A monthly charge
  // moves the date by a day or so; only a payment starts a new round.
  const lastPayment = entries.filter((e) => e.kind === 'payment').at(-1)?.at ?? '';
  const sent = new Set((await tx.listNotices(person.id)).filter((n) => n.kind.startsWith('warn:') && n.at >= lastPayment).map((n) => n.kind));
  const decision = billingDecision({
    runOut,
    today,
    warnLeadDays: ctx.config.billing.warnLeadDays,
    freezeLeadDays: ctx.config.billing.freezeLeadDays,
    frozenForBilling: frozen,
    noticesSent: sent,
  });
  let { action } = decision;
  if (action === 'warn' && decision.warnKind !== undefined && runOut !== null) {
    // Never the same warning twice for the same run-out date.
    if (await tx.recordNotice(person.id, decision.warnKind, runOut, now.toISOString())) {
      await audit(tx, ctx, { action: 'billing.warn', target: `person:${person.id}`, before: null, after: { warning: decision.warnKind, runOut, daysLeft: decision.daysLeft } });
      await queueNotices(tx, ctx, [billingNotice(ctx, 'billing-warning', person, accounts, { warning: decision.warnKind, lead: decision.warnKind.slice('warn:'.length), runOut, daysLeft: decision.daysLeft, balance: formatCents(balance), dues: formatCents(dues) }, `${decision.warnKind}:${runOut}`)]);
    } else {
      action = 'none';
    }
  }
  const changed: Account[] = [];
  for (const account of action === 'freeze' || action === 'lift' ? accounts : []) {
    const step = action === 'freeze'
      ? freeze(account, { reason: BILLING, note: `balance runs out ${runOut ?? 'now'}`, by: ctx.actor, now })
      : unfreeze(account, { reason: BILLING, by: ctx.actor, now });
    if (!step.changed) continue;
    changed.push(account);
    await saveAccount(tx, account, step.account);
    await audit(tx, ctx, { action: action === 'freeze' ? 'account.freeze' : 'account.unfreeze', target: `account:${account.username}`, before: accountSummary(account), after: { ...accountSummary(step.account), runOut } });
  }
  if (changed.length > 0) {
    const kind = action === 'freeze' ? 'frozen' : 'unfrozen';
    const facts = { usernames: changed.map((a) => a.username).join(', '), runOut: runOut ?? 'now', balance: formatCents(balance), dues: formatCents(dues), keep: ctx.config.freeze.keep.join(', ') };
    await queueNotices(tx, ctx, [billingNotice(ctx, kind, person, changed, facts, now.toISOString())]);
  }
  const out: PersonBilling = { personId: person.id, balanceCents: balance, monthlyDuesCents: dues, runOut, daysLeft: decision.daysLeft, action };
  return {
    ...out,
    ...(decision.warnKind !== undefined && action === 'warn' ? { warnKind: decision.warnKind } : {}),
    ...(duesPosted !== undefined ? { duesPosted } : {}),
  };
}

function billingNotice(ctx: AppContext, kind: 'billing-warning' | 'frozen' | 'unfrozen', person: Person, accounts: readonly Account[], facts: Readonly<Record<string, unknown>>, key: string): Notice {
  return {
    kind,
    to: memberAddress(person, ctx, accounts),
    data: { name: `${person.firstName} ${person.lastName}`, personId: person.id, usernames: accounts.map((a) => a.username).join(', '), currency: ctx.config.billing.currency, ...facts },
    dedupeKey: `${kind}:${person.id}:${key}`,
  };
}

export interface BillingReport {
  readonly dryRun: boolean;
  readonly people: readonly PersonBilling[];
}

/** The billing job: every person with live accounts, each in its own transaction, per-item results. */
export async function runBilling(ctx: AppContext, options: MutationOptions = {}): Promise<BillingReport> {
  const people: PersonBilling[] = [];
  const pages = keysetPages({ limit: 500, page: (afterId: string | undefined, limit) => ctx.store.read.listPeople({ ...(afterId === undefined ? {} : { afterId }), limit }), keyOf: (p) => p.id });
  for await (const page of pages) {
    for (const person of page) {
      try {
        const r = await mutate(ctx, options, async (tx) => {
          const accounts = await liveAccounts(tx, person.id);
          if (monthlyDues(ctx, accounts) === 0 && !accounts.some((a) => a.holds.some((h) => h.reason === BILLING))) return null;
          return evaluatePerson(tx, ctx, person, true);
        });
        if (r !== null) people.push(r);
      } catch (e) {
        people.push({ personId: person.id, balanceCents: 0, monthlyDuesCents: 0, runOut: null, daysLeft: null, action: 'none', error: errorMessage(e) });
      }
    }
  }
  return { dryRun: options.dryRun === true, people };
}

export async function recordLedger(
  ctx: AppContext,
  personId: string,
  kind: 'charge' | 'payment',
  amountText: string,
  note: string | undefined,
  options: MutationOptions = {},
): Promise<{ entry: LedgerEntry; billing: PersonBilling }> {
  const amountCents = parseAmount(amountText);
  return mutate(ctx, options, async (tx) => {
    const person = await requirePerson(tx, personId);
    const entry = await tx.addLedgerEntry({ personId, at: ctx.clock.now().toISOString(), kind, amountCents, note: note ?? null });
    await audit(tx, ctx, { action: kind === 'charge' ? 'ledger.charge' : 'ledger.pay', target: `person:${personId}`, before: null, after: { amount: formatCents(amountCents), note: note ?? null } });
    // A payment that pushes the run-out date past the lead lifts the billing freeze at once.
    const billing = await evaluatePerson(tx, ctx, person, false);
    return { entry, billing };
  });
}

export async function ledgerStatement(ctx: AppContext, personId: string): Promise<{ entries: LedgerEntry[]; billing: PersonBilling }> {
  const entries = await ctx.store.read.ledger((await requirePerson(ctx.store.read, personId)).id);
  const now = ctx.clock.now();
  const today = calendarDate(now, ctx.config.timeZone);
  const accounts = await liveAccounts(ctx.store.read, personId);
  const dues = monthlyDues(ctx, accounts);
  const balance = balanceCents(entries);
  const runOut = runOutDate({ balanceCents: balance, monthlyDuesCents: dues, today });
  const decision = billingDecision({ runOut, today, warnLeadDays: ctx.config.billing.warnLeadDays, freezeLeadDays: ctx.config.billing.freezeLeadDays, frozenForBilling: accounts.some((a) => a.holds.some((h) => h.reason === BILLING && h.kind === 'freeze')), noticesSent: new Set() });
  return { entries, billing: { personId, balanceCents: balance, monthlyDuesCents: dues, runOut, daysLeft: decision.daysLeft, action: 'none' } };
}
