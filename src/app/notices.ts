import type { Account } from '../domain/account.js';
import type { Person } from '../domain/person.js';
import type { OutboxWrites } from '../store/store.js';
import type { AppContext } from './app-context.js';

/**
 * Member and admin notices are queued in the transaction of the change they
 * report (the outbox), and sent after commit by src/notify. A change that is
 * rolled back (a dry run, a failure) therefore never sends anything, and a
 * mail server that is down never blocks or undoes a change: delivery is
 * retried and recorded on its own.
 */
export type NoticeKind =
  | 'billing-warning'
  | 'frozen'
  | 'unfrozen'
  | 'retirement'
  | 'purged'
  | 'admin-digest'
  | 'announcement'
  // A member's e-mail change in the portal (issue 14): the link to the new address, and the old address told twice.
  | 'email-confirm'
  | 'email-change-asked'
  | 'email-changed'
  // The status page's subscribers: the sign-up's confirmation link, and each incident or maintenance update.
  | 'status-confirm'
  | 'status-update'
  // A host's change report of roster watch, to the admin address.
  | 'watch-report'
  // An administrator sent a member a link to set a new password (the console's account page).
  | 'password-reset';

export interface Notice {
  readonly kind: NoticeKind;
  /** Null when there is no address: recorded, never sent. */
  readonly to: string | null;
  /** Template fields. Never secrets: no hashes, passwords or verification values. */
  readonly data: Readonly<Record<string, unknown>>;
  /** The same key twice queues once (an interrupted job that runs again). */
  readonly dedupeKey: string | null;
}

export async function queueNotices(tx: OutboxWrites, ctx: AppContext, notices: readonly Notice[]): Promise<void> {
  if (notices.length === 0) return;
  const queuedAt = ctx.clock.now().toISOString();
  await tx.enqueueMessages(notices.map((n) => ({ kind: n.kind, recipient: n.to, data: n.data, dedupeKey: n.dedupeKey, queuedAt })));
}

/**
 * Where to write to a member: the address of the role their account's type
 * assigns (the school or co-op mailbox), else the address of their first
 * role that has one, else any. `avoid` (lower case) is skipped: a purged
 * account's own mailbox is gone with it.
 */
export function memberAddress(person: Person, ctx: AppContext, accounts: readonly Account[] = [], avoid: readonly string[] = []): string | null {
  const usable = (address: string | undefined): address is string => address !== undefined && !avoid.includes(address.toLowerCase());
  for (const a of accounts) {
    const role = ctx.config.types[a.type]?.emailRole;
    const address = role === undefined ? undefined : person.emails[role];
    if (usable(address)) return address;
  }
  for (const role of person.roles) {
    const address = person.emails[role];
    if (usable(address)) return address;
  }
  return Object.values(person.emails).find(usable) ?? null;
}

const wallFormatters = new Map<string, Intl.DateTimeFormat>();

/** `2026-03-24 00:00 (Europe/Berlin)`: the date people read in their notices, in the site's zone. */
export function wallTime(iso: string, timeZone: string): string {
  let f = wallFormatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    wallFormatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year ?? ''}-${p.month ?? ''}-${p.day ?? ''} ${p.hour ?? ''}:${p.minute ?? ''} (${timeZone})`;
}

/** The retirement notice (seed 002): the exact deactivation and deletion dates of one account. */
export function retirementNotice(ctx: AppContext, person: Person | undefined, account: Account, why: string): Notice {
  const tz = ctx.config.timeZone;
  return {
    kind: 'retirement',
    to: person === undefined ? null : memberAddress(person, ctx, [account]),
    data: {
      name: person === undefined ? account.gecos : `${person.firstName} ${person.lastName}`,
      username: account.username,
      type: account.type,
      why,
      deactivatesAt: account.expiresAt,
      deactivates: account.expiresAt === null ? 'now' : wallTime(account.expiresAt, tz),
      deletedAt: account.purgeAt,
      deleted: account.purgeAt === null ? 'now' : wallTime(account.purgeAt, tz),
    },
    dedupeKey: `retirement:${account.username}:${account.expiresAt ?? ''}:${account.purgeAt ?? ''}`,
  };
}

/** After a purge: to an address other than the account's own, which went with it. */
export function purgedNotice(ctx: AppContext, person: Person | undefined, account: Account, purgedAt: string): Notice {
  const type = ctx.config.types[account.type];
  const own = type?.emailDomain === undefined ? [] : [`${account.username}@${type.emailDomain}`.toLowerCase()];
  return {
    kind: 'purged',
    to: person === undefined ? null : memberAddress(person, ctx, [], own),
    data: { name: person === undefined ? account.gecos : `${person.firstName} ${person.lastName}`, username: account.username, type: account.type, purgedAt, purged: wallTime(purgedAt, ctx.config.timeZone) },
    dedupeKey: `purged:${account.username}:${purgedAt}`,
  };
}
