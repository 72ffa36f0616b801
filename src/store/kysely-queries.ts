import { sql, type Kysely, type Selectable, type SelectQueryBuilder, type Updateable } from 'kysely';
import type { Account, Hold, HoldKind } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import { auditHash, canonicalJson, normaliseSummary } from './audit-chain.js';
import type { AccountsTable, AuditTable, GroupsTable, HoldsTable, LedgerTable, PeopleTable, ReservationsTable, RosterDatabase } from './database-schema.js';
import { isForeignKeyViolation, uniqueViolation } from './store-errors.js';
import type { AccountFilter, AccountPatch, AuditEntry, AuditRecord, Group, LedgerEntry, NewAccount, Queries, Reservation } from './store.js';

export type StoreDialect = 'sqlite' | 'postgres';

/** Bound parameters per `IN (…)` list: far below SQLite's 32,766 and PostgreSQL's 65,535. */
const IN_CHUNK = 500;
/** Used numbers fetched per round trip while looking for a free UID or GID. */
const GAP_PAGE = 500;

/**
 * The `Queries` of DESIGN.md §6 over Kysely, one implementation for both
 * dialects: the schema is the same, text compares bytewise on both, and the
 * only difference is row locking. On PostgreSQL the counter and audit-head
 * rows are locked with `SELECT … FOR UPDATE`, so concurrent transactions
 * queue there; on SQLite the whole transaction already holds the database's
 * write lock (`BEGIN IMMEDIATE`), so there is nothing more to lock.
 *
 * A `writable: false` instance (`store.read`) refuses every write: a change
 * made outside `transaction` would escape the serialisation that UID
 * allocation and the audit chain depend on.
 */
export class KyselyQueries implements Queries {
  readonly #db: Kysely<RosterDatabase>;
  readonly #dialect: StoreDialect;
  readonly #writable: boolean;

  constructor(db: Kysely<RosterDatabase>, options: { readonly dialect: StoreDialect; readonly writable: boolean }) {
    this.#db = db;
    this.#dialect = options.dialect;
    this.#writable = options.writable;
  }

  #savepoints = 0;

  async savepoint<T>(fn: () => Promise<T>): Promise<T> {
    this.#mustWrite('savepoint');
    const name = `roster_sp${++this.#savepoints}`;
    await sql.raw(`savepoint ${name}`).execute(this.#db);
    try {
      const result = await fn();
      await sql.raw(`release savepoint ${name}`).execute(this.#db);
      return result;
    } catch (e) {
      // PostgreSQL keeps the transaction usable after ROLLBACK TO; the release drops the savepoint itself.
      await sql.raw(`rollback to savepoint ${name}`).execute(this.#db);
      await sql.raw(`release savepoint ${name}`).execute(this.#db);
      throw e;
    }
  }

  // ---------------------------------------------------------------- people

  async getPerson(id: string): Promise<Person | undefined> {
    const row = await this.#db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toPerson(row);
  }

  async putPerson(person: Person): Promise<void> {
    this.#mustWrite('putPerson');
    const row = fromPerson(person);
    await this.#db
      .insertInto('people')
      .values(row)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          source: eb.ref('excluded.source'),
          first_name: eb.ref('excluded.first_name'),
          last_name: eb.ref('excluded.last_name'),
          roles: eb.ref('excluded.roles'),
          classes: eb.ref('excluded.classes'),
          campuses: eb.ref('excluded.campuses'),
          majors: eb.ref('excluded.majors'),
          emails: eb.ref('excluded.emails'),
          verification: eb.ref('excluded.verification'),
          created_at: eb.ref('excluded.created_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }

  async listPeople(filter: { readonly source?: string; readonly afterId?: string; readonly limit?: number } = {}): Promise<Person[]> {
    let q = this.#db.selectFrom('people').selectAll().orderBy('id');
    if (filter.source !== undefined) q = q.where('source', '=', filter.source);
    if (filter.afterId !== undefined) q = q.where('id', '>', filter.afterId);
    if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
    return (await q.execute()).map(toPerson);
  }

  // -------------------------------------------------------------- accounts

  async getAccount(username: string): Promise<Account | undefined> {
    const row = await this.#db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
    return row === undefined ? undefined : (await this.#withHolds([row]))[0];
  }

  async getAccountById(id: number): Promise<Account | undefined> {
    const row = await this.#db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : (await this.#withHolds([row]))[0];
  }

  async listAccounts(filter: AccountFilter = {}): Promise<Account[]> {
    let q = this.#db.selectFrom('accounts').selectAll().orderBy('id');
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    if (filter.personId !== undefined) q = q.where('person_id', '=', filter.personId);
    if (filter.includePurged !== true) q = q.where('purged_at', 'is', null);
    if (filter.afterId !== undefined) q = q.where('id', '>', filter.afterId);
    if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
    return this.#withHolds(await q.execute());
  }

  async countAccounts(filter: { readonly type?: string; readonly includePurged?: boolean } = {}): Promise<number> {
    let q = this.#db.selectFrom('accounts').select((eb) => eb.fn.countAll<number | string>().as('n'));
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    if (filter.includePurged !== true) q = q.where('purged_at', 'is', null);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertAccount(account: NewAccount): Promise<Account> {
    this.#mustWrite('insertAccount');
    const row = fromNewAccount(account);
    try {
      const { id } = await this.#db.insertInto('accounts').values(row).returning('id').executeTakeFirstOrThrow();
      return toAccount({ ...row, id }, []);
    } catch (e) {
      throw accountConflict(e, account);
    }
  }

  async updateAccount(id: number, patch: AccountPatch): Promise<void> {
    this.#mustWrite('updateAccount');
    const set = accountPatchRow(patch);
    if (Object.keys(set).length === 0) {
      if ((await this.getAccountById(id)) === undefined) throw new RosterError('not_found', `account #${id} does not exist`);
      return;
    }
    try {
      const result = await this.#db.updateTable('accounts').set(set).where('id', '=', id).executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw new RosterError('not_found', `account #${id} does not exist`);
    } catch (e) {
      throw accountConflict(e, patch);
    }
  }

  async putHold(accountId: number, hold: Hold): Promise<void> {
    this.#mustWrite('putHold');
    const row: HoldsTable = { account_id: accountId, kind: hold.kind, reason: hold.reason, since: utc(hold.since, 'hold since'), note: hold.note, set_by: hold.setBy };
    try {
      await this.#db
        .insertInto('holds')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['account_id', 'kind', 'reason']).doUpdateSet((eb) => ({ since: eb.ref('excluded.since'), note: eb.ref('excluded.note'), set_by: eb.ref('excluded.set_by') })),
        )
        .execute();
    } catch (e) {
      if (isForeignKeyViolation(e)) throw new RosterError('not_found', `account #${accountId} does not exist`);
      throw e;
    }
  }

  async removeHold(accountId: number, kind: HoldKind, reason: string): Promise<void> {
    this.#mustWrite('removeHold');
    await this.#db.deleteFrom('holds').where('account_id', '=', accountId).where('kind', '=', kind).where('reason', '=', reason).execute();
  }

  async purgeCandidates(now: string, limit?: number): Promise<Array<{ readonly id: number; readonly username: string; readonly purgeAt: string }>> {
    const rows = await purgeCandidatesQuery(this.#db, utc(now, 'now'), limit).execute();
    return rows.map((r) => ({ id: r.id, username: r.username, purgeAt: r.purge_at }));
  }

  async #withHolds(rows: ReadonlyArray<Selectable<AccountsTable>>): Promise<Account[]> {
    const holds = new Map<number, Hold[]>();
    for (let i = 0; i < rows.length; i += IN_CHUNK) {
      const ids = rows.slice(i, i + IN_CHUNK).map((r) => r.id);
      const found = await this.#db.selectFrom('holds').selectAll().where('account_id', 'in', ids).orderBy('account_id').orderBy('since').orderBy('kind').orderBy('reason').execute();
      for (const h of found) {
        const list = holds.get(h.account_id) ?? [];
        list.push(toHold(h));
        holds.set(h.account_id, list);
      }
    }
    return rows.map((r) => toAccount(r, holds.get(r.id) ?? []));
  }

  // ------------------------------------------------- usernames and UIDs

  async getReservation(username: string): Promise<Reservation | undefined> {
    const row = await this.#db.selectFrom('reservations').selectAll().where('username', '=', username).executeTakeFirst();
    return row === undefined ? undefined : toReservation(row);
  }

  async reservationsOfPerson(personId: string): Promise<Reservation[]> {
    const rows = await this.#db.selectFrom('reservations').selectAll().where('person_id', '=', personId).orderBy('uid').execute();
    return rows.map(toReservation);
  }

  async nameTaken(name: string): Promise<boolean> {
    // One round trip; each branch matches a lower(…) expression index. SQLite's
    // and (with the "C" collation) PostgreSQL's lower() both fold ASCII only.
    const lowered = sql<string>`lower(${name})`;
    const hit = await this.#db
      .selectFrom('accounts')
      .select(sql<number>`1`.as('taken'))
      .where(sql<string>`lower(username)`, '=', lowered)
      .unionAll((eb) => eb.selectFrom('reservations').select(sql<number>`1`.as('taken')).where(sql<string>`lower(username)`, '=', lowered))
      .unionAll((eb) => eb.selectFrom('groups').select(sql<number>`1`.as('taken')).where(sql<string>`lower(name)`, '=', lowered))
      .limit(1)
      .executeTakeFirst();
    return hit !== undefined;
  }

  async allocateUid(username: string, personId: string, range: { readonly min: number; readonly max: number }, now: string): Promise<number> {
    this.#mustWrite('allocateUid');
    checkRange(range, 'UID');
    // Lock the high-water mark first: on PostgreSQL a concurrent allocation
    // waits here until this transaction ends, and then sees its reservation.
    const counter = await this.#lockCounter('uid');
    const reserved = await this.#db.selectFrom('reservations').selectAll().where(sql<string>`lower(username)`, '=', sql<string>`lower(${username})`).executeTakeFirst();
    if (reserved !== undefined) {
      if (reserved.person_id !== personId) throw new RosterError('conflict', `username ${username} is reserved for someone else`);
      if (reserved.username !== username) throw new RosterError('conflict', `username ${username} is reserved as ${reserved.username}`);
      // A returning person gets their old UID back, even if the range has
      // moved since: backups and files on disk still carry it (RATS internals 1).
      return reserved.uid;
    }
    const uid = await this.#firstFree(Math.max(counter, range.min - 1) + 1, range.max, ['reservations', 'uid'], ['accounts', 'uid']);
    if (uid === undefined) throw new RosterError('bad_input', `UID range ${range.min}–${range.max} is exhausted`);
    await this.#raiseCounter('uid', uid);
    try {
      await this.#db.insertInto('reservations').values({ username, uid, person_id: personId, created_at: utc(now, 'now') }).execute();
    } catch (e) {
      const which = uniqueViolation(e);
      if (which !== undefined) {
        throw new RosterError('conflict', /uid/i.test(which) ? `UID ${uid} is already reserved` : `username ${username} is already reserved`);
      }
      throw e;
    }
    return uid;
  }

  async deleteReservations(usernames: readonly string[]): Promise<number> {
    this.#mustWrite('deleteReservations');
    // The counter is deliberately left alone: released UIDs are never handed out again.
    let deleted = 0;
    for (let i = 0; i < usernames.length; i += IN_CHUNK) {
      const result = await this.#db.deleteFrom('reservations').where('username', 'in', usernames.slice(i, i + IN_CHUNK)).executeTakeFirst();
      deleted += Number(result.numDeletedRows);
    }
    return deleted;
  }

  async listReservations(): Promise<Reservation[]> {
    return (await this.#db.selectFrom('reservations').selectAll().orderBy('uid').execute()).map(toReservation);
  }

  // ----------------------------------------------------------------- groups

  async getGroup(name: string): Promise<Group | undefined> {
    const row = await this.#db.selectFrom('groups').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toGroup(row);
  }

  async getGroupByGid(gid: number): Promise<Group | undefined> {
    const row = await this.#db.selectFrom('groups').selectAll().where('gid', '=', gid).executeTakeFirst();
    return row === undefined ? undefined : toGroup(row);
  }

  async listGroups(): Promise<Group[]> {
    return (await this.#db.selectFrom('groups').selectAll().orderBy('name').execute()).map(toGroup);
  }

  async allocateGid(range: { readonly min: number; readonly max: number }): Promise<number> {
    this.#mustWrite('allocateGid');
    checkRange(range, 'GID');
    const counter = await this.#lockCounter('gid');
    const gid = await this.#firstFree(Math.max(counter, range.min - 1) + 1, range.max, ['groups', 'gid'], ['accounts', 'gid']);
    if (gid === undefined) throw new RosterError('bad_input', `GID range ${range.min}–${range.max} is exhausted`);
    await this.#raiseCounter('gid', gid);
    return gid;
  }

  async insertGroup(group: Group): Promise<void> {
    this.#mustWrite('insertGroup');
    try {
      await this.#db
        .insertInto('groups')
        .values({ name: group.name, gid: group.gid, description: group.description, members: JSON.stringify(group.members), created_at: utc(group.createdAt, 'group createdAt') })
        .execute();
    } catch (e) {
      const which = uniqueViolation(e);
      if (which === undefined) throw e;
      throw new RosterError('conflict', /gid/i.test(which) ? `GID ${group.gid} is already used by another group` : `group ${group.name} already exists`);
    }
  }

  async setGroupMembers(name: string, members: readonly string[]): Promise<void> {
    this.#mustWrite('setGroupMembers');
    const result = await this.#db.updateTable('groups').set({ members: JSON.stringify(members) }).where('name', '=', name).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new RosterError('not_found', `group ${name} does not exist`);
  }

  // ------------------------------------------------- ledger and notices

  async addLedgerEntry(entry: Omit<LedgerEntry, 'id'>): Promise<LedgerEntry> {
    this.#mustWrite('addLedgerEntry');
    if (!Number.isSafeInteger(entry.amountCents) || entry.amountCents <= 0) {
      throw new RosterError('bad_input', `a ledger amount is a positive whole number of cents, not ${entry.amountCents}`);
    }
    const row = { person_id: entry.personId, at: utc(entry.at, 'ledger at'), kind: entry.kind, amount_cents: entry.amountCents, note: entry.note };
    const { id } = await this.#db.insertInto('ledger').values(row).returning('id').executeTakeFirstOrThrow();
    return toLedgerEntry({ ...row, id });
  }

  async ledger(personId: string): Promise<LedgerEntry[]> {
    const rows = await this.#db.selectFrom('ledger').selectAll().where('person_id', '=', personId).orderBy('at').orderBy('id').execute();
    return rows.map(toLedgerEntry);
  }

  async recordNotice(personId: string, kind: string, runOutDate: string, at: string): Promise<boolean> {
    this.#mustWrite('recordNotice');
    // The primary key makes "send once per run-out date" hold even when two
    // billing runs overlap: the second insert does nothing and reports false.
    const result = await this.#db
      .insertInto('notices')
      .values({ person_id: personId, kind, run_out_date: runOutDate, at: utc(at, 'notice at') })
      .onConflict((oc) => oc.columns(['person_id', 'kind', 'run_out_date']).doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  // ------------------------------------------------------------------ audit

  async appendAudit(entry: AuditEntry): Promise<AuditRecord> {
    this.#mustWrite('appendAudit');
    // Locking the head serialises appends on PostgreSQL; the new seq and
    // prevHash come from it, and it moves in this same transaction, so a
    // rolled-back change leaves no record and no gap.
    const head = await this.#db
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .$if(this.#dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirstOrThrow();
    const fields = {
      seq: Number(head.seq) + 1,
      at: utc(entry.at, 'audit at'),
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      before: normaliseSummary(entry.before),
      after: normaliseSummary(entry.after),
      result: entry.result,
      prevHash: head.hash,
    };
    const record: AuditRecord = { ...fields, hash: auditHash(fields) };
    await this.#db
      .insertInto('audit')
      .values({
        seq: record.seq,
        at: record.at,
        actor: record.actor,
        action: record.action,
        target: record.target,
        before: canonicalJson(record.before),
        after: canonicalJson(record.after),
        result: record.result,
        prev_hash: record.prevHash,
        hash: record.hash,
      })
      .execute();
    await this.#db.updateTable('audit_head').set({ seq: record.seq, hash: record.hash }).where('id', '=', 1).execute();
    return record;
  }

  async listAudit(filter: { readonly afterSeq?: number; readonly limit?: number; readonly target?: string } = {}): Promise<AuditRecord[]> {
    let q = this.#db.selectFrom('audit').selectAll().orderBy('seq');
    if (filter.afterSeq !== undefined) q = q.where('seq', '>', filter.afterSeq);
    if (filter.target !== undefined) q = q.where('target', '=', filter.target);
    if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
    return (await q.execute()).map(toAuditRecord);
  }

  async auditHead(): Promise<{ readonly seq: number; readonly hash: string }> {
    const head = await this.#db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    return { seq: Number(head.seq), hash: head.hash };
  }

  // -------------------------------------------------------------- helpers

  #mustWrite(method: string): void {
    if (!this.#writable) throw new RosterError('internal', `${method} changes the database and must run inside store.transaction, not on store.read`);
  }

  async #lockCounter(name: 'uid' | 'gid'): Promise<number> {
    const row = await this.#db
      .selectFrom('counters')
      .select('value')
      .where('name', '=', name)
      .$if(this.#dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirstOrThrow();
    return Number(row.value);
  }

  async #raiseCounter(name: 'uid' | 'gid', value: number): Promise<void> {
    // `value` is above the counter by construction; the guard keeps the
    // high-water mark monotonic even if that ever stopped being true.
    await this.#db.updateTable('counters').set({ value }).where('name', '=', name).where('value', '<', value).execute();
  }

  /**
   * The smallest number in [start, max] used by none of the given columns,
   * or undefined when there is none. Walks the columns' indexes in order a
   * page at a time, so a long run of used numbers (accounts whose GID is
   * their UID) costs a few round trips, never a table scan.
   */
  async #firstFree(start: number, max: number, ...columns: ReadonlyArray<readonly ['reservations' | 'accounts' | 'groups', 'uid' | 'gid']>): Promise<number | undefined> {
    let candidate = start;
    for (;;) {
      if (candidate > max) return undefined;
      const used = new Set<number>();
      let pageEnd = max;
      for (const [table, column] of columns) {
        const values = await this.#usedFrom(table, column, candidate, max);
        for (const v of values) used.add(v);
        // Only numbers up to the smallest "last value seen" are known to be complete.
        if (values.length === GAP_PAGE) pageEnd = Math.min(pageEnd, values[values.length - 1] ?? max);
      }
      while (candidate <= pageEnd && used.has(candidate)) candidate++;
      if (candidate <= pageEnd) return candidate;
    }
  }

  async #usedFrom(table: 'reservations' | 'accounts' | 'groups', column: 'uid' | 'gid', from: number, to: number): Promise<number[]> {
    const rows = await this.#db
      .selectFrom(table)
      .select(sql<number>`${sql.ref(column)}`.as('n'))
      .where(sql.ref(column), '>=', from)
      .where(sql.ref(column), '<=', to)
      .orderBy(sql.ref(column))
      .limit(GAP_PAGE)
      .execute();
    return rows.map((r) => Number(r.n));
  }
}

/**
 * The purge job's query (DESIGN.md §3 "Purge"): its WHERE implies the partial
 * index's `purged_at is null`, so both planners answer it from
 * `accounts_purge_due` in purge_at order without touching other accounts.
 * Exported so tests can EXPLAIN exactly what runs.
 */
export function purgeCandidatesQuery(
  db: Kysely<RosterDatabase>,
  now: string,
  limit?: number,
): SelectQueryBuilder<RosterDatabase, 'accounts', { id: number; username: string; purge_at: string }> {
  let q = db
    .selectFrom('accounts')
    .select(['id', 'username'])
    .select(sql<string>`purge_at`.as('purge_at'))
    .where('purged_at', 'is', null)
    .where('purge_at', '<=', now)
    .orderBy('purge_at')
    .orderBy('id');
  if (limit !== undefined) q = q.limit(pageSize(limit));
  return q;
}

// ------------------------------------------------------------ row mapping

function pageSize(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RosterError('bad_input', `a page size is a whole number ≥ 0, not ${limit}`);
  return limit;
}

function checkRange(range: { readonly min: number; readonly max: number }, what: string): void {
  if (!Number.isSafeInteger(range.min) || !Number.isSafeInteger(range.max) || range.min < 0 || range.min > range.max) {
    throw new RosterError('bad_config', `the ${what} range ${range.min}–${range.max} is not a range of whole numbers`);
  }
}

/**
 * Every stored time is `Date#toISOString()` form, so text order is time
 * order (the purge index and keyset pages rely on it). Accepts any ISO 8601
 * time and normalises it; refuses what is not a time.
 */
function utc(value: string, what: string): string {
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) throw new RosterError('bad_input', `${what} is not an ISO 8601 time: ${JSON.stringify(value)}`);
  return t.toISOString();
}

function utcOrNull(value: string | null, what: string): string | null {
  return value === null ? null : utc(value, what);
}

function stringList(text: string, what: string): string[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw new RosterError('internal', `stored ${what} is not a list of strings`);
  return value;
}

function stringMap(text: string, what: string): Record<string, string> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RosterError('internal', `stored ${what} is not a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new RosterError('internal', `stored ${what}.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

function toPerson(r: Selectable<PeopleTable>): Person {
  return {
    id: r.id,
    source: r.source,
    firstName: r.first_name,
    lastName: r.last_name,
    roles: stringList(r.roles, 'roles'),
    classes: stringList(r.classes, 'classes'),
    campuses: stringList(r.campuses, 'campuses'),
    majors: stringList(r.majors, 'majors'),
    emails: stringMap(r.emails, 'emails'),
    verification: stringMap(r.verification, 'verification'),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function fromPerson(p: Person): PeopleTable {
  return {
    id: p.id,
    source: p.source,
    first_name: p.firstName,
    last_name: p.lastName,
    roles: JSON.stringify(p.roles),
    classes: JSON.stringify(p.classes),
    campuses: JSON.stringify(p.campuses),
    majors: JSON.stringify(p.majors),
    emails: JSON.stringify(p.emails),
    verification: JSON.stringify(p.verification),
    created_at: utc(p.createdAt, 'person createdAt'),
    updated_at: utc(p.updatedAt, 'person updatedAt'),
  };
}

function toHold(r: Selectable<HoldsTable>): Hold {
  if (r.kind !== 'freeze' && r.kind !== 'retired') throw new RosterError('internal', `stored hold kind ${r.kind} is unknown`);
  return { kind: r.kind, reason: r.reason, since: r.since, note: r.note, setBy: r.set_by };
}

function toAccount(r: Selectable<AccountsTable>, holds: readonly Hold[]): Account {
  return {
    id: r.id,
    personId: r.person_id,
    type: r.type,
    username: r.username,
    uid: Number(r.uid),
    gid: Number(r.gid),
    primaryGroup: r.primary_group,
    gecos: r.gecos,
    shell: r.shell,
    home: r.home,
    passwordHash: r.password_hash,
    principal: r.principal,
    groups: stringList(r.groups, 'account groups'),
    holds,
    expiresAt: r.expires_at,
    purgeAt: r.purge_at,
    purgedAt: r.purged_at,
    pending: r.pending !== 0,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function fromNewAccount(a: NewAccount): Omit<AccountsTable, 'id'> {
  return {
    person_id: a.personId,
    type: a.type,
    username: a.username,
    uid: a.uid,
    gid: a.gid,
    primary_group: a.primaryGroup,
    gecos: a.gecos,
    shell: a.shell,
    home: a.home,
    password_hash: a.passwordHash,
    principal: a.principal,
    groups: JSON.stringify(a.groups),
    expires_at: utcOrNull(a.expiresAt, 'expiresAt'),
    purge_at: utcOrNull(a.purgeAt, 'purgeAt'),
    purged_at: utcOrNull(a.purgedAt, 'purgedAt'),
    pending: a.pending ? 1 : 0,
    created_at: utc(a.createdAt, 'createdAt'),
    updated_at: utc(a.updatedAt, 'updatedAt'),
  };
}

function accountPatchRow(p: AccountPatch): Updateable<AccountsTable> {
  const set: Updateable<AccountsTable> = {};
  if (p.personId !== undefined) set.person_id = p.personId;
  if (p.type !== undefined) set.type = p.type;
  if (p.username !== undefined) set.username = p.username;
  if (p.uid !== undefined) set.uid = p.uid;
  if (p.gid !== undefined) set.gid = p.gid;
  if (p.primaryGroup !== undefined) set.primary_group = p.primaryGroup;
  if (p.gecos !== undefined) set.gecos = p.gecos;
  if (p.shell !== undefined) set.shell = p.shell;
  if (p.home !== undefined) set.home = p.home;
  if (p.passwordHash !== undefined) set.password_hash = p.passwordHash;
  if (p.principal !== undefined) set.principal = p.principal;
  if (p.groups !== undefined) set.groups = JSON.stringify(p.groups);
  if (p.expiresAt !== undefined) set.expires_at = utcOrNull(p.expiresAt, 'expiresAt');
  if (p.purgeAt !== undefined) set.purge_at = utcOrNull(p.purgeAt, 'purgeAt');
  if (p.purgedAt !== undefined) set.purged_at = utcOrNull(p.purgedAt, 'purgedAt');
  if (p.pending !== undefined) set.pending = p.pending ? 1 : 0;
  if (p.updatedAt !== undefined) set.updated_at = utc(p.updatedAt, 'updatedAt');
  return set;
}

/** Unique and foreign-key violations of an account write, named by the offending value. */
function accountConflict(e: unknown, a: { readonly username?: string; readonly uid?: number; readonly personId?: string }): unknown {
  const which = uniqueViolation(e);
  if (which !== undefined) {
    if (/accounts[._]uid/i.test(which)) return new RosterError('conflict', `UID ${a.uid ?? '?'} is already in use by another account`);
    if (/username_lower/i.test(which)) return new RosterError('conflict', `username ${a.username ?? '?'} is already in use (names are unique regardless of case)`);
    return new RosterError('conflict', `username ${a.username ?? '?'} is already in use`);
  }
  if (isForeignKeyViolation(e)) return new RosterError('not_found', `person ${a.personId ?? '?'} does not exist`);
  return e;
}

function toReservation(r: Selectable<ReservationsTable>): Reservation {
  return { username: r.username, uid: Number(r.uid), personId: r.person_id, createdAt: r.created_at };
}

function toGroup(r: Selectable<GroupsTable>): Group {
  return { name: r.name, gid: Number(r.gid), description: r.description, members: stringList(r.members, `members of ${r.name}`), createdAt: r.created_at };
}

function toLedgerEntry(r: Selectable<LedgerTable>): LedgerEntry {
  if (r.kind !== 'charge' && r.kind !== 'payment') throw new RosterError('internal', `stored ledger kind ${r.kind} is unknown`);
  return { id: r.id, personId: r.person_id, at: r.at, kind: r.kind, amountCents: Number(r.amount_cents), note: r.note };
}

/**
 * Deliberately lenient: a tampered row (unknown result, broken JSON) must
 * still reach verifyAudit, whose hash check reports it as edited, instead of
 * making the listing throw.
 */
function toAuditRecord(r: Selectable<AuditTable>): AuditRecord {
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    before: parseJsonOrText(r.before),
    after: parseJsonOrText(r.after),
    result: r.result as AuditRecord['result'],
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
