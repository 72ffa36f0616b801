import type { AppContext } from '../app/app-context.js';
import { accountSummary } from '../app/account-view.js';
import { newAccountFields, passwordFieldFor, requireType, roleEmails, writeNewAccounts } from '../app/accounts.js';
import { ensureGroup } from '../app/groups.js';
import { generateInitialPassword } from '../app/initial-password.js';
import { mutate } from '../app/mutate.js';
import { queueNotices, retirementNotice, type Notice } from '../app/notices.js';
import { personSummary } from '../app/people.js';
import { purgeAccount } from '../app/purge.js';
import { saveAccount } from '../app/save-account.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import type { AuditEntry, Group, Queries } from '../store/store.js';
import type { PersonPlan, PlannedCreate } from './sync-plan.js';

export interface ApplyFailure {
  readonly personId: string;
  readonly row: number | null;
  readonly code: string;
  readonly error: string;
}

export interface ApplyOptions {
  /** Changes per transaction. */
  readonly batchSize?: number;
  /** Called after each committed batch with the generated passwords of its new accounts. */
  readonly onPasswords?: (entries: ReadonlyArray<readonly [string, string]>) => Promise<void>;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ApplyResult {
  readonly applied: number;
  readonly failures: readonly ApplyFailure[];
  readonly passwords: number;
}

/** Rough cost of one person's plan, in statements' worth of work: a batch holds about `batchSize` of them. */
function weight(p: PersonPlan): number {
  return 1 + p.creates.length + p.reactivations.length + p.retirements.length;
}

/**
 * Applies a sync plan in batches of about 1,000 changes per transaction: a
 * commit per row would cost minutes for 100,000 rows, one transaction for
 * all would hold the write lock for as long. A part of the sync (CHUNK_ROWS
 * rows, each a person and an account when new) is one batch: each commit
 * writes again the pages that every batch changes (the indexes' hot leaves),
 * and half as many commits took a sync of 100,000 rows from 26 to 21 s
 * (833,000 writes to the files instead of 1.4 million). Within a batch the work is done
 * in bulk (one multi-row insert of people, one UID allocation, one of
 * accounts, one audit append) with the same rules as `createAccount`.
 *
 * Every change still gets its own audit record. A batch that fails is
 * retried person by person, so one bad item is reported and the rest are
 * applied (DESIGN.md §9.4). Committed batches stay: running the sync again
 * after an interruption plans only what is left.
 */
export async function applySyncPlan(ctx: AppContext, plans: readonly PersonPlan[], options: ApplyOptions = {}): Promise<ApplyResult> {
  const batchSize = options.batchSize ?? 1000;
  const failures: ApplyFailure[] = [];
  let applied = 0;
  let passwords = 0;
  let done = 0;
  const batches: PersonPlan[][] = [];
  let current: PersonPlan[] = [];
  let size = 0;
  for (const p of plans) {
    current.push(p);
    size += weight(p);
    if (size >= batchSize) {
      batches.push(current);
      current = [];
      size = 0;
    }
  }
  if (current.length > 0) batches.push(current);

  for (const batch of batches) {
    const secrets = preparePasswords(ctx, batch);
    let committed: PersonPlan[];
    try {
      await mutate(ctx, {}, (tx) => applyBatch(tx, ctx, batch, secrets.hashes));
      committed = batch;
    } catch (e) {
      committed = [];
      for (const p of batch) {
        try {
          await mutate(ctx, {}, (tx) => applyBatch(tx, ctx, [p], secrets.hashes));
          committed.push(p);
        } catch (err) {
          failures.push({ personId: p.personId, row: p.row, code: err instanceof RosterError ? err.code : 'internal', error: errorMessage(err) });
        }
      }
      if (committed.length === 0 && batch.length > 1) ctx.log.warn(`a batch of ${batch.length} failed as a whole (${errorMessage(e)}); retried one by one`);
    }
    applied += committed.length;
    const clear = committed.flatMap((p) => p.creates.map((c) => secrets.clear.get(key(p.personId, c)))).filter((x): x is readonly [string, string] => x !== undefined);
    if (clear.length > 0 && options.onPasswords !== undefined) await options.onPasswords(clear);
    passwords += clear.length;
    done += batch.length;
    options.onProgress?.(done, plans.length);
  }
  return { applied, failures, passwords };
}

function key(personId: string, c: PlannedCreate): string {
  return `${personId}\u0000${c.type}`;
}

/**
 * Initial passwords for types that generate them, hashed before the
 * transaction (yescrypt is slow by design and must not hold the write lock).
 * The clear text goes only to the password file, after commit.
 */
function preparePasswords(ctx: AppContext, batch: readonly PersonPlan[]): { hashes: Map<string, string>; clear: Map<string, readonly [string, string]> } {
  const hashes = new Map<string, string>();
  const clear = new Map<string, readonly [string, string]>();
  for (const p of batch) {
    for (const c of p.creates) {
      const type = requireType(ctx.config, c.type);
      if (type.initialPassword !== 'generate' || type.auth !== 'crypt') continue;
      const names = { username: c.username, firstName: p.after.firstName, lastName: p.after.lastName };
      const password = generateInitialPassword(type.password, names);
      hashes.set(key(p.personId, c), ctx.hasher.hash(password, type.password.scheme));
      clear.set(key(p.personId, c), [c.username, password]);
    }
  }
  return { hashes, clear };
}

async function applyBatch(tx: Queries, ctx: AppContext, batch: readonly PersonPlan[], hashes: ReadonlyMap<string, string>): Promise<void> {
  const at = ctx.clock.now().toISOString();
  const audits: AuditEntry[] = [];
  const notices: Notice[] = [];
  const entry = (action: string, target: string, before: unknown, after: unknown): void => {
    audits.push({ at, actor: ctx.actor, action, target, before, after, result: 'ok' });
  };

  // People first: accounts refer to them. A new account's role address
  // (RATS step 17) is part of the same write.
  const finals = new Map<string, Person>();
  const people: Person[] = [];
  for (const p of batch) {
    let person = p.after;
    let emailed = false;
    for (const c of p.creates) {
      const emails = roleEmails(requireType(ctx.config, c.type), person, c.username);
      if (emails !== null) {
        person = { ...person, emails, updatedAt: at };
        emailed = true;
      }
    }
    finals.set(p.personId, person);
    if (p.personChange !== null || emailed) people.push(person);
    if (p.personChange === 'add') entry('person.add', `person:${p.personId}`, null, personSummary(person));
    else if (p.personChange === 'update' || emailed) entry('person.update', `person:${p.personId}`, p.before === undefined ? null : personSummary(p.before), { ...personSummary(person), fields: p.fields });
  }
  await tx.putPeople(people);

  const creates = batch.flatMap((p) => p.creates.map((c) => ({ p, c, type: requireType(ctx.config, c.type) })));
  const groupNames = new Set(creates.flatMap(({ type }) => [...type.groups, ...(type.primaryGroup === '{username}' ? [] : [type.primaryGroup])]));
  const groups = new Map<string, Group>();
  for (const g of groupNames) groups.set(g, await ensureGroup(tx, ctx, g));
  const person = (id: string): Person => {
    const found = finals.get(id);
    if (found === undefined) throw new RosterError('internal', `person ${id} missing from its batch`);
    return found;
  };
  const passwordHash = async (personId: string, c: PlannedCreate, type: ReturnType<typeof requireType>): Promise<string | null> =>
    hashes.get(key(personId, c)) ?? (await passwordFieldFor(ctx, type, { personId, type: c.type }));

  // Through the one write path of new accounts: one UID allocation, multi-row
  // inserts. New accounts first, then returning people's purged accounts,
  // which come back under their name and UID.
  const ordered = [...creates.filter(({ c }) => c.revive === undefined), ...creates.filter(({ c }) => c.revive !== undefined)];
  const toWrite = [];
  for (const { p, c, type } of ordered) {
    // UID and primary group are set by writeNewAccounts.
    const fields = newAccountFields({ person: person(p.personId), typeName: c.type, type, username: c.username, uid: 0, gid: 0, primaryGroup: c.username, passwordHash: await passwordHash(p.personId, c, type), pending: false, now: at });
    toWrite.push({ fields, type, tombstone: c.revive });
  }
  for (const account of await writeNewAccounts(tx, ctx, toWrite, groups, at)) entry('account.create', `account:${account.username}`, null, accountSummary(account));

  for (const p of batch) {
    for (const r of p.reactivations) {
      if (r.after === null) continue;
      await saveAccount(tx, r.before, r.after);
      entry('account.reactivate', `account:${r.before.username}`, accountSummary(r.before), { ...accountSummary(r.after), why: r.why });
    }
    for (const r of p.retirements) {
      if (r.after === null) {
        // Deletion grace 0: purged at once (seed 002), archive first on the hosts.
        await purgeAccount(tx, ctx, r.before, `${r.why}; deletion grace 0`);
        continue;
      }
      await saveAccount(tx, r.before, r.after);
      entry('account.retire', `account:${r.before.username}`, accountSummary(r.before), { ...accountSummary(r.after), why: r.why });
      notices.push(retirementNotice(ctx, person(p.personId), r.after, r.why));
    }
  }
  await tx.appendAudits(audits);
  await queueNotices(tx, ctx, notices);
}
