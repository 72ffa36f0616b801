import { posix } from 'node:path';
import type { RosterConfig } from '../config/config-schema.js';
import type { Account } from '../domain/account.js';
import { checkEligibility, describeRefusal } from '../domain/eligibility.js';
import { RosterError, type ErrorIssue } from '../domain/errors.js';
import { gecosProblem } from '../domain/gecos.js';
import { checkPassword } from '../domain/password-policy.js';
import type { Person } from '../domain/person.js';
import { usernameCandidates, validateUsername } from '../domain/usernames.js';
import type { NewAccount, Queries, Reservation } from '../store/store.js';
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

export async function requireAccount(q: Queries, username: string): Promise<Account> {
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

async function freeCandidates(q: Queries, person: Person, config: RosterConfig, count: number): Promise<string[]> {
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
  // Hash outside the transaction: yescrypt takes tens of milliseconds and
  // must not hold the database's write lock.
  const passwordHash = await passwordFieldFor(ctx, type, input);
  return mutate(ctx, options, (tx) => createInTransaction(tx, ctx, type, input, passwordHash));
}

export type CreateResult = { readonly ok: true; readonly account: Account } | { readonly ok: false; readonly input: CreateAccountInput; readonly code: string; readonly error: string };

/**
 * Creates many accounts with the same rules as `createAccount`, committing
 * `batchSize` per transaction (an import of 100,000 rows must not pay one
 * commit each). Each item runs in a savepoint, so a refused item is reported
 * and the others go on (DESIGN.md §9.4).
 */
export async function createAccounts(
  ctx: AppContext,
  inputs: readonly CreateAccountInput[],
  options: MutationOptions & { readonly batchSize?: number } = {},
): Promise<CreateResult[]> {
  const results: CreateResult[] = [];
  const batchSize = options.batchSize ?? 500;
  const refuse = (input: CreateAccountInput, e: unknown): CreateResult => ({
    ok: false,
    input: { ...input, password: undefined },
    code: e instanceof RosterError ? e.code : 'internal',
    error: e instanceof Error ? e.message : String(e),
  });
  for (let i = 0; i < inputs.length; i += batchSize) {
    const prepared: Array<{ input: CreateAccountInput; type: AccountType; hash: string | null } | CreateResult> = [];
    for (const input of inputs.slice(i, i + batchSize)) {
      try {
        const type = requireType(ctx.config, input.type);
        prepared.push({ input, type, hash: await passwordFieldFor(ctx, type, input) });
      } catch (e) {
        prepared.push(refuse(input, e));
      }
    }
    const batch = await mutate(ctx, options, async (tx) => {
      const out: CreateResult[] = [];
      for (const item of prepared) {
        if ('ok' in item) {
          out.push(item);
          continue;
        }
        try {
          out.push({ ok: true, account: await tx.savepoint(() => createInTransaction(tx, ctx, item.type, item.input, item.hash)) });
        } catch (e) {
          out.push(refuse(item.input, e));
        }
      }
      return out;
    });
    results.push(...batch);
  }
  return results;
}

async function createInTransaction(tx: Queries, ctx: AppContext, type: AccountType, input: CreateAccountInput, passwordHash: string | null): Promise<Account> {
  const person = await requirePerson(tx, input.personId);
  const now = ctx.clock.now().toISOString();
  if (input.skipEligibility !== true) {
    const refusal = eligibilityRefusal(person, input.type, type);
    if (refusal !== null) throw refusal;
  }
  const mine = await tx.listAccounts({ personId: person.id, type: input.type, includePurged: true });
  const live = mine.find((a) => a.purgedAt === null);
  if (live !== undefined) {
    throw new RosterError('conflict', `${person.id} already has a ${input.type} account: ${live.username}`);
  }
  const username = await chooseUsername(tx, ctx, person, input.username);
  const tombstone = await tx.getAccount(username);
  if (tombstone !== undefined && (tombstone.purgedAt === null || tombstone.personId !== person.id)) {
    throw new RosterError('conflict', `username ${username} is already in use`);
  }
  const uid = await tx.allocateUid(username, person.id, ctx.config.uids, now);
  const { primaryGroup, gid } = await primaryGroupFor(tx, ctx, type, username, uid);
  const fields = newAccountFields({ person, typeName: input.type, type, username, uid, gid, primaryGroup, passwordHash, pending: input.pending === true, now });
  const account = tombstone !== undefined ? await reviveTombstone(tx, tombstone, fields) : await tx.insertAccount(fields);
  // After the insert: a new group's GID must skip the user-private GID just
  // chosen, which allocateGid only sees once the account row exists.
  for (const g of type.groups) await ensureGroup(tx, ctx, g);
  const emails = roleEmails(type, person, username);
  if (emails !== null) await tx.putPerson({ ...person, emails, updatedAt: now });
  await audit(tx, ctx, {
    action: 'account.create',
    target: `account:${username}`,
    before: null,
    after: { ...accountSummary(account), skipEligibility: input.skipEligibility === true },
  });
  return account;
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
export async function reviveTombstone(tx: Queries, tombstone: Account, fields: NewAccount): Promise<Account> {
  for (const h of tombstone.holds) await tx.removeHold(tombstone.id, h.kind, h.reason);
  const { createdAt: _created, ...revived } = fields;
  await tx.updateAccount(tombstone.id, revived);
  return { ...tombstone, ...fields, id: tombstone.id, holds: [], createdAt: tombstone.createdAt };
}

/**
 * RATS step 6: a person who already has a name keeps it. The first of the
 * person's reservations (in UID order) not held by a live account, if any.
 */
export function reservedNameToReuse(reservations: readonly Reservation[], holderOf: (username: string) => Account | undefined): string | undefined {
  for (const r of reservations) {
    const holder = holderOf(r.username);
    if (holder === undefined || holder.purgedAt !== null) return r.username;
  }
  return undefined;
}

async function chooseUsername(tx: Queries, ctx: AppContext, person: Person, wanted: string | undefined): Promise<string> {
  const reservations = await tx.reservationsOfPerson(person.id);
  if (wanted === undefined) {
    const holders = new Map<string, Account | undefined>();
    for (const r of reservations) holders.set(r.username, await tx.getAccount(r.username));
    const reserved = reservedNameToReuse(reservations, (name) => holders.get(name));
    if (reserved !== undefined) return reserved;
    const [first] = await freeCandidates(tx, person, ctx.config, 1);
    if (first === undefined) throw new RosterError('conflict', `no free username could be derived for ${person.id}; pass --username`);
    return first;
  }
  const problem = validateUsername(wanted, ctx.config.usernames);
  if (problem !== null) {
    throw new RosterError('bad_input', `username "${printable(wanted)}" ${problem}`, [{ where: 'username', message: problem }]);
  }
  const own = reservations.some((r) => r.username === wanted);
  if (!own && (await tx.nameTaken(wanted))) throw new RosterError('conflict', `username ${wanted} is already taken or reserved`);
  return wanted;
}

/**
 * The primary group: a user-private group with GID = UID when no group holds
 * that GID, as useradd does, or the type's named group. `gidInUse` lets a
 * batch answer from groups it has already loaded.
 */
export async function primaryGroupFor(
  tx: Queries,
  ctx: AppContext,
  type: AccountType,
  username: string,
  uid: number,
  gidInUse: (gid: number) => Promise<boolean> = async (gid) => (await tx.getGroupByGid(gid)) !== undefined,
): Promise<{ primaryGroup: string; gid: number }> {
  if (type.primaryGroup === '{username}') {
    const gid = (await gidInUse(uid)) ? await tx.allocateGid(ctx.config.gids) : uid;
    return { primaryGroup: username, gid };
  }
  const group = await ensureGroup(tx, ctx, type.primaryGroup);
  return { primaryGroup: group.name, gid: group.gid };
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
  const context: { username?: string; firstName?: string; lastName?: string } = {};
  if (names.username !== undefined) context.username = names.username;
  if (names.firstName !== undefined) context.firstName = names.firstName;
  if (names.lastName !== undefined) context.lastName = names.lastName;
  const problems = checkPassword(password, type.password, context);
  if (problems.length > 0) {
    throw new RosterError('weak_password', `password rejected: ${problems.join('; ')}`, problems.map((message) => ({ where: 'password', message })));
  }
  return ctx.hasher.hash(password, type.password.scheme);
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

export async function requireLiveAccount(q: Queries, username: string): Promise<Account> {
  const account = await requireAccount(q, username);
  if (account.purgedAt !== null) throw new RosterError('conflict', `${username} was purged on ${account.purgedAt}`);
  return account;
}
