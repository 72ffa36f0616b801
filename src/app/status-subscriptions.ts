import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RosterConfig } from '../config/config-schema.js';
import { EVENT_STATE_WORDS } from '../domain/component-state.js';
import { RosterError } from '../domain/errors.js';
import type { OutboxWrites, StatusEvent, StatusReads, StatusSubscriber, StatusUpdate } from '../store/store.js';
import type { AppContext } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { queueNotices, wallTime, type Notice } from './notices.js';
import { isEmailAddress, printable } from './person-input.js';

/** 256 random bits in a confirmation link; ≥128 are required (DESIGN.md §5: tokens). */
const TOKEN_BYTES = 32;
/** The audit actor of what visitors of the status page do. */
export const STATUS_PAGE_ACTOR = 'status-page';

/** Where people reach roster serve, for links in mail and the feed: status.publicUrl, else portal.publicUrl; no trailing slash. */
export function statusBaseUrl(config: RosterConfig): string | null {
  const base = config.status.publicUrl ?? config.portal.publicUrl;
  return base === undefined ? null : base.replace(/\/+$/, '');
}

export function statusTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function unsubscribeMac(key: Buffer, id: number, secret: string): string {
  return createHmac('sha256', key).update(`status-unsubscribe\0${id}\0${secret}`).digest('base64url');
}

/**
 * The token of a subscriber's one-click unsubscribe link: their id and an
 * HMAC of their random secret under the server's key. Every message can
 * carry it without the store keeping it, and without the secret (only in
 * the store) nobody can make one for another subscriber.
 */
export function unsubscribeToken(key: Buffer, subscriber: Pick<StatusSubscriber, 'id' | 'secret'>): string {
  return `${subscriber.id}.${unsubscribeMac(key, subscriber.id, subscriber.secret)}`;
}

export function unsubscribeUrl(base: string, key: Buffer, subscriber: Pick<StatusSubscriber, 'id' | 'secret'>): string {
  return `${base}/status/unsubscribe?token=${unsubscribeToken(key, subscriber)}`;
}

/** The subscriber an unsubscribe token names, when the token is theirs. */
export async function subscriberOfUnsubscribeToken(ctx: AppContext, token: string): Promise<StatusSubscriber | undefined> {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{20,100})$/.exec(token);
  if (m === null) return undefined;
  const subscriber = await ctx.store.read.getStatusSubscriber(Number(m[1]));
  if (subscriber === undefined) return undefined;
  const want = Buffer.from(unsubscribeMac(ctx.hmacKey, subscriber.id, subscriber.secret));
  const got = Buffer.from(m[2] ?? '');
  return want.length === got.length && timingSafeEqual(want, got) ? subscriber : undefined;
}

export interface SubscribeOutcome {
  /** When the confirmation link stops working (ISO UTC). */
  readonly expiresAt: string;
}

/**
 * A visitor of the status page asks for mail about incidents and
 * maintenance (Uptime Kuma's most requested missing feature). Nothing is
 * sent to the address but a confirmation link (its token stored only as a
 * hash, expiring after status.subscriptions.confirmHours). The answer is
 * the same whether the address was new, waiting for its confirmation or
 * subscribed already (a new link each time), so the form tells nobody who
 * is subscribed; the mail goes only to the address's owner.
 */
export async function subscribeToStatus(ctx: AppContext, address: string): Promise<SubscribeOutcome> {
  const settings = ctx.config.status.subscriptions;
  if (!ctx.config.status.enabled || !settings.enabled) throw new RosterError('not_found', 'e-mail subscriptions to the status page are not offered here');
  const email = address.trim();
  if (email.length > 254 || !isEmailAddress(email)) {
    throw new RosterError('bad_input', `"${printable(email.slice(0, 80))}" is not an e-mail address`, [{ where: 'email', message: 'is not an e-mail address (name@example.org)' }]);
  }
  const base = statusBaseUrl(ctx.config);
  if (base === null) throw new RosterError('bad_config', 'status.publicUrl (or portal.publicUrl) is not set in roster.yaml: the confirmation link needs the address people reach the status page at');
  const ctxAs = { ...ctx, actor: STATUS_PAGE_ACTOR };
  return mutate(ctxAs, {}, async (tx) => {
    const now = ctx.clock.now();
    await tx.deleteExpiredStatusSubscribers(now.toISOString());
    const expiresAt = new Date(now.getTime() + settings.confirmHours * 3_600_000).toISOString();
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const hash = statusTokenHash(token);
    let subscriber = await tx.getStatusSubscriberByAddress(email);
    if (subscriber === undefined) {
      subscriber = await tx.insertStatusSubscriber({ address: email, secret: randomBytes(TOKEN_BYTES).toString('base64url'), createdAt: now.toISOString(), confirmHash: hash, confirmExpiresAt: expiresAt, confirmedAt: null });
    } else await tx.setStatusSubscriberConfirm(subscriber.id, hash, expiresAt);
    const link = `${base}/status/subscribe/confirm?token=${token}`;
    await queueNotices(tx, ctxAs, [
      { kind: 'status-confirm', to: subscriber.address, data: { site: ctx.config.status.title, link, expires: wallTime(expiresAt, ctx.config.timeZone), statusUrl: `${base}/status` }, dedupeKey: `status-confirm:${hash}` },
    ]);
    // Who asked is not known, and the address is not the audit's business: the subscriber's number only.
    await audit(tx, ctxAs, { action: 'status.subscribe', target: `status-subscriber:${subscriber.id}`, before: null, after: { confirmExpiresAt: expiresAt } });
    return { expiresAt };
  });
}

function usableConfirmation(ctx: AppContext, subscriber: StatusSubscriber | undefined): StatusSubscriber {
  if (subscriber === undefined) {
    throw new RosterError('not_found', 'this confirmation link is not known: it was used already, replaced by a newer one, or copied only in part', [{ where: 'token', message: 'is not known' }]);
  }
  if (subscriber.confirmExpiresAt !== null && subscriber.confirmExpiresAt <= ctx.clock.now().toISOString()) {
    throw new RosterError('conflict', `this confirmation link expired on ${wallTime(subscriber.confirmExpiresAt, ctx.config.timeZone)}: subscribe again`, [{ where: 'token', message: 'has expired' }]);
  }
  return subscriber;
}

/** What a confirmation link would confirm (its page asks for a button press: a GET changes nothing). */
export async function pendingSubscription(ctx: AppContext, token: string): Promise<StatusSubscriber> {
  return usableConfirmation(ctx, await ctx.store.read.getStatusSubscriberByConfirmHash(statusTokenHash(token)));
}

/** The button on the confirmation link's page: the subscriber gets mail from now on. Each link works once. */
export async function confirmSubscription(ctx: AppContext, token: string): Promise<StatusSubscriber> {
  const hash = statusTokenHash(token);
  const ctxAs = { ...ctx, actor: STATUS_PAGE_ACTOR };
  return mutate(ctxAs, {}, async (tx) => {
    const subscriber = usableConfirmation(ctx, await tx.getStatusSubscriberByConfirmHash(hash));
    const now = ctx.clock.now().toISOString();
    if (!(await tx.confirmStatusSubscriber(subscriber.id, hash, now))) usableConfirmation(ctx, undefined);
    await audit(tx, ctxAs, { action: 'status.subscribe-confirm', target: `status-subscriber:${subscriber.id}`, before: { confirmedAt: subscriber.confirmedAt }, after: { confirmedAt: now } });
    return { ...subscriber, confirmedAt: now, confirmHash: null, confirmExpiresAt: null };
  });
}

/**
 * One-click unsubscribe (RFC 8058): the token names the subscriber, who is
 * forgotten (the address is not kept). An unknown token, or one whose
 * subscriber is gone already, is answered the same: nothing to do.
 */
export async function unsubscribeFromStatus(ctx: AppContext, token: string): Promise<boolean> {
  const subscriber = await subscriberOfUnsubscribeToken(ctx, token);
  if (subscriber === undefined) return false;
  const ctxAs = { ...ctx, actor: STATUS_PAGE_ACTOR };
  return mutate(ctxAs, {}, async (tx) => {
    if (!(await tx.deleteStatusSubscriber(subscriber.id))) return false;
    await audit(tx, ctxAs, { action: 'status.unsubscribe', target: `status-subscriber:${subscriber.id}`, before: { confirmedAt: subscriber.confirmedAt }, after: null });
    return true;
  });
}

const SUBSCRIBER_PAGE = 1000;

/**
 * Mails one timeline update of an incident or a maintenance to every
 * confirmed subscriber, in the transaction that made it (the outbox), each
 * with their own one-click unsubscribe link (also as List-Unsubscribe,
 * RFC 8058). `componentNames` are those of the event's components the
 * page shows; an event on hidden components alone is none of the
 * subscribers' business and mails nobody. Returns how many were queued;
 * none without a public address to link to (a message without a working
 * unsubscribe link is not sent).
 */
export async function queueSubscriberNotices(
  tx: OutboxWrites & StatusReads,
  ctx: AppContext,
  event: StatusEvent,
  update: StatusUpdate,
  componentNames: readonly string[],
): Promise<number> {
  if (!ctx.config.status.enabled || !ctx.config.status.subscriptions.enabled || componentNames.length === 0) return 0;
  const base = statusBaseUrl(ctx.config);
  if (base === null) {
    // Subscribers from before the address was taken out of roster.yaml: said, not mailed.
    if ((await tx.listConfirmedStatusSubscribers(0, 1)).length > 0) ctx.log.warn('status page subscribers are not mailed: set status.publicUrl (or portal.publicUrl) so the messages can link to the page and to unsubscribe');
    return 0;
  }
  const tz = ctx.config.timeZone;
  const kind = event.kind === 'incident' ? 'Incident' : 'Maintenance';
  const state = EVENT_STATE_WORDS[update.state] ?? update.state;
  const window = event.kind === 'maintenance' && event.scheduledStart !== null && event.scheduledEnd !== null ? `Planned:  ${wallTime(event.scheduledStart, tz)} to ${wallTime(event.scheduledEnd, tz)}\n` : '';
  const common = {
    site: ctx.config.status.title,
    subject: `${kind} ${state.toLowerCase()}: ${event.title}`,
    kind,
    title: event.title,
    state,
    components: componentNames.join(', '),
    window,
    when: wallTime(update.at, tz),
    message: update.message,
    link: `${base}/status/events/${event.id}`,
  };
  let queued = 0;
  let after = 0;
  for (;;) {
    const page = await tx.listConfirmedStatusSubscribers(after, SUBSCRIBER_PAGE);
    const notices: Notice[] = page.map((s) => {
      const unsubscribe = unsubscribeUrl(base, ctx.hmacKey, s);
      return { kind: 'status-update', to: s.address, data: { ...common, unsubscribe, listUnsubscribe: unsubscribe }, dedupeKey: `status-update:${update.id}:${s.id}` };
    });
    await queueNotices(tx, ctx, notices);
    queued += notices.length;
    const last = page.at(-1);
    if (last === undefined || page.length < SUBSCRIBER_PAGE) return queued;
    after = last.id;
  }
}
