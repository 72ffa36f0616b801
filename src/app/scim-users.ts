import { randomUUID } from 'node:crypto';
import type { RosterConfig } from '../config/config-schema.js';
import type { Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import { foldToAscii, validateUsername } from '../domain/usernames.js';
import type { ScimUser } from '../store/queries/scim-queries.js';
import type { AccountReads, PeopleReads, Queries, ReservationReads, ScimReads } from '../store/store.js';
import type { AppContext } from './app-context.js';
import { createAccount, modifyAccount, requireType } from './accounts.js';
import { freezeAccount, reactivateAccount, retireAccount, unfreezeAccount } from './lifecycle-actions.js';
import { audit, mutate } from './mutate.js';
import { addPerson, updatePerson, type PersonPatch } from './people.js';
import { isEmailAddress, printable } from './person-input.js';

/**
 * SCIM provisioning as Roster use cases (DESIGN.md §5 "SCIM mapping"). A
 * SCIM User is one Roster account; its person is created or updated from
 * `name` and `emails` with source `scim`. The IdP's `userName` is kept as
 * sent and unique without regard to case; the Unix username is derived from
 * it once, at creation. `active` is only the `freeze:scim` hold, so an IdP
 * never fights a billing or admin freeze. The protocol itself (JSON shapes,
 * filters, PATCH) lives in src/server/scim; every rule here goes through
 * the same use cases as the CLI, composed in one transaction per request.
 */

/** The freeze reason SCIM `active=false` sets and `active=true` lifts (and no other). */
export const SCIM_FREEZE_REASON = 'scim';

export interface ScimEmail {
  readonly value: string;
  readonly type?: string | undefined;
  readonly primary?: boolean | undefined;
}

export interface ScimUserInput {
  readonly userName: string;
  readonly externalId: string | null;
  readonly active: boolean;
  readonly givenName?: string | undefined;
  readonly familyName?: string | undefined;
  readonly displayName?: string | undefined;
  readonly emails: readonly ScimEmail[];
  /** Set as the account's password on creation, for `crypt` types (hashed) and `kerberos` ones (on the KDC, never stored). */
  readonly password?: string | undefined;
  /** Roster extension, creation only: the Unix username wanted. */
  readonly username?: string | undefined;
  /** Roster extension, creation only: the account type (default: scim.accountType). */
  readonly accountType?: string | undefined;
  /** Roster extension: person fields, applied to people SCIM owns. */
  readonly roles?: readonly string[] | undefined;
  readonly classes?: readonly string[] | undefined;
  readonly campuses?: readonly string[] | undefined;
  readonly majors?: readonly string[] | undefined;
  /** Everything else the IdP sent (displayName, phoneNumbers, addresses, …): kept and returned as sent. */
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** What a SCIM User is made of. */
export interface ScimUserRecord {
  readonly account: Account;
  readonly person: Person | undefined;
  readonly scim: ScimUser | undefined;
}

/** The type of accounts SCIM creates: `scim.accountType`, else the first type declared. */
export function scimAccountType(config: RosterConfig): string {
  const first = Object.keys(config.types)[0];
  const name = config.scim.accountType ?? first;
  if (name === undefined) throw new RosterError('bad_config', 'roster.yaml declares no account types');
  return name;
}

/** The userName SCIM shows: the IdP's when SCIM named the account, else the Unix username. */
export function scimUserName(record: ScimUserRecord): string {
  return record.scim?.userName ?? record.account.username;
}

/** `active` reflects only what the IdP controls: the `freeze:scim` hold. */
export function scimActive(account: Account): boolean {
  return !account.holds.some((h) => h.kind === 'freeze' && h.reason === SCIM_FREEZE_REASON);
}

function visible(account: Account | undefined, scim: ScimUser | undefined): account is Account {
  return account !== undefined && account.purgedAt === null && (scim === undefined || scim.deletedAt === null);
}

/** The SCIM User of an account id, or undefined when SCIM does not show it (unknown, purged, or deleted through SCIM). */
export async function readScimUser(q: ScimReads, accountId: number): Promise<ScimUserRecord | undefined> {
  const found = await q.scimAccount(accountId);
  return found !== undefined && visible(found.account, found.scim) ? found : undefined;
}

/** readScimUser for many ids in a few queries; hidden ones are left out, the rest keep the order given. */
export async function readScimUsers(q: AccountReads & ScimReads & PeopleReads, accountIds: readonly number[]): Promise<ScimUserRecord[]> {
  if (accountIds.length === 0) return [];
  // One id (a `userName eq` lookup, which an IdP makes before every create): one statement rather than four.
  const [only] = accountIds;
  if (accountIds.length === 1 && only !== undefined) {
    const one = await readScimUser(q, only);
    return one === undefined ? [] : [one];
  }
  const accounts = new Map((await q.getAccountsByIds(accountIds)).map((a) => [a.id, a]));
  const scims = new Map((await q.getScimUsers(accountIds)).map((s) => [s.accountId, s]));
  const people = new Map((await q.getPeople([...new Set([...accounts.values()].map((a) => a.personId))])).map((p) => [p.id, p]));
  const out: ScimUserRecord[] = [];
  for (const id of accountIds) {
    const account = accounts.get(id);
    const scim = scims.get(id);
    if (visible(account, scim)) out.push({ account, scim, person: people.get(account.personId) });
  }
  return out;
}

/**
 * The Unix name a name from the identity provider suggests (a userName, a
 * group's displayName): lower-cased and folded to ASCII word by word, the
 * words joined by '-' ('.' kept between them where the site allows dots,
 * dropped otherwise). May be empty, too long or otherwise unacceptable:
 * callers validate.
 */
export function unixNameFrom(text: string, usernames: RosterConfig['usernames']): string {
  return text
    .trim()
    .toLowerCase()
    .split(/([\s._-]+)/u)
    .map((part, i) => (i % 2 === 0 ? foldToAscii(part) : /^\.+$/.test(part) ? (usernames.allowDots ? '.' : '') : '-'))
    .join('')
    .replace(/[.-]*-[.-]*/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+|[.-]+$/g, '');
}

/**
 * The Unix username a userName suggests: an e-mail's local part, as
 * unixNameFrom makes it. Null when that is not an acceptable name; the
 * caller then lets account creation pick the first free suggestion from the
 * person's names.
 */
export function unixNameFromUserName(userName: string, usernames: RosterConfig['usernames']): string | null {
  const trimmed = userName.trim();
  const at = trimmed.indexOf('@');
  const name = unixNameFrom(at > 0 ? trimmed.slice(0, at) : trimmed, usernames);
  return name !== '' && validateUsername(name, usernames) === null ? name : null;
}

const UNSAFE = /[\u0000-\u001f\u007f:,=]/g;

/** A name as GECOS and the person record accept it: no control characters, `:`, `,` or `=`, at most 64 characters. */
function cleanName(text: string | undefined): string {
  return (text ?? '').replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim().slice(0, 64).trim();
}

/** Person names from `name`, else `displayName`, else the userName (the person record needs both). */
function namesOf(input: ScimUserInput): { firstName: string; lastName: string } {
  const display = cleanName(input.displayName).split(' ');
  const local = cleanName(input.userName.split('@')[0]) || 'user';
  const firstName = cleanName(input.givenName) || (display.length > 1 ? (display[0] ?? '') : '') || local;
  const lastName = cleanName(input.familyName) || (display.length > 1 ? display.slice(1).join(' ') : cleanName(input.displayName)) || local;
  return { firstName, lastName };
}

/**
 * SCIM e-mails as the person's role → address map: each valid address under
 * its SCIM type in upper case (WORK, HOME, OTHER), the primary one first.
 * Values that are not addresses stay in the SCIM attributes only.
 */
function emailsOf(input: ScimUserInput): Record<string, string> {
  const out: Record<string, string> = {};
  const ordered = [...input.emails].sort((a, b) => Number(b.primary === true) - Number(a.primary === true));
  for (const e of ordered) {
    if (!isEmailAddress(e.value)) continue;
    const type = (e.type ?? 'other').toUpperCase();
    const role = /^[A-Z][A-Z0-9_]{0,31}$/.test(type) ? type : 'OTHER';
    out[role] ??= e.value;
  }
  return out;
}

function personPatchOf(input: ScimUserInput): PersonPatch {
  return {
    ...namesOf(input),
    emails: emailsOf(input),
    ...(input.roles === undefined ? {} : { roles: input.roles }),
    ...(input.classes === undefined ? {} : { classes: input.classes }),
    ...(input.campuses === undefined ? {} : { campuses: input.campuses }),
    ...(input.majors === undefined ? {} : { majors: input.majors }),
  };
}

function scimSummary(s: ScimUser, account: Account): Record<string, unknown> {
  return { accountId: s.accountId, username: account.username, userName: s.userName, externalId: s.externalId, active: scimActive(account), deletedAt: s.deletedAt };
}

async function requireVisible(tx: AccountReads & ScimReads & PeopleReads, accountId: number): Promise<ScimUserRecord> {
  const record = await readScimUser(tx, accountId);
  if (record === undefined) throw new RosterError('not_found', `no SCIM user ${accountId}`);
  return record;
}

async function setActive(ctx: AppContext, tx: Queries, username: string, active: boolean): Promise<void> {
  if (active) await unfreezeAccount(ctx, username, { reason: SCIM_FREEZE_REASON }, { tx });
  else await freezeAccount(ctx, username, { reason: SCIM_FREEZE_REASON, note: 'active=false from the identity provider' }, { tx });
}

function checkUserName(userName: string): void {
  if (userName.trim() === '' || /[\u0000-\u001f\u007f]/.test(userName) || userName.length > 256) {
    throw new RosterError('bad_input', `userName "${printable(userName)}" must be 1 to 256 characters without control characters`, [{ where: 'userName', message: 'invalid' }]);
  }
}

/**
 * SCIM POST /Users. A userName that a SCIM DELETE retired (or whose account
 * was purged since) brings that account back with its username and UID;
 * any other userName already in use is a conflict.
 */
export async function createScimUser(ctx: AppContext, input: ScimUserInput): Promise<{ readonly record: ScimUserRecord; readonly reactivated: boolean }> {
  checkUserName(input.userName);
  const typeName = input.accountType ?? scimAccountType(ctx.config);
  const type = requireType(ctx.config, typeName);
  return mutate(ctx, {}, async (tx) => {
    const now = ctx.clock.now().toISOString();
    for (const id of await tx.accountIdsByScimUserName(input.userName)) {
      const account = await tx.getAccountById(id);
      const scim = await tx.getScimUser(id);
      if (account === undefined || scim === undefined || (scim.deletedAt === null && account.purgedAt === null)) {
        throw new RosterError('conflict', `userName ${printable(input.userName)} is already in use (userName is unique without regard to case)`, [{ where: 'userName', message: 'uniqueness' }], { scimType: 'uniqueness' });
      }
      const record = await comeBack(ctx, tx, account, scim, input, typeName, now);
      return { record, reactivated: true };
    }
    const person = await addPerson(ctx, { id: `scim:${randomUUID()}`, source: 'scim', ...personPatchOf(input), firstName: namesOf(input).firstName, lastName: namesOf(input).lastName }, { tx });
    const wanted = input.username ?? (await freeDerivedName(tx, input.userName, ctx.config));
    const account = await createAccount(
      ctx,
      // The IdP decides who gets an account: SCIM is an admin path, so eligibility is skipped (and audited as such).
      { personId: person.id, type: typeName, username: wanted, password: type.auth === 'crypt' || type.auth === 'kerberos' ? input.password : undefined, skipEligibility: true },
      { tx },
    );
    const scim: ScimUser = { accountId: account.id, userName: input.userName, externalId: input.externalId, deletedAt: null, attributes: input.attributes, createdAt: now, updatedAt: now };
    await tx.putScimUser(scim);
    if (!input.active) await setActive(ctx, tx, account.username, false);
    const record = await requireVisible(tx, account.id);
    await audit(tx, ctx, { action: 'scim.user.create', target: `account:${account.username}`, before: null, after: scimSummary(scim, record.account) });
    return { record, reactivated: false };
  });
}

async function freeDerivedName(tx: ReservationReads, userName: string, config: RosterConfig): Promise<string | undefined> {
  const derived = unixNameFromUserName(userName, config.usernames);
  return derived !== null && !(await tx.nameTaken(derived)) ? derived : undefined;
}

/** The account of a deleted SCIM user returns: reactivated while it still exists, revived from its tombstone (same username and UID) once purged. */
async function comeBack(ctx: AppContext, tx: Queries, account: Account, scim: ScimUser, input: ScimUserInput, typeName: string, now: string): Promise<ScimUserRecord> {
  const person = await tx.getPerson(account.personId);
  if (person?.source === 'scim') await updatePerson(ctx, person.id, personPatchOf(input), { tx });
  if (account.purgedAt === null) {
    await reactivateAccount(ctx, account.username, { tx });
  } else {
    const type = requireType(ctx.config, typeName);
    await createAccount(ctx, { personId: account.personId, type: typeName, username: account.username, password: type.auth === 'crypt' || type.auth === 'kerberos' ? input.password : undefined, skipEligibility: true }, { tx });
  }
  await setActive(ctx, tx, account.username, input.active);
  const after: ScimUser = { ...scim, userName: input.userName, externalId: input.externalId, deletedAt: null, attributes: input.attributes, updatedAt: now };
  await tx.putScimUser(after);
  const record = await requireVisible(tx, account.id);
  await audit(tx, ctx, { action: 'scim.user.reactivate', target: `account:${account.username}`, before: scimSummary(scim, account), after: scimSummary(after, record.account) });
  return record;
}

/**
 * SCIM PUT /Users/{id} (and PATCH, which arrives here as the patched whole).
 * The Unix username and account type do not change after creation; a
 * person another source owns keeps its data (that source would put it back).
 */
export async function replaceScimUser(ctx: AppContext, accountId: number, input: ScimUserInput): Promise<ScimUserRecord> {
  checkUserName(input.userName);
  return mutate(ctx, {}, async (tx) => {
    const before = await requireVisible(tx, accountId);
    const { account, person } = before;
    const now = ctx.clock.now().toISOString();
    if (input.userName.toLowerCase() !== scimUserName(before).toLowerCase()) {
      const others = (await tx.accountIdsByScimUserName(input.userName)).filter((id) => id !== accountId);
      if (others.length > 0) throw new RosterError('conflict', `userName ${printable(input.userName)} is already in use (userName is unique without regard to case)`, [{ where: 'userName', message: 'uniqueness' }], { scimType: 'uniqueness' });
    }
    if (input.username !== undefined && input.username !== account.username) {
      throw new RosterError('bad_input', `the Unix username of ${account.username} cannot change (it is set once, at creation)`, [{ where: 'username', message: 'mutability' }], { scimType: 'mutability' });
    }
    if (input.accountType !== undefined && input.accountType !== account.type) {
      throw new RosterError('bad_input', `the account type of ${account.username} cannot change through SCIM`, [{ where: 'accountType', message: 'mutability' }], { scimType: 'mutability' });
    }
    if (person?.source === 'scim') {
      const { person: updated, changed } = await updatePerson(ctx, person.id, personPatchOf(input), { tx });
      // GECOS follows the name unless an admin set something else.
      const gecos = `${updated.firstName} ${updated.lastName}`;
      if (changed && account.gecos === `${person.firstName} ${person.lastName}` && gecos !== account.gecos) await modifyAccount(ctx, account.username, { gecos }, { tx });
    } else if (person !== undefined) {
      // The schema says these are writable; for a person another source owns, a change is refused rather than dropped.
      for (const field of ['roles', 'classes', 'campuses', 'majors'] as const) {
        const wanted = input[field];
        if (wanted !== undefined && JSON.stringify(wanted) !== JSON.stringify(person[field])) {
          throw new RosterError('bad_input', `the ${field} of ${account.username} come from the roster source ${person.source}, not from SCIM`, [{ where: field, message: 'mutability' }], { scimType: 'mutability' });
        }
      }
    }
    await setActive(ctx, tx, account.username, input.active);
    const scimBefore: ScimUser = before.scim ?? { accountId, userName: account.username, externalId: null, deletedAt: null, attributes: {}, createdAt: account.createdAt, updatedAt: account.updatedAt };
    const scimAfter: ScimUser = { ...scimBefore, userName: input.userName, externalId: input.externalId, attributes: input.attributes, updatedAt: now };
    if (JSON.stringify(scimAfter) !== JSON.stringify({ ...scimBefore, updatedAt: now })) await tx.putScimUser(scimAfter);
    const record = await requireVisible(tx, accountId);
    const summaryBefore = scimSummary(scimBefore, account);
    const summaryAfter = scimSummary(scimAfter, record.account);
    if (JSON.stringify(summaryBefore) !== JSON.stringify(summaryAfter)) {
      await audit(tx, ctx, { action: 'scim.user.update', target: `account:${account.username}`, before: summaryBefore, after: summaryAfter });
    }
    return record;
  });
}

/**
 * SCIM DELETE /Users/{id}: retires the account with its type's grace
 * periods (or purges it at once with `scim.onDelete: purge`); SCIM answers
 * 404 for it from now on.
 */
export async function deleteScimUser(ctx: AppContext, accountId: number): Promise<void> {
  await mutate(ctx, {}, async (tx) => {
    const { account, scim } = await requireVisible(tx, accountId);
    const now = ctx.clock.now().toISOString();
    const before: ScimUser = scim ?? { accountId, userName: account.username, externalId: null, deletedAt: null, attributes: {}, createdAt: now, updatedAt: now };
    const after: ScimUser = { ...before, deletedAt: now, updatedAt: now };
    await tx.putScimUser(after);
    await retireAccount(ctx, account.username, ctx.config.scim.onDelete === 'purge' ? { deleteAfter: 0 } : {}, { tx });
    await audit(tx, ctx, { action: 'scim.user.delete', target: `account:${account.username}`, before: scimSummary(before, account), after: { ...scimSummary(after, account), onDelete: ctx.config.scim.onDelete } });
  });
}
