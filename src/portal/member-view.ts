import { formatCents } from '../app/billing-run.js';
import { accountState, effectiveHolds, type Account, type AccountState, type Hold } from '../domain/account.js';
import { balanceCents, runOutDate } from '../domain/billing.js';
import type { Person } from '../domain/person.js';
import { addDaysToDate, calendarDate } from '../domain/zoned-time.js';
import { CORE_SERVICES, type RosterConfig } from '../config/config-schema.js';
import { targetServices } from '../config/known-services.js';
import type { ServerDeps } from '../server/server-deps.js';
import type { LedgerEntry, OutboxMessage, PortalSession, UsageFigure } from '../store/store.js';
import { targetRegistry, type AnyTarget } from '../targets/registry.js';
import { portalStrings as s } from './portal-strings.js';
import { portalActor } from '../app/portal-actor.js';

/**
 * What the member page shows (issue 14 item 3), gathered from the store and
 * put into words: each account with its holds (what, since when, who, why,
 * and exactly how each ends), what still works and what does not, the
 * hosts it may log into; the billing state with the amount that lifts a
 * billing freeze; the messages sent to the member; usage figures.
 */
export interface MemberView {
  readonly person: Person;
  readonly accounts: readonly AccountView[];
  readonly billing: BillingView | null;
  readonly notices: readonly OutboxMessage[];
  readonly usage: ReadonlyArray<UsageFigure & { readonly username: string }>;
  /** The person's portal sessions, newest first. */
  readonly sessions: readonly PortalSession[];
}

export interface HoldView {
  /** What it is, in words ("Frozen for unpaid dues"). */
  readonly what: string;
  /** "Since 2026-03-01", or "From 2026-04-01" for a retirement not in force yet. */
  readonly since: string;
  readonly setBy: string;
  readonly note: string | null;
  /** Exactly how it ends. */
  readonly ends: string;
  /** A hold the member can end by paying: the pay link goes with it. */
  readonly payable: boolean;
}

/** A service and where it runs for this account (empty: everywhere it has it, as mail and the portal). */
export interface ServiceView {
  readonly service: string;
  readonly words: string;
  readonly hosts: readonly string[];
}

export interface AccountView {
  readonly account: Account;
  readonly state: AccountState;
  readonly stateWords: string;
  readonly typeWords: string;
  readonly holds: readonly HoldView[];
  /** Only when a hold is in force: what still works, and what does not. */
  readonly works: readonly ServiceView[];
  readonly stopped: readonly ServiceView[];
  readonly loginHosts: readonly string[];
}

export interface BillingView {
  readonly currency: string;
  readonly balance: string;
  readonly balanceCents: number;
  readonly monthlyDues: string;
  /** YYYY-MM-DD; null when it never runs out (no dues). */
  readonly runOut: string | null;
  readonly runOutPast: boolean;
  readonly entries: readonly LedgerEntry[];
  /** With a billing freeze: what to pay, and by when, to lift it. */
  readonly toLift: { readonly amount: string; readonly by: string } | null;
  /** The pay link, its amount filled in (portal.payLink), or null when none is configured or nothing is due. */
  readonly payLink: { readonly href: string; readonly amount: string | null } | null;
}

const BILLING = 'billing';
const DAYS_PER_MONTH_X10000 = 304_375n;
/** Ledger entries shown. */
const RECENT = 12;

/**
 * The smallest payment (cents) after which a billing freeze is lifted: the
 * run-out date moves past the freeze lead (src/domain/billing.ts: the
 * balance b covers ⌊b × 30.4375 / d⌋ days, and the freeze holds while that
 * is at most freezeLeadDays). Zero when nothing is owed.
 */
export function centsToLift(balance: number, monthlyDues: number, freezeLeadDays: number): number {
  if (monthlyDues <= 0) return 0;
  const lead = BigInt(freezeLeadDays) + 1n;
  // The least b with ⌊b × 304375 / (d × 10000)⌋ ≥ lead.
  const numerator = lead * BigInt(monthlyDues) * 10_000n;
  const needed = (numerator + DAYS_PER_MONTH_X10000 - 1n) / DAYS_PER_MONTH_X10000;
  return Math.max(0, Number(needed) - balance);
}

/** The last day of `date`'s month: the amount to pay holds until the next month's dues are charged. */
function endOfMonth(date: string): string {
  const [y, m] = date.split('-').map(Number) as [number, number];
  const firstOfNext = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  return addDaysToDate(firstOfNext, -1);
}

function actorWords(actor: string, personId: string): string {
  if (actor === portalActor(personId)) return s.actorYou;
  if (actor.startsWith('job:billing')) return s.actorBillingJob;
  if (actor.startsWith('job:')) return s.actorJob(actor.slice(4));
  if (actor.startsWith('sync:')) return s.actorSync(actor.slice(5));
  if (actor === 'scim' || actor.startsWith('scim')) return s.actorScim;
  return s.actorAdmin;
}

function holdTitle(hold: Hold, inForce: boolean): string {
  if (hold.kind === 'retired') return inForce ? s.holdRetired : s.holdRetiredScheduled;
  if (hold.reason === BILLING) return s.holdBilling;
  if (hold.reason === 'admin') return s.holdAdmin;
  if (hold.reason === 'security') return s.holdSecurity;
  return s.holdOther(hold.reason);
}

function adminContact(config: RosterConfig): string | null {
  const address = config.notify.adminAddress;
  if (address === undefined) return null;
  return /<([^>]+)>/.exec(address)?.[1] ?? address;
}

/** Service name → the hosts of the account's type on which a target provides it. */
function servicesOf(config: RosterConfig, targets: readonly AnyTarget[], account: Account): Map<string, string[]> {
  const type = config.types[account.type];
  const byService = new Map<string, string[]>(CORE_SERVICES.map((c) => [c, []]));
  for (const host of type?.hosts.live ?? []) {
    const hostConfig = config.hosts[host];
    const sections = hostConfig?.targets ?? {};
    for (const target of targets) {
      if (!Object.hasOwn(sections, target.name)) continue;
      for (const service of targetServices(target, { [host]: hostConfig }).services) {
        const hosts = byService.get(service) ?? [];
        if (!hosts.includes(host)) hosts.push(host);
        byService.set(service, hosts);
      }
    }
  }
  return byService;
}

function serviceView(service: string, hosts: readonly string[]): ServiceView {
  const words = s.serviceWords[service] ?? service;
  return { service, words: hosts.length === 0 ? words : s.serviceOnHosts(words, hosts.join(', ')), hosts };
}

function accountView(deps: ServerDeps, account: Account, person: Person, billing: { readonly toLift: BillingView['toLift']; readonly currency: string }): AccountView {
  const { config } = deps;
  const now = deps.clock.now();
  const tz = config.timeZone;
  const date = (iso: string) => calendarDate(new Date(iso), tz);
  const inForce = effectiveHolds(account, now);
  const holds = account.holds.map((hold): HoldView => {
    const active = inForce.includes(hold);
    let ends: string;
    let payable = false;
    if (hold.kind === 'retired') {
      const disabled = account.expiresAt ?? hold.since;
      if (account.purgeAt === null) ends = s.holdEndsRetiredNoPurge(date(disabled));
      else ends = active ? s.holdEndsRetiredDisabled(date(account.purgeAt)) : s.holdEndsRetired(date(disabled), date(account.purgeAt));
    } else if (hold.reason === BILLING) {
      payable = true;
      ends = billing.toLift === null ? s.holdEndsBillingRun : s.holdEndsPay(billing.toLift.amount, billing.currency, billing.toLift.by);
    } else {
      ends = s.holdEndsAdmin(adminContact(config));
    }
    return { what: holdTitle(hold, active), since: active ? s.holdSince(date(hold.since)) : s.holdFrom(date(hold.since)), setBy: s.holdSetBy(actorWords(hold.setBy, person.id)), note: hold.note, ends, payable };
  });
  const services = servicesOf(config, deps.targets ?? targetRegistry, account);
  const retired = inForce.some((h) => h.kind === 'retired');
  const works: ServiceView[] = [];
  const stopped: ServiceView[] = [];
  if (inForce.length > 0) {
    for (const [service, hosts] of [...services].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      (!retired && config.freeze.keep.includes(service) ? works : stopped).push(serviceView(service, hosts));
    }
  }
  const state = accountState(account, now);
  const type = config.types[account.type];
  return {
    account,
    state,
    stateWords: s.stateWords[state] ?? state,
    typeWords: type?.description === undefined ? account.type : `${account.type} (${type.description})`,
    holds,
    works,
    stopped,
    loginHosts: [...(type?.hosts.login ?? [])],
  };
}

function billingView(deps: ServerDeps, person: Person, accounts: readonly Account[], entries: readonly LedgerEntry[]): BillingView | null {
  const { config } = deps;
  const dues = accounts.reduce((sum, a) => sum + (config.types[a.type]?.duesCents ?? 0), 0);
  if (dues === 0 && entries.length === 0) return null;
  const today = calendarDate(deps.clock.now(), config.timeZone);
  const balance = balanceCents(entries);
  const runOut = runOutDate({ balanceCents: balance, monthlyDuesCents: dues, today });
  const frozen = accounts.some((a) => a.holds.some((h) => h.kind === 'freeze' && h.reason === BILLING));
  const lift = frozen ? centsToLift(balance, dues, config.billing.freezeLeadDays) : 0;
  const toLift = frozen && lift > 0 ? { amount: formatCents(lift), by: endOfMonth(today) } : null;
  const linkCents = toLift !== null ? lift : dues;
  const template = config.portal.payLink;
  const payLink =
    template === undefined || linkCents <= 0
      ? null
      : { href: template.replaceAll('{personId}', encodeURIComponent(person.id)).replaceAll('{amount}', encodeURIComponent(formatCents(linkCents))), amount: formatCents(linkCents) };
  return {
    currency: config.billing.currency,
    balance: formatCents(balance),
    balanceCents: balance,
    monthlyDues: formatCents(dues),
    runOut,
    runOutPast: runOut !== null && runOut <= today,
    entries: [...entries].reverse().slice(0, RECENT),
    toLift,
    payLink,
  };
}

/** The member page's content for the person signed in. */
export async function memberView(deps: ServerDeps, personId: string): Promise<MemberView | undefined> {
  const q = deps.store.read;
  const person = await q.getPerson(personId);
  if (person === undefined) return undefined;
  const accounts = await q.listAccounts({ personId });
  const entries = await q.ledger(personId);
  const billing = billingView(deps, person, accounts, entries);
  const addresses = [...new Set(Object.values(person.emails))];
  const notices = await q.listMessages({ recipients: addresses, limit: 20 });
  const names = new Map(accounts.map((a) => [a.id, a.username]));
  const usage = accounts.length === 0 ? [] : (await Promise.all(accounts.map((a) => q.listUsage({ accountId: a.id })))).flat().map((f) => ({ ...f, username: names.get(f.accountId) ?? '' }));
  return {
    person,
    accounts: accounts.map((a) => accountView(deps, a, person, { toLift: billing?.toLift ?? null, currency: deps.config.billing.currency })),
    billing,
    notices,
    usage,
    sessions: await q.listPortalSessions(personId),
  };
}
