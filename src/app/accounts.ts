import { posix } from 'node:path';
import type { RosterConfig } from '../config/config-schema.js';
import type { Account } from '../domain/account.js';
import { checkEligibility, describeRefusal } from '../domain/eligibility.js';
import { errorMessage, RosterError, type ErrorIssue } from '../domain/errors.js';
import { gecosProblem } from '../domain/gecos.js';
import { checkPassword } from '../domain/password-policy.js';
import type { Person } from '../domain/person.js';
import { usernameCandidates, validateUsername } from '../domain/usernames.js';
import type { AccountReads, AccountWrites, AuditEntry, AuditWrites, Group, GroupQueries, GroupReads, GroupWrites, NewAccount, Queries, Reservation, ReservationReads, ReservationWrites } from '../store/store.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { accountSummary } from './account-view.js';
import { ensureGroup } from './groups.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';
import { requirePerson } from './people.js';

export type AccountType = RosterConfig['types'][string];

export function requireType(config: RosterConfig, name: string): AccountType {
  const type = config.types[name];
  if (type === undefined) {
    throw new RosterError('not_found', `no account type "${printable(name)}" (known: ${Object.keys(config.types).join(', ')})`);
  }
  return type;
}

export async function requireAccount(q: AccountReads, username: string): Promise<Account> {
  const account = await q.getAccount(username);
  if (account === undefined) throw new RosterError('not_found', `no account "${printable(username)}"`);
  return account;
}

/** RATS step 6: the first `suggestions` candidates that are free everywhere. */
export async function suggestUsernames(ctx: AppContext, personId: string, typeName: string): Promise<string[]> {
  requireType(ctx.config, typeName);
  const person = await requirePerson(ctx.store.read, personId);
  return freeCandidates(ctx.store.read, person, ctx.config, ctx.config.usernames.suggestions);
}

async function freeCandidates(q: ReservationReads, person: Person, config: RosterConfig, count: number): Promise<string[]> {
  const out: string[] = [];
  for (const name of usernameCandidates(person.firstName, person.lastName, config.usernames)) {
    if (!(await q.nameTaken(name))) out.push(name);
    if (out.length >= count) break;
  }
  return out;
}

export interface CreateAccountInput {
  readonly personId: string;
  readonly type: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly skipEligibility?: boolean | undefined;
  readonly pending?: boolean | undefined;
}

export async function createAccount(ctx: AppContext, input: CreateAccountInput, options: MutationOptions = {}): Promise<Account> {
  const type = requireType(ctx.config, input.type);
  // A Kerberos password is checked against the type's policy here and goes to the KDC below, never into the store.
  const kerberosPassword = type.auth === 'kerberos' ? input.password : undefined;
  if (kerberosPassword !== undefined) checkedPassword(type, kerberosPassword, { username: input.username });
  // Hash outside the transaction: yescrypt takes tens of milliseconds and
  // must not hold the database's write lock.
  const hash = await passwordFieldFor(ctx, type, kerberosPassword === undefined ? input : { ...input, password: undefined });
  // A batch of one: the same checks and writes as createAccounts.
  return mutate(ctx, options, async (tx) => {
    const [outcome] = await createBatch(tx, ctx, [{ input, type, hash }]);
    if (outcome === undefined) throw new RosterError('internal', 'creating one account gave no result');
    if (!outcome.ok) throw outcome.cause;
    if (kerberosPassword !== undefined && options.dryRun !== true) await principalPassword(tx, ctx, type, outcome.account, kerberosPassword, 'create');
    return outcome.account;
  });
}

/**
 * Sets a Kerberos account's password on the KDC of its hosts (issue 13
 * item 2), inside the account's own store transaction, after its rows are
 * written and before the commit: a KDC that refuses or cannot be reached
 * throws, which rolls the transaction back, so the command fails and
 * nothing is created or audited. The one leftover possible is the other way
 * round (kadmin succeeded, then the commit failed): the principal then
 * exists with the password just given, and the retry keeps it (RATS step 7).
 * The store's write lock is held for the kadmin call, bounded by the
 * target's timeoutSeconds. The audit record says only that a password was
 * set (or kept), never what it is.
 */
async function principalPassword(tx: AuditWrites, ctx: AppContext, type: AccountType, account: Account, password: string, mode: 'create' | 'change'): Promise<void> {
  if (account.principal === null) throw new RosterError('bad_config', `${account.type} accounts use kerberos authentication but their type has no principal template`);
  if (ctx.principals === undefined) throw new RosterError('unavailable', `this ${ctx.actor} context cannot reach a KDC, so the password of ${account.principal} cannot be set; nothing was changed`);
  const request = { hosts: type.hosts.live, principal: account.principal, owner: { username: account.username, uid: account.uid }, password };
  const outcomes = mode === 'create' ? await ctx.principals.create(request) : await ctx.principals.change(request);
  for (const o of outcomes) {
    if (o.outcome === 'kept') ctx.log.warn(`principal ${o.principal} already exists on the KDC of host ${o.host}: it keeps its password (the one given was not set there)`);
  }
  await audit(tx, ctx, {
    action: mode === 'create' ? 'account.principal-create' : 'account.passwd',
    target: `account:${account.username}`,
    before: null,
    after: { principal: account.principal, passwordChanged: outcomes.some((o) => o.outcome !== 'kept'), kdcs: outcomes.map((o) => ({ host: o.host, principal: o.principal, outcome: o.outcome })) },
  });
}

export type CreateResult = { readonly ok: true; readonly account: Account } | { readonly ok: false; readonly input: CreateAccountInput; readonly code: string; readonly error: string };

interface PreparedCreate { readonly input: CreateAccountInput; readonly type: AccountType; readonly hash: string | null }

/** An item's result inside the store transaction: a refusal keeps its error, which createAccount throws as it is. */
type Outcome = { readonly ok: true; readonly account: Account } | { readonly ok: false; readonly input: CreateAccountInput; readonly cause: unknown };

/**
 * Creates many accounts with the same rules as `createAccount`, committing
 * `batchSize` per transaction (an import of 100,000 rows must not pay one
 * commit each). A batch is checked in memory against a few bulk reads and
 * written with a few multi-row statements (one UID allocation, one insert,
 * one audit append): item by item it cost ~17 statements each. A refused
 * item is reported and the others go on (DESIGN.md §9.4). A batch the bulk
 * path cannot reproduce exactly (a group still to be created, an unexpected
 * store error) is rolled back to a savepoint and done item by item, each in
 * its own savepoint.
 */
export async function createAccounts(
  ctx: AppContext,
  inputs: readonly CreateAccountInput[],
  options: MutationOptions & { readonly batchSize?: number } = {},
): Promise<CreateResult[]> {
  const results: CreateResult[] = [];
  const batchSize = options.batchSize ?? 500;
  for (let i = 0; i < inputs.length; i += batchSize) {
    const prepared: Array<PreparedCreate | Outcome> = [];
    for (const input of inputs.slice(i, i + batchSize)) {
      try {
        const type = requireType(ctx.config, input.type);
        prepared.push({ input, type, hash: await passwordFieldFor(ctx, type, input) });
      } catch (e) {
        prepared.push({ ok: false, input, cause: e });
      }
    }
    const batch = await mutate(ctx, options, async (tx) => {
      try {
        return await tx.savepoint(() => createBatch(tx, ctx, prepared));
      } catch (e) {
        if (!(e instanceof OneByOne)) ctx.log.warn(`a batch of ${prepared.length} accounts could not be created in bulk (${errorMessage(e)}); created one by one`);
        return createOneByOne(tx, ctx, prepared);
      }
    });
    results.push(...batch.map((o) => (o.ok ? o : refusal(o.input, o.cause))));
  }
  return results;
}

function refusal(input: CreateAccountInput, e: unknown): CreateResult {
  return {
    ok: false,
    input: { ...input, password: undefined },
    code: e instanceof RosterError ? e.code : 'internal',
    error: errorMessage(e),
  };
}

/** Thrown inside the batch savepoint when only the item-by-item path gives `createAccount`'s exact result. */
class OneByOne extends Error {}

/** Each item as a batch of one, in its own savepoint: a write that fails undoes only that item. */
async function createOneByOne(tx: Queries, ctx: AppContext, prepared: ReadonlyArray<PreparedCreate | Outcome>): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const item of prepared) {
    if ('ok' in item) {
      out.push(item);
      continue;
    }
    try {
      const [outcome] = await tx.savepoint(() => createBatch(tx, ctx, [item]));
      out.push(outcome ?? { ok: false, input: item.input, cause: new RosterError('internal', 'creating one account gave no result') });
    } catch (e) {
      out.push({ ok: false, input: item.input, cause: e });
    }
  }
  return out;
}

/** How many derived candidates per item are looked up in the batch's one name query; later ones are asked one by one. */
const PREFETCHED_CANDIDATES = 6;

/** What the batch's earlier items did to the store, as its later items must see it. */
interface Holder {
  readonly id: number;
  readonly username: string;
  readonly type: string;
  readonly personId: string;
  readonly purgedAt: string | null;
}

interface Accepted {
  readonly index: number;
  readonly item: PreparedCreate;
  readonly fields: NewAccount;
  readonly tombstone: Account | undefined;
}

/**
 * Creates a batch of accounts (createAccount is a batch of one): every check
 * of RATS steps 2-6 in item order, answered from bulk reads plus what the
 * batch's earlier items claimed (usernames, reservations, live accounts,
 * role e-mails), then the writes of writeNewAccounts and one audit append.
 * A refused item is an outcome, not a throw, and writes nothing.
 */
async function createBatch(tx: Queries, ctx: AppContext, prepared: ReadonlyArray<PreparedCreate | Outcome>): Promise<Outcome[]> {
  const items = prepared.filter((p): p is PreparedCreate => !('ok' in p));
  // A group still to be created is made by the first account that needs it,
  // between that item's UID and the next item's: only item by item does a
  // batch reproduce the GIDs and audit order that gives. It happens once per group.
  const groups = new Map<string, Group>();
  for (const name of new Set(items.flatMap(({ type }) => (type.primaryGroup === '{username}' ? type.groups : [type.primaryGroup, ...type.groups])))) {
    const group = await tx.getGroup(name);
    if (group !== undefined) groups.set(name, group);
    else if (items.length > 1) throw new OneByOne(`group ${name} is still to be created`);
  }
  const now = ctx.clock.now().toISOString();
  const personIds = [...new Set(items.map(({ input }) => input.personId))];
  const people = new Map((await tx.getPeople(personIds)).map((p) => [p.id, p]));
  const owned = new Map<string, Holder[]>();
  for (const a of await tx.accountsOfPeople(personIds)) owned.set(a.personId, [...(owned.get(a.personId) ?? []), a]);
  const reservations = new Map<string, Reservation[]>();
  for (const r of await tx.reservationsOfPeople(personIds)) reservations.set(r.personId, [...(reservations.get(r.personId) ?? []), r]);

  // One read for every name the checks may ask about: wanted names, the
  // people's reservations and their first derived candidates.
  const lookups = new Set<string>();
  for (const { input } of items) {
    if (input.username !== undefined) lookups.add(input.username);
    for (const r of reservations.get(input.personId) ?? []) lookups.add(r.username);
    const person = people.get(input.personId);
    if (input.username === undefined && person !== undefined) {
      let n = 0;
      for (const c of usernameCandidates(person.firstName, person.lastName, ctx.config.usernames)) {
        lookups.add(c);
        if (++n >= PREFETCHED_CANDIDATES) break;
      }
    }
  }
  const names = [...lookups];
  const takenLower = await tx.takenNames(names);
  const taken = new Map(names.map((n) => [n.toLowerCase(), takenLower.has(n.toLowerCase())]));
  const byName = new Map<string, Account | Holder | undefined>(names.map((n) => [n, undefined]));
  for (const a of await tx.accountsByUsernames(names)) byName.set(a.username, a);
  const isTaken = async (name: string): Promise<boolean> => {
    const lower = name.toLowerCase();
    const known = taken.get(lower);
    if (known !== undefined) return known;
    const answer = await tx.nameTaken(name);
    taken.set(lower, answer);
    return answer;
  };
  const accountNamed = async (name: string): Promise<Account | Holder | undefined> => {
    if (byName.has(name)) return byName.get(name);
    const found = await tx.getAccount(name);
    byName.set(name, found);
    return found;
  };

  const results: Array<Outcome | undefined> = prepared.map((p) => ('ok' in p ? p : undefined));
  const accepted: Accepted[] = [];
  const changedPeople = new Map<string, Person>();
  let nextId = Number.MAX_SAFE_INTEGER - prepared.length;
  for (const [index, entry] of prepared.entries()) {
    if ('ok' in entry) continue;
    const { input, type } = entry;
    try {
      const person = people.get(input.personId);
      if (person === undefined) throw new RosterError('not_found', `no person with id ${printable(input.personId)}`);
      if (input.skipEligibility !== true) {
        const refused = eligibilityRefusal(person, input.type, type);
        if (refused !== null) throw refused;
      }
      const mine = owned.get(person.id) ?? [];
      const live = mine.find((a) => a.type === input.type && a.purgedAt === null);
      if (live !== undefined) throw new RosterError('conflict', `${person.id} already has a ${input.type} account: ${live.username}`);
      const own = reservations.get(person.id) ?? [];
      let username: string;
      if (input.username === undefined) {
        const holders = new Map<string, Account | Holder | undefined>();
        for (const r of own) holders.set(r.username, await accountNamed(r.username));
        const reserved = reservedNameToReuse(own, (name) => holders.get(name));
        if (reserved !== undefined) username = reserved;
        else {
          let first: string | undefined;
          for (const c of usernameCandidates(person.firstName, person.lastName, ctx.config.usernames)) {
            if (!(await isTaken(c))) {
              first = c;
              break;
            }
          }
          if (first === undefined) throw new RosterError('conflict', `no free username could be derived for ${person.id}; pass --username`);
          username = first;
        }
      } else {
        const problem = validateUsername(input.username, ctx.config.usernames);
        if (problem !== null) {
          throw new RosterError('bad_input', `username "${printable(input.username)}" ${problem}`, [{ where: 'username', message: problem }]);
        }
        const mineReserved = own.some((r) => r.username === input.username);
        if (!mineReserved && (await isTaken(input.username))) throw new RosterError('conflict', `username ${input.username} is already taken or reserved`);
        username = input.username;
      }
      const tombstone = await accountNamed(username);
      if (tombstone !== undefined && (tombstone.purgedAt === null || tombstone.personId !== person.id)) {
        throw new RosterError('conflict', `username ${username} is already in use`);
      }
      // UID and primary group are filled in by writeNewAccounts.
      const fields = newAccountFields({ person, typeName: input.type, type, username, uid: 0, gid: 0, primaryGroup: username, passwordHash: entry.hash, pending: input.pending === true, now });
      if (tombstone !== undefined && !('holds' in tombstone)) throw new RosterError('internal', `${username} was claimed twice in one batch`);
      accepted.push({ index, item: entry, fields, tombstone });

      // What the later items of the batch must see of this one.
      const claim: Holder = { id: tombstone?.id ?? nextId++, username, type: input.type, personId: person.id, purgedAt: null };
      byName.set(username, claim);
      taken.set(username.toLowerCase(), true);
      owned.set(person.id, tombstone === undefined ? [...mine, claim] : mine.map((a) => (a.id === tombstone.id ? claim : a)));
      if (!own.some((r) => r.username.toLowerCase() === username.toLowerCase())) {
        reservations.set(person.id, [...own, { username, uid: Number.MAX_SAFE_INTEGER, personId: person.id, createdAt: now }]);
      }
      const emails = roleEmails(type, person, username);
      if (emails !== null) {
        const updated = { ...person, emails, updatedAt: now };
        people.set(person.id, updated);
        changedPeople.set(person.id, updated);
      }
    } catch (e) {
      results[index] = { ok: false, input, cause: e };
    }
  }
  if (accepted.length === 0) return results.filter((r): r is Outcome => r !== undefined);

  const created = await writeNewAccounts(tx, ctx, accepted.map(({ item, fields, tombstone }) => ({ fields, type: item.type, tombstone })), groups, now);
  await tx.putPeople([...changedPeople.values()]);
  const audits: AuditEntry[] = [];
  for (const [k, a] of accepted.entries()) {
    const account = created[k];
    if (account === undefined) throw new RosterError('internal', `account ${a.fields.username} missing after its insert`);
    results[a.index] = { ok: true, account };
    audits.push({
      at: now,
      actor: ctx.actor,
      action: 'account.create',
      target: `account:${account.username}`,
      before: null,
      after: { ...accountSummary(account), skipEligibility: a.item.input.skipEligibility === true },
      result: 'ok',
    });
  }
  await tx.appendAudits(audits);
  return results.filter((r): r is Outcome => r !== undefined);
}

/** A new account for writeNewAccounts. */
export interface AccountToWrite {
  /** Its fields; UID, GID and primary group are set by writeNewAccounts. */
  readonly fields: NewAccount;
  readonly type: AccountType;
  /** The purged account of the same person and username that comes back instead of a new row (RATS internals 1). */
  readonly tombstone?: Account | undefined;
}

/**
 * The one write path of new accounts (createAccount, createAccounts, roster
 * sync), in item order: one UID allocation for all, the primary group
 * (useradd's user-private group with GID = UID unless a group or another
 * private group holds it, else the type's group, created when still
 * missing), then multi-row inserts, then the types' supplementary groups
 * still missing. `groups` holds the groups already read; groups made here
 * join it. The rows before an item whose private GID moves, and before a
 * revival (which changes a GID), are written first, as one account at a
 * time would have. The caller checks the items first and writes the audit.
 */
export async function writeNewAccounts(tx: AccountWrites & ReservationWrites & GroupQueries & AuditWrites, ctx: AppContext, items: readonly AccountToWrite[], groups: Map<string, Group>, now: string): Promise<Account[]> {
  if (items.length === 0) return [];
  const uids = await tx.allocateUids(items.map(({ fields }) => ({ username: fields.username, personId: fields.personId })), ctx.config.uids, now);
  const taken = items.some(({ type }) => type.primaryGroup === '{username}') ? await gidsTakenAmong(tx, uids) : new Set<number>();
  const gids = new GidPool(tx, ctx.config.gids, items.length);
  const group = async (name: string): Promise<Group> => {
    let known = groups.get(name);
    if (known === undefined) {
      // Creating a group allocates its GID through the store: the pool's GIDs given so far first raise the mark.
      await gids.settle();
      known = await ensureGroup(tx, ctx, name);
      groups.set(name, known);
    }
    return known;
  };
  const written = new Map<string, Account>();
  let pending: NewAccount[] = [];
  const flush = async (): Promise<void> => {
    const rows = pending;
    pending = [];
    // One row through insertAccount, whose conflict errors name the username or UID.
    const [only] = rows;
    const accounts = rows.length === 1 && only !== undefined ? [await tx.insertAccount(only)] : await tx.insertAccounts(rows);
    for (const account of accounts) written.set(account.username, account);
  };
  for (const [k, item] of items.entries()) {
    const uid = uids[k] ?? 0;
    let primary: { readonly primaryGroup: string; readonly gid: number };
    if (item.type.primaryGroup === '{username}') {
      // The accounts before it need not be written first: the GIDs chosen for them are in `taken`, which privateGroupGid skips.
      primary = { primaryGroup: item.fields.username, gid: await privateGroupGid(gids, uid, taken) };
    } else {
      const g = await group(item.type.primaryGroup);
      primary = { primaryGroup: g.name, gid: g.gid };
    }
    const fields = { ...item.fields, uid, ...primary };
    if (item.tombstone === undefined) {
      pending.push(fields);
      continue;
    }
    await flush();
    // A revival frees the tombstone's old GID: the pool's next GIDs are read again after it.
    await gids.settle();
    written.set(fields.username, await reviveTombstone(tx, item.tombstone, fields));
  }
  await flush();
  await gids.settle();
  // After the inserts: a new group's GID must skip the user-private GIDs just
  // chosen, which allocateGid only sees once the account rows exist.
  for (const name of new Set(items.flatMap(({ type }) => type.groups))) await group(name);
  return items.map(({ fields }) => {
    const account = written.get(fields.username);
    if (account === undefined) throw new RosterError('internal', `account ${fields.username} missing after its insert`);
    return account;
  });
}

/** Null when `person` may have a `typeName` account, else the refusal listing every unmet requirement (RATS steps 2-5). */
export function eligibilityRefusal(person: Person, typeName: string, type: AccountType): RosterError | null {
  const verdict = checkEligibility(person, type.eligibility);
  if (verdict.eligible) return null;
  return new RosterError('not_eligible', `${person.id} is not eligible for a ${typeName} account: ${describeRefusal(verdict.unmet)}`);
}

export interface NewAccountInput {
  readonly person: Person;
  readonly typeName: string;
  readonly type: AccountType;
  readonly username: string;
  readonly uid: number;
  readonly gid: number;
  readonly primaryGroup: string;
  readonly passwordHash: string | null;
  readonly pending: boolean;
  readonly now: string;
}

/** The stored fields of a new account of `type`: GECOS from the names (checked), home and principal from the templates. */
export function newAccountFields(input: NewAccountInput): NewAccount {
  const { person, type, username, now } = input;
  const gecos = `${person.firstName} ${person.lastName}`;
  const gecosIssue = gecosProblem(gecos);
  if (gecosIssue !== null) throw new RosterError('bad_input', `GECOS for ${person.id} ${gecosIssue}`, [{ where: 'gecos', message: gecosIssue }]);
  return {
    personId: person.id,
    type: input.typeName,
    username,
    uid: input.uid,
    gid: input.gid,
    primaryGroup: input.primaryGroup,
    gecos,
    shell: type.shell,
    home: homeFor(type.home, username),
    passwordHash: input.passwordHash,
    principal: type.principal === undefined ? null : type.principal.replaceAll('{username}', username),
    groups: [...type.groups],
    expiresAt: null,
    purgeAt: null,
    purgedAt: null,
    pending: input.pending,
    createdAt: now,
    updatedAt: now,
  };
}

/** A returning person: the tombstone keeps username and UID reserved (RATS internals 1); it comes back with the new fields and no holds. */
export async function reviveTombstone(tx: AccountWrites, tombstone: Account, fields: NewAccount): Promise<Account> {
  for (const h of tombstone.holds) await tx.removeHold(tombstone.id, h.kind, h.reason);
  const { createdAt: _created, ...revived } = fields;
  await tx.updateAccount(tombstone.id, revived);
  return { ...tombstone, ...fields, id: tombstone.id, holds: [], createdAt: tombstone.createdAt };
}

/**
 * RATS step 6: a person who already has a name keeps it. The first of the
 * person's reservations (in UID order) not held by a live account, if any.
 */
export function reservedNameToReuse(reservations: readonly Reservation[], holderOf: (username: string) => Pick<Account, 'purgedAt'> | undefined): string | undefined {
  for (const r of reservations) {
    const holder = holderOf(r.username);
    if (holder === undefined || holder.purgedAt !== null) return r.username;
  }
  return undefined;
}

/** GIDs read from the store a page at a time. */
const GID_PAGE = 1_000;

/**
 * The GIDs allocateGid would give one after another, read a page at a time
 * (one statement for up to GID_PAGE of them instead of four each: with the
 * example's overlapping ranges every account of a first import takes one),
 * the high-water mark raised once by settle. Nothing else may allocate a
 * GID or write one between two settles.
 */
class GidPool {
  private page: number[] = [];
  private next = 0;
  private last: number | undefined;

  constructor(
    private readonly tx: GroupWrites,
    private readonly range: { readonly min: number; readonly max: number },
    private readonly wanted: number,
  ) {}

  async take(): Promise<number> {
    if (this.next === this.page.length) {
      this.page = await this.tx.freeGids(this.range, this.last, Math.min(GID_PAGE, Math.max(1, this.wanted)));
      this.next = 0;
      if (this.page.length === 0) throw new RosterError('bad_input', `GID range ${this.range.min}–${this.range.max} is exhausted`);
    }
    const gid = this.page[this.next++] ?? 0;
    this.last = gid;
    return gid;
  }

  /** Raises the mark past the GIDs given, and reads the next ones from the store again. */
  async settle(): Promise<void> {
    if (this.last !== undefined) await this.tx.raiseGidMark(this.last);
    this.page = [];
    this.next = 0;
    this.last = undefined;
  }
}

/**
 * The GID of a new user-private group: GID = UID, as useradd does, unless a
 * group or another account's private group holds it; then the next GID
 * allocation gives that is not taken. `taken` holds the GIDs in use among
 * the UIDs being given out, plus those chosen earlier in this transaction and
 * not written yet (allocation sees only what is written); the choice joins it.
 */
async function privateGroupGid(gids: GidPool, uid: number, taken: Set<number>): Promise<number> {
  let gid = uid;
  while (taken.has(gid)) gid = await gids.take();
  taken.add(gid);
  return gid;
}

/** The GIDs taken among these UIDs, as `privateGroupGid` needs them. */
export async function gidsTakenAmong(tx: GroupReads, uids: readonly number[]): Promise<Set<number>> {
  if (uids.length === 0) return new Set();
  let min = uids[0] ?? 0;
  let max = min;
  // A loop, not Math.min(...uids): a first import gives 100,000 UIDs at once.
  for (const uid of uids) {
    if (uid < min) min = uid;
    if (uid > max) max = uid;
  }
  return new Set(await tx.gidsTaken(min, max));
}

function homeFor(template: string, username: string): string {
  const home = posix.normalize(template.replaceAll('{username}', username));
  if (!posix.isAbsolute(home) || home.includes('/../') || home === '/') {
    throw new RosterError('bad_config', `home template ${template} gives ${home}, which is not an absolute path`);
  }
  return home;
}

export async function passwordFieldFor(ctx: AppContext, type: AccountType, input: CreateAccountInput): Promise<string | null> {
  const auth = type.auth;
  if (typeof auth === 'object') return auth.literal;
  if (auth !== 'crypt') {
    if (input.password !== undefined) throw new RosterError('usage', `${input.type} accounts use ${auth} authentication; no password is set here`);
    return null;
  }
  if (input.password === undefined) return null;
  return hashChecked(ctx, type, input.password, { username: input.username });
}

export function hashChecked(ctx: AppContext, type: AccountType, password: string, names: { readonly username?: string | undefined; readonly firstName?: string; readonly lastName?: string }): string {
  checkedPassword(type, password, names);
  return ctx.hasher.hash(password, type.password.scheme);
}

/** The type's password policy (RATS step 7), for crypt hashes and Kerberos principals alike: a refusal lists every rule the password breaks. */
export function checkedPassword(type: AccountType, password: string, names: { readonly username?: string | undefined; readonly firstName?: string; readonly lastName?: string }): void {
  const context: { username?: string; firstName?: string; lastName?: string } = {};
  if (names.username !== undefined) context.username = names.username;
  if (names.firstName !== undefined) context.firstName = names.firstName;
  if (names.lastName !== undefined) context.lastName = names.lastName;
  const problems = checkPassword(password, type.password, context);
  if (problems.length > 0) {
    throw new RosterError('weak_password', `password rejected: ${problems.join('; ')}`, problems.map((message) => ({ where: 'password', message })));
  }
}

/** RATS step 17: the person's e-mails with the role's address set, when the type has one and the person has none for that role; else null. */
export function roleEmails(type: AccountType, person: Person, username: string): Person['emails'] | null {
  if (type.emailRole === undefined || type.emailDomain === undefined) return null;
  if (person.emails[type.emailRole] !== undefined) return null;
  return { ...person.emails, [type.emailRole]: `${username}@${type.emailDomain}` };
}

export interface ModifyAccountInput {
  readonly shell?: string | undefined;
  readonly gecos?: string | undefined;
  readonly addGroups?: readonly string[];
  readonly removeGroups?: readonly string[];
}

export async function modifyAccount(ctx: AppContext, username: string, input: ModifyAccountInput, options: MutationOptions = {}): Promise<{ account: Account; changed: boolean }> {
  const issues: ErrorIssue[] = [];
  if (input.shell !== undefined && !/^\/[^\s:\u0000-\u001f]*$/.test(input.shell)) issues.push({ where: 'shell', message: `"${printable(input.shell)}" is not an absolute path` });
  if (input.gecos !== undefined) {
    const p = gecosProblem(input.gecos);
    if (p !== null) issues.push({ where: 'gecos', message: p });
  }
  if (issues.length > 0) throw new RosterError('bad_input', `cannot modify ${printable(username)}`, issues);
  return mutate(ctx, options, async (tx) => {
    const before = await requireLiveAccount(tx, username);
    const groups = new Set(before.groups);
    for (const g of input.addGroups ?? []) {
      await ensureGroup(tx, ctx, g);
      groups.add(g);
    }
    for (const g of input.removeGroups ?? []) {
      if (!groups.has(g)) throw new RosterError('bad_input', `${username} is not in group ${printable(g)}`, [{ where: 'remove-group', message: `not a member of ${printable(g)}` }]);
      groups.delete(g);
    }
    const after: Account = {
      ...before,
      shell: input.shell ?? before.shell,
      gecos: input.gecos ?? before.gecos,
      groups: [...groups].sort(),
      updatedAt: ctx.clock.now().toISOString(),
    };
    const changed = after.shell !== before.shell || after.gecos !== before.gecos || after.groups.join() !== [...before.groups].sort().join();
    if (!changed) return { account: before, changed };
    await tx.updateAccount(before.id, { shell: after.shell, gecos: after.gecos, groups: after.groups, updatedAt: after.updatedAt });
    await audit(tx, ctx, { action: 'account.modify', target: `account:${username}`, before: accountSummary(before), after: accountSummary(after) });
    return { account: after, changed };
  });
}

export async function setPassword(ctx: AppContext, username: string, password: string, options: MutationOptions = {}): Promise<void> {
  const existing = await requireLiveAccount(ctx.store.read, username);
  const type = requireType(ctx.config, existing.type);
  if (type.auth === 'kerberos') {
    const person = await requirePerson(ctx.store.read, existing.personId);
    checkedPassword(type, password, { username, firstName: person.firstName, lastName: person.lastName });
    if (options.dryRun === true) return;
    // cpw on the KDC inside the audit's transaction: a refused change audits nothing.
    await mutate(ctx, options, async (tx) => principalPassword(tx, ctx, type, await requireLiveAccount(tx, username), password, 'change'));
    return;
  }
  if (type.auth !== 'crypt') throw new RosterError('usage', `${existing.type} accounts use ${typeof type.auth === 'object' ? 'a literal password field' : type.auth} authentication; no password is set here`);
  const person = await requirePerson(ctx.store.read, existing.personId);
  const hash = hashChecked(ctx, type, password, { username, firstName: person.firstName, lastName: person.lastName });
  await mutate(ctx, options, async (tx) => {
    const account = await requireLiveAccount(tx, username);
    const updatedAt = ctx.clock.now().toISOString();
    await tx.updateAccount(account.id, { passwordHash: hash, updatedAt });
    await audit(tx, ctx, { action: 'account.passwd', target: `account:${username}`, before: null, after: { passwordChanged: true } });
  });
}

export async function requireLiveAccount(q: AccountReads, username: string): Promise<Account> {
  const account = await requireAccount(q, username);
  if (account.purgedAt !== null) throw new RosterError('conflict', `${username} was purged on ${account.purgedAt}`);
  return account;
}
