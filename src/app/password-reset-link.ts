import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { AccountReads } from '../store/store.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { requireLiveAccount, requireType, setPassword } from './accounts.js';
import { contactAddress } from './email-change.js';
import { audit, mutate } from './mutate.js';
import { queueNotices, wallTime } from './notices.js';
import { requirePerson } from './people.js';
import { portalActor } from './portal-actor.js';

/** How long a reset link works. */
export const RESET_LINK_HOURS = 24;

/** The portal path the link opens (the page asks for the new password; opening it changes nothing). */
export const RESET_LINK_PATH = '/portal/password/reset';

export interface ResetLinkSent {
  /** Where the link went. */
  readonly to: string;
  readonly expiresAt: string;
}

/**
 * The link's token: the account id, the end of its validity (seconds since
 * 1970) and an HMAC over both and a digest of the account's password field,
 * under a key derived from the server's HMAC key. Nothing is stored: once
 * the password changes (by this link or any other way) the digest no longer
 * matches and every link sent before is dead, so a link works once, and a
 * copy of the database or of the outbox yields no key to make one.
 */
function tokenFor(ctx: AppContext, account: Pick<Account, 'id' | 'passwordHash'>, expires: number): string {
  return `${account.id}.${expires}.${mac(ctx, account, expires)}`;
}

function mac(ctx: AppContext, account: Pick<Account, 'id' | 'passwordHash'>, expires: number): string {
  const key = createHmac('sha256', ctx.hmacKey).update('roster password reset link').digest();
  const stamp = createHash('sha256').update(account.passwordHash ?? '', 'utf8').digest('hex');
  return createHmac('sha256', key).update(`${account.id}.${expires}.${stamp}`).digest('base64url');
}

function invalidLink(): RosterError {
  return new RosterError('not_found', 'this password link is not valid: it was used already, has expired, or was not copied whole; ask an administrator for a new one', [{ where: 'token', message: 'not valid' }]);
}

/**
 * An administrator sends a member a link to set a new password (issue 16
 * item 3) instead of choosing one for them: the member's contact address
 * (not the account's own mailbox, which the lost password may guard) gets a
 * link to the portal, good for RESET_LINK_HOURS and once. Only accounts
 * whose password Roster keeps (`auth: crypt`) can be reset this way. The
 * message is queued in the outbox in the transaction of the audit record
 * `account.reset-link`, which names the address and the expiry, never the
 * link. A dry run sends nothing.
 */
export async function sendPasswordResetLink(ctx: AppContext, username: string, options: MutationOptions = {}): Promise<ResetLinkSent> {
  const base = ctx.config.portal.publicUrl;
  if (base === undefined) throw new RosterError('bad_config', 'portal.publicUrl is not set in roster.yaml: the link needs the address members reach the portal at');
  return mutate(ctx, options, async (tx) => {
    const account = await requireLiveAccount(tx, username);
    const type = requireType(ctx.config, account.type);
    if (type.auth !== 'crypt') {
      throw new RosterError('conflict', `the password of ${username} is not kept by Roster (its type uses ${typeof type.auth === 'object' ? 'a fixed password field' : `${type.auth} authentication`}), so no link can reset it`);
    }
    const person = await requirePerson(tx, account.personId);
    const to = contactAddress(ctx, person, await tx.accountsOfPeople([person.id]));
    if (to === null) throw new RosterError('conflict', `${person.firstName} ${person.lastName} (${person.id}) has no e-mail address outside the account's own mailbox to send the link to`);
    const now = ctx.clock.now();
    const expires = Math.floor(now.getTime() / 1000) + RESET_LINK_HOURS * 3600;
    const expiresAt = new Date(expires * 1000).toISOString();
    const link = `${base.replace(/\/+$/, '')}${RESET_LINK_PATH}?token=${tokenFor(ctx, account, expires)}`;
    await queueNotices(tx, ctx, [
      { kind: 'password-reset', to, data: { name: `${person.firstName} ${person.lastName}`, username, link, expires: wallTime(expiresAt, ctx.config.timeZone) }, dedupeKey: null },
    ]);
    await audit(tx, ctx, { action: 'account.reset-link', target: `account:${username}`, before: null, after: { sentTo: to, expiresAt } });
    return { to, expiresAt };
  });
}

/** The account a link is for, if the link is good now: made by this server, not expired, and the password unchanged since. */
async function linkAccount(ctx: AppContext, q: AccountReads, token: string): Promise<Account> {
  const m = /^(\d{1,15})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token.trim());
  if (m === null) throw invalidLink();
  const [, id, exp, given] = m as unknown as [string, string, string, string];
  const expires = Number(exp);
  if (expires * 1000 <= ctx.clock.now().getTime()) throw invalidLink();
  const [account] = await q.getAccountsByIds([Number(id)]);
  if (account === undefined || account.purgedAt !== null) throw invalidLink();
  const want = Buffer.from(mac(ctx, account, expires));
  const got = Buffer.from(given);
  if (want.length !== got.length || !timingSafeEqual(want, got)) throw invalidLink();
  return account;
}

/** Whose password a link resets, for the page that asks for the new one (opening the link changes nothing). */
export async function passwordResetFor(ctx: AppContext, token: string): Promise<{ readonly username: string; readonly type: string }> {
  const account = await linkAccount(ctx, ctx.store.read, token);
  return { username: account.username, type: account.type };
}

/**
 * The member sets a new password through the link: the link is checked again
 * inside the transaction that sets the password (two tabs racing: the second
 * finds the password changed and the link dead), then the one path of
 * `roster account passwd` (the type's policy, the hash, `account.passwd`
 * audited as the member), and the member's portal sessions end, as after a
 * password change in the portal.
 */
export async function resetPasswordWithLink(ctx: AppContext, token: string, password: string): Promise<{ readonly username: string }> {
  const first = await linkAccount(ctx, ctx.store.read, token);
  const actx = { ...ctx, actor: portalActor(first.personId) };
  return mutate(actx, {}, async (tx) => {
    const account = await linkAccount(ctx, tx, token);
    await setPassword(actx, account.username, password, { tx });
    await tx.deletePersonPortalSessions(account.personId);
    return { username: account.username };
  });
}
