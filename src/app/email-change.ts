import { createHash, randomBytes } from 'node:crypto';
import type { Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import type { PortalEmailChange } from '../store/store.js';
import type { AppContext } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { memberAddress, queueNotices, wallTime, type Notice } from './notices.js';
import { requirePerson } from './people.js';
import { isEmailAddress, printable } from './person-input.js';
import { portalActor } from './portal-actor.js';

/** The role an address is kept under when a person had none (as `roster sync` files an address without roles). */
const CONTACT_ROLE = 'CONTACT';

/** 256 random bits in the link; ≥128 are required (DESIGN.md §5: tokens). */
const TOKEN_BYTES = 32;

export interface EmailChangeRequest {
  /** When the link stops working (ISO 8601 UTC). */
  readonly expiresAt: string;
  /** The address the member has now, told of the change; null when there was none. */
  readonly oldAddress: string | null;
}

/** The SHA-256 of a link's token, hex: what the store keeps, so a copy of the database confirms nothing. */
export function emailTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The address a member is written to and may change in the portal: the
 * notices' address (memberAddress) leaving out the mailboxes Roster itself
 * gives accounts (a type's `emailRole` address `<username>@<emailDomain>`),
 * which belong to the account and are not the member's to move.
 */
export function contactAddress(ctx: AppContext, person: Person, accounts: readonly Account[]): string | null {
  return memberAddress(person, ctx, [], assignedMailboxes(ctx, accounts));
}

function assignedMailboxes(ctx: AppContext, accounts: readonly Account[]): string[] {
  const out: string[] = [];
  for (const a of accounts) {
    const type = ctx.config.types[a.type];
    if (a.purgedAt === null && type?.emailRole !== undefined && type.emailDomain !== undefined) out.push(`${a.username}@${type.emailDomain}`.toLowerCase());
  }
  return out;
}

/**
 * A member asks to move their contact address (issue 14 item 4). Nothing
 * changes yet: a random token goes in a link to the new address (only its
 * hash is stored), valid `portal.emailConfirmHours`, and the old address is
 * told that a change was asked for, so a member whose session was stolen
 * hears of it before it happens. Both messages are queued in the outbox in
 * the same transaction. The link's token is in the outbox row of its
 * message until it is sent, as any mail's text is; admins who can read the
 * store can change addresses anyway.
 */
export async function requestEmailChange(ctx: AppContext, personId: string, newAddress: string): Promise<EmailChangeRequest> {
  const address = newAddress.trim();
  if (!isEmailAddress(address)) {
    throw new RosterError('bad_input', `"${printable(address)}" is not an e-mail address`, [{ where: 'email', message: 'is not an e-mail address (name@example.org)' }]);
  }
  const base = ctx.config.portal.publicUrl;
  if (base === undefined) throw new RosterError('bad_config', 'portal.publicUrl is not set in roster.yaml: the confirmation link needs the address members reach the portal at');
  return mutate({ ...ctx, actor: portalActor(personId) }, {}, async (tx) => {
    const person = await requirePerson(tx, personId);
    const accounts = await tx.accountsOfPeople([personId]);
    const oldAddress = contactAddress(ctx, person, accounts);
    if (oldAddress !== null && oldAddress.toLowerCase() === address.toLowerCase()) {
      throw new RosterError('bad_input', `${address} is already your address`, [{ where: 'email', message: 'is already your address' }]);
    }
    if (assignedMailboxes(ctx, accounts).includes(address.toLowerCase())) {
      throw new RosterError('bad_input', `${address} is your account's own mailbox: give an address outside it`, [{ where: 'email', message: "is your account's own mailbox" }]);
    }
    const now = ctx.clock.now();
    const expiresAt = new Date(now.getTime() + ctx.config.portal.emailConfirmHours * 3_600_000).toISOString();
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const change = await tx.insertPortalEmailChange({ tokenHash: emailTokenHash(token), personId, newAddress: address, oldAddress, createdAt: now.toISOString(), expiresAt });
    const name = `${person.firstName} ${person.lastName}`;
    const expires = wallTime(expiresAt, ctx.config.timeZone);
    const link = `${base.replace(/\/+$/, '')}/portal/email/confirm?token=${token}`;
    const notices: Notice[] = [{ kind: 'email-confirm', to: address, data: { name, newAddress: address, link, expires }, dedupeKey: `email-confirm:${change.id}` }];
    if (oldAddress !== null) notices.push({ kind: 'email-change-asked', to: oldAddress, data: { name, newAddress: address, expires }, dedupeKey: `email-change-asked:${change.id}` });
    await queueNotices(tx, ctx, notices);
    // What was asked, never the token: the audit log is read by more people than the mailbox.
    await audit(tx, { ...ctx, actor: portalActor(personId) }, { action: 'person.email-request', target: `person:${personId}`, before: { address: oldAddress }, after: { address, expiresAt } });
    return { expiresAt, oldAddress };
  });
}

/** What a confirmation link would change, for the page that asks for the button press (a GET changes nothing). */
export async function pendingEmailChange(ctx: AppContext, token: string): Promise<PortalEmailChange> {
  return usableChange(ctx, await ctx.store.read.getPortalEmailChange(emailTokenHash(token)));
}

/**
 * The member pressed the button on the link's page: the token's change is
 * checked (known, not used, not expired), marked used, and the person's
 * address replaced under every role that held the old one (CONTACT when
 * there was none), audited as `person.email` with before and after. The old
 * address is told. A second use, even racing the first, is refused: the
 * store marks a change used only once.
 */
export async function confirmEmailChange(ctx: AppContext, token: string): Promise<{ readonly personId: string; readonly address: string }> {
  const hash = emailTokenHash(token);
  return mutate(ctx, {}, async (tx) => {
    const change = usableChange(ctx, await tx.getPortalEmailChange(hash));
    const actx = { ...ctx, actor: portalActor(change.personId) };
    const now = ctx.clock.now().toISOString();
    if (!(await tx.usePortalEmailChange(change.id, now))) throw usedError();
    const person = await requirePerson(tx, change.personId);
    const emails: Record<string, string> = { ...person.emails };
    if (change.oldAddress === null) emails[CONTACT_ROLE] = change.newAddress;
    else {
      const roles = Object.entries(person.emails)
        .filter(([, a]) => a.toLowerCase() === change.oldAddress?.toLowerCase())
        .map(([role]) => role);
      // The address was changed meanwhile (by roster sync or an admin): which one to replace is no longer known.
      if (roles.length === 0) throw new RosterError('conflict', `your address is no longer ${change.oldAddress}: it was changed since you asked; ask again`);
      for (const role of roles) emails[role] = change.newAddress;
    }
    await tx.putPerson({ ...person, emails, updatedAt: now });
    await audit(tx, actx, { action: 'person.email', target: `person:${person.id}`, before: { emails: person.emails }, after: { emails } });
    if (change.oldAddress !== null) {
      await queueNotices(tx, actx, [
        {
          kind: 'email-changed',
          to: change.oldAddress,
          data: { name: `${person.firstName} ${person.lastName}`, newAddress: change.newAddress, changed: wallTime(now, ctx.config.timeZone) },
          dedupeKey: `email-changed:${change.id}`,
        },
      ]);
    }
    return { personId: person.id, address: change.newAddress };
  });
}

function usableChange(ctx: AppContext, change: PortalEmailChange | undefined): PortalEmailChange {
  if (change === undefined) throw new RosterError('not_found', 'this confirmation link is not known: copy the whole link from the message, or ask for a new one', [{ where: 'token', message: 'is not known' }]);
  if (change.usedAt !== null) throw usedError();
  if (change.expiresAt <= ctx.clock.now().toISOString()) {
    throw new RosterError('conflict', `this confirmation link expired on ${wallTime(change.expiresAt, ctx.config.timeZone)}: sign in and ask again`, [{ where: 'token', message: 'has expired' }]);
  }
  return change;
}

function usedError(): RosterError {
  return new RosterError('conflict', 'this confirmation link was used already: each link works once', [{ where: 'token', message: 'was used already' }]);
}
