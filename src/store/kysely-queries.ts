import { sql, type Kysely, type Selectable, type SelectQueryBuilder, type Updateable } from 'kysely';
import type { Account, Hold, HoldKind } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import { auditHash, canonicalJson, normaliseSummary } from './audit-chain.js';
import type { AccountsTable, AuditTable, GroupsTable, HoldsTable, JobRunsTable, LedgerTable, OutboxTable, PeopleTable, ReservationsTable, RosterDatabase } from './database-schema.js';
import { isForeignKeyViolation, uniqueViolation } from './store-errors.js';
import { KyselyServerQueries, type ApiToken, type HostReport, type MassChange, type NewApiToken, type NewMassChange, type ScimGroup, type ScimUser } from './server-queries.js';
import type {
  AccountFilter,
  AccountPatch,
  AuditEntry,
  AuditRecord,
  Group,
  JobResult,
  JobRun,
  JobRunEnd,
  LedgerEntry,
  NewAccount,
  NewJobRun,
  NewOutboxMessage,
  Notice,
  OutboxMessage,
  OutboxPatch,
  OutboxStatus,
  Queries,
  Reservation,
} from './store.js';

export type StoreDialect = 'sqlite' | 'postgres';

/** Bound parameters per `IN (…)` list: far below SQLite's 32,766 and PostgreSQL's 65,535. */
const IN_CHUNK = 500;
/** Used numbers fetched per round trip while looking for a free UID or GID. */
const GAP_PAGE = 500;
/**
 * Rows per multi-row INSERT: with the widest table (accounts, 19 columns)
 * that is 7,600 bound parameters, within SQLite's 32,766 and PostgreSQL's
 * 65,535, and big enough that a batch of 500 changes costs a few statements.
 */
const INSERT_CHUNK = 400;

const OUTBOX_STATUSES: readonly OutboxStatus[] = ['queued', 'sent', 'failed', 'unaddressed'];
const JOB_RESULTS: readonly JobResult[] = ['running', 'ok', 'partial', 'failed', 'refused', 'interrupted'];

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
    this.#server = new KyselyServerQueries(db, (method) => this.#mustWrite(method));
  }

  // --------------------------------------- roster serve (server-queries.ts)

  readonly #server: KyselyServerQueries;
  insertApiToken(token: NewApiToken): Promise<ApiToken> { return this.#server.insertApiToken(token); }
  getApiToken(id: number): Promise<ApiToken | undefined> { return this.#server.getApiToken(id); }
  getApiTokenByHash(hash: string): Promise<ApiToken | undefined> { return this.#server.getApiTokenByHash(hash); }
  listApiTokens(): Promise<ApiToken[]> { return this.#server.listApiTokens(); }
  revokeApiToken(id: number, at: string): Promise<boolean> { return this.#server.revokeApiToken(id, at); }
  getScimUser(accountId: number): Promise<ScimUser | undefined> { return this.#server.getScimUser(accountId); }
  getScimUsers(accountIds: readonly number[]): Promise<ScimUser[]> { return this.#server.getScimUsers(accountIds); }
  findScimUserByName(userName: string): Promise<ScimUser | undefined> { return this.#server.findScimUserByName(userName); }
  accountIdsByScimUserName(userName: string): Promise<number[]> { return this.#server.accountIdsByScimUserName(userName); }
  accountIdsByExternalId(externalId: string): Promise<number[]> { return this.#server.accountIdsByExternalId(externalId); }
  putScimUser(user: ScimUser): Promise<void> { return this.#server.putScimUser(user); }
  scimAccountPage(page: { readonly offset: number; readonly limit: number }): Promise<{ readonly ids: number[]; readonly total: number }> { return this.#server.scimAccountPage(page); }
  getScimGroups(groupNames: readonly string[]): Promise<ScimGroup[]> { return this.#server.getScimGroups(groupNames); }
  groupNamesByDisplayName(displayName: string): Promise<string[]> { return this.#server.groupNamesByDisplayName(displayName); }
  putScimGroup(group: ScimGroup): Promise<void> { return this.#server.putScimGroup(group); }
  deleteGroup(name: string): Promise<boolean> { return this.#server.deleteGroup(name); }
  insertMassChange(change: NewMassChange): Promise<void> { return this.#server.insertMassChange(change); }
  getMassChange(id: string): Promise<MassChange | undefined> { return this.#server.getMassChange(id); }
  approveMassChange(id: string, approval: { readonly approvedBy: string; readonly approvedToken: number | null; readonly approvedAt: string }): Promise<boolean> { return this.#server.approveMassChange(id, approval); }
  setMassChangeResult(id: string, result: unknown): Promise<void> { return this.#server.setMassChangeResult(id, result); }
  listMassChanges(filter?: { readonly limit?: number }): Promise<MassChange[]> { return this.#server.listMassChanges(filter); }
  insertHostReport(report: Omit<HostReport, 'id'>): Promise<HostReport> { return this.#server.insertHostReport(report); }
  listHostReports(filter: { readonly host: string; readonly beforeId?: number; readonly limit?: number }): Promise<HostReport[]> { return this.#server.listHostReports(filter); }
  latestHostReports(): Promise<Array<Pick<HostReport, 'host' | 'receivedAt' | 'ok'>>> { return this.#server.latestHostReports(); }

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
    await this.putPeople([person]);
  }

  async getPeople(ids: readonly string[]): Promise<Person[]> {
    const out: Person[] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const rows = await this.#db.selectFrom('people').selectAll().where('id', 'in', ids.slice(i, i + IN_CHUNK)).execute();
      out.push(...rows.map(toPerson));
    }
    return out;
  }

  async putPeople(people: readonly Person[]): Promise<void> {
    this.#mustWrite('putPeople');
    for (let i = 0; i < people.length; i += INSERT_CHUNK) {
      const rows = people.slice(i, i + INSERT_CHUNK).map(fromPerson);
      await this.#db
        .insertInto('people')
        .values(rows)
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

  async getAccountsByIds(ids: readonly number[]): Promise<Account[]> {
    const rows: Array<Selectable<AccountsTable>> = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      rows.push(...(await this.#db.selectFrom('accounts').selectAll().where('id', 'in', ids.slice(i, i + IN_CHUNK)).execute()));
    }
    rows.sort((a, b) => a.id - b.id);
    return this.#withHolds(rows);
  }

  async getAccountById(id: number): Promise<Account | undefined> {
    const row = await this.#db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : (await this.#withHolds([row]))[0];
  }

  async listAccounts(filter: AccountFilter = {}): Promise<Account[]> {
    let q = this.#db.selectFrom('accounts').selectAll().orderBy('id');
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    if (filter.personId !== undefined) q = q.where('person_id', '=', filter.personId);
    if (filter.source !== undefined) {
      const source = filter.source;
      q = q.where('person_id', 'in', (eb) => eb.selectFrom('people').select('people.id').where('people.source', '=', source));
    }
    if (filter.includePurged !== true) q = q.where('purged_at', 'is', null);
    if (filter.afterId !== undefined) q = q.where('id', '>', filter.afterId);
    if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
    return this.#withHolds(await q.execute());
  }

  async accountsOfPeople(personIds: readonly string[]): Promise<Account[]> {
    return this.#accountsWhere('person_id', [...new Set(personIds)]);
  }

  async accountsByUsernames(usernames: readonly string[]): Promise<Account[]> {
    return this.#accountsWhere('username', [...new Set(usernames)]);
  }

  async #accountsWhere(column: 'person_id' | 'username', values: readonly string[]): Promise<Account[]> {
    const rows: Array<Selectable<AccountsTable>> = [];
    for (let i = 0; i < values.length; i += IN_CHUNK) {
      rows.push(...(await this.#db.selectFrom('accounts').selectAll().where(column, 'in', values.slice(i, i + IN_CHUNK)).execute()));
    }
    rows.sort((a, b) => a.id - b.id);
    return this.#withHolds(rows);
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

  async insertAccounts(accounts: readonly NewAccount[]): Promise<Account[]> {
    this.#mustWrite('insertAccounts');
    const out: Account[] = [];
    for (let i = 0; i < accounts.length; i += INSERT_CHUNK) {
      const chunk = accounts.slice(i, i + INSERT_CHUNK);
      const rows = chunk.map(fromNewAccount);
      let returned: Array<{ id: number; username: string }>;
      try {
        returned = await this.#db.insertInto('accounts').values(rows).returning(['id', 'username']).execute();
      } catch (e) {
        // A failed statement aborts a PostgreSQL transaction, so the culprit
        // cannot be looked up here; the caller retries item by item to name it.
        const which = uniqueViolation(e);
        if (which !== undefined) throw new RosterError('conflict', `an account of this batch collides with an existing one (${which.trim()})`);
        if (isForeignKeyViolation(e)) throw new RosterError('not_found', 'an account of this batch names a person who does not exist');
        throw e;
      }
      // RETURNING order is not promised to follow VALUES order: match by name.
      const ids = new Map(returned.map((r) => [r.username, r.id]));
      rows.forEach((row) => {
        const id = ids.get(row.username);
        if (id === undefined) throw new RosterError('internal', `inserted account ${row.username} came back without an id`);
        out.push(toAccount({ ...row, id }, []));
      });
    }
    return out;
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

  async reservationsOfPeople(personIds: readonly string[]): Promise<Reservation[]> {
    const ids = [...new Set(personIds)];
    const out: Reservation[] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const rows = await this.#db.selectFrom('reservations').selectAll().where('person_id', 'in', ids.slice(i, i + IN_CHUNK)).execute();
      out.push(...rows.map(toReservation));
    }
    return out.sort((a, b) => a.uid - b.uid);
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

  async allocateUids(requests: ReadonlyArray<{ readonly username: string; readonly personId: string }>, range: { readonly min: number; readonly max: number }, now: string): Promise<number[]> {
    this.#mustWrite('allocateUids');
    checkRange(range, 'UID');
    if (requests.length === 0) return [];
    const at = utc(now, 'now');
    const counter = await this.#lockCounter('uid');
    const seen = new Set<string>();
    for (const r of requests) {
      const lower = r.username.toLowerCase();
      if (seen.has(lower)) throw new RosterError('conflict', `username ${r.username} is requested twice`);
      seen.add(lower);
    }
    const reserved = new Map<string, Selectable<ReservationsTable>>();
    const lowers = [...seen];
    for (let i = 0; i < lowers.length; i += IN_CHUNK) {
      const rows = await this.#db.selectFrom('reservations').selectAll().where(sql<string>`lower(username)`, 'in', lowers.slice(i, i + IN_CHUNK)).execute();
      for (const row of rows) reserved.set(row.username.toLowerCase(), row);
    }
    const uids: number[] = [];
    const fresh: number[] = [];
    requests.forEach((r, i) => {
      const own = reserved.get(r.username.toLowerCase());
      if (own === undefined) {
        fresh.push(i);
        uids.push(0);
        return;
      }
      if (own.person_id !== r.personId) throw new RosterError('conflict', `username ${r.username} is reserved for someone else`);
      if (own.username !== r.username) throw new RosterError('conflict', `username ${r.username} is reserved as ${own.username}`);
      uids.push(Number(own.uid));
    });
    if (fresh.length === 0) return uids;
    const numbers = await this.#freeNumbers(Math.max(counter, range.min - 1) + 1, range.max, fresh.length, ['reservations', 'uid'], ['accounts', 'uid']);
    if (numbers.length < fresh.length) throw new RosterError('bad_input', `UID range ${range.min}–${range.max} is exhausted`);
    const rows: ReservationsTable[] = fresh.map((index, k) => {
      const uid = numbers[k] ?? 0;
      uids[index] = uid;
      const r = requests[index];
      return { username: r?.username ?? '', uid, person_id: r?.personId ?? '', created_at: at };
    });
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      try {
        await this.#db.insertInto('reservations').values(rows.slice(i, i + INSERT_CHUNK)).execute();
      } catch (e) {
        if (uniqueViolation(e) !== undefined) throw new RosterError('conflict', 'a username or UID of this batch was reserved meanwhile');
        throw e;
      }
    }
    // The numbers are in ascending order; no spread, whose argument count is bounded by the stack.
    await this.#raiseCounter('uid', numbers[numbers.length - 1] ?? 0);
    return uids;
  }

  async takenNames(names: readonly string[]): Promise<Set<string>> {
    const lowers = [...new Set(names.map((n) => n.toLowerCase()))];
    const taken = new Set<string>();
    for (let i = 0; i < lowers.length; i += IN_CHUNK) {
      const chunk = lowers.slice(i, i + IN_CHUNK);
      // Each query matches a lower(…) expression index, as nameTaken does.
      for (const [table, column] of [['accounts', 'username'], ['reservations', 'username'], ['groups', 'name']] as const) {
        const rows = await this.#db.selectFrom(table).select(sql<string>`lower(${sql.ref(column)})`.as('n')).where(sql<string>`lower(${sql.ref(column)})`, 'in', chunk).execute();
        for (const r of rows) taken.add(r.n);
      }
    }
    return taken;
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

  async deletePurgedAccounts(ids: readonly number[]): Promise<number> {
    this.#mustWrite('deletePurgedAccounts');
    let deleted = 0;
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const chunk = ids.slice(i, i + IN_CHUNK);
      const purged = (await this.#db.selectFrom('accounts').select('id').where('id', 'in', chunk).where('purged_at', 'is not', null).execute()).map((r) => Number(r.id));
      if (purged.length === 0) continue;
      // Explicit rather than relying on ON DELETE CASCADE, which SQLite applies only with foreign_keys on.
      await this.#db.deleteFrom('holds').where('account_id', 'in', purged).execute();
      await this.#db.deleteFrom('scim_users').where('account_id', 'in', purged).execute();
      const result = await this.#db.deleteFrom('accounts').where('id', 'in', purged).where('purged_at', 'is not', null).executeTakeFirst();
      deleted += Number(result.numDeletedRows);
    }
    return deleted;
  }

  async idsInUse(kind: 'uid' | 'gid', range: { readonly min: number; readonly max: number }): Promise<{ readonly from: number; readonly used: number[] }> {
    checkRange(range, kind === 'uid' ? 'UID' : 'GID');
    const counter = Number((await this.#db.selectFrom('counters').select('value').where('name', '=', kind).executeTakeFirstOrThrow()).value);
    // The same start and the same columns as allocateUids and allocateGid.
    const from = Math.max(counter, range.min - 1) + 1;
    if (from > range.max) return { from, used: [] };
    const a = kind === 'uid' ? 'reservations' : 'groups';
    const column = sql.ref(kind);
    const rows = await this.#db
      .selectFrom(a)
      .select(sql<number>`${column}`.as('n'))
      .where(column, '>=', from)
      .where(column, '<=', range.max)
      .union((eb) => eb.selectFrom('accounts').select(sql<number>`${column}`.as('n')).where(column, '>=', from).where(column, '<=', range.max))
      .orderBy('n')
      .execute();
    return { from, used: rows.map((r) => Number(r.n)) };
  }

  // ----------------------------------------------------------------- groups

  async getGroup(name: string): Promise<Group | undefined> {
    const row = await this.#db.selectFrom('groups').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toGroup(row);
  }

  async gidsTaken(min: number, max: number): Promise<number[]> {
    if (min > max) return [];
    const rows = await this.#db
      .selectFrom('groups')
      .select('gid')
      .where('gid', '>=', min)
      .where('gid', '<=', max)
      .union((eb) => eb.selectFrom('accounts').select('gid').where('gid', '>=', min).where('gid', '<=', max).where('purged_at', 'is', null))
      .orderBy('gid')
      .execute();
    return rows.map((r) => Number(r.gid));
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

  async listNotices(personId: string): Promise<Notice[]> {
    const rows = await this.#db.selectFrom('notices').selectAll().where('person_id', '=', personId).orderBy('at').orderBy('kind').execute();
    return rows.map((r) => ({ personId: r.person_id, kind: r.kind, runOutDate: r.run_out_date, at: r.at }));
  }

  // --------------------------------------------------------------- job runs

  async insertJobRun(run: NewJobRun): Promise<JobRun> {
    this.#mustWrite('insertJobRun');
    const row = {
      job: run.job,
      slot: utc(run.slot, 'job slot'),
      started_at: utc(run.startedAt, 'job startedAt'),
      finished_at: null,
      result: 'running',
      owner: run.owner,
      started_by: run.startedBy,
      forced: run.forced ? 1 : 0,
      counts: '{}',
      message: null,
    };
    const { id } = await this.#db.insertInto('job_runs').values(row).returning('id').executeTakeFirstOrThrow();
    return toJobRun({ ...row, id });
  }

  async finishJobRun(id: number, end: JobRunEnd): Promise<void> {
    this.#mustWrite('finishJobRun');
    const result = await this.#db
      .updateTable('job_runs')
      .set({ finished_at: utc(end.finishedAt, 'job finishedAt'), result: end.result, counts: JSON.stringify(end.counts), message: end.message })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new RosterError('not_found', `job run #${id} does not exist`);
  }

  async listJobRuns(filter: { readonly job?: string; readonly results?: readonly JobResult[]; readonly limit?: number } = {}): Promise<JobRun[]> {
    let q = this.#db.selectFrom('job_runs').selectAll().orderBy('id', 'desc');
    if (filter.job !== undefined) q = q.where('job', '=', filter.job);
    if (filter.results !== undefined) {
      if (filter.results.length === 0) return [];
      q = q.where('result', 'in', [...filter.results]);
    }
    if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
    return (await q.execute()).map(toJobRun);
  }

  // ----------------------------------------------------------------- outbox

  async enqueueMessages(messages: readonly NewOutboxMessage[]): Promise<number> {
    this.#mustWrite('enqueueMessages');
    let added = 0;
    for (let i = 0; i < messages.length; i += INSERT_CHUNK) {
      const rows = messages.slice(i, i + INSERT_CHUNK).map((m) => {
        const queuedAt = utc(m.queuedAt, 'message queuedAt');
        return {
          kind: m.kind,
          recipient: m.recipient,
          data: canonicalJson(m.data),
          dedupe_key: m.dedupeKey,
          status: m.recipient === null ? 'unaddressed' : 'queued',
          attempts: 0,
          last_error: m.recipient === null ? 'no e-mail address on record' : null,
          queued_at: queuedAt,
          next_attempt_at: m.recipient === null ? null : queuedAt,
          sent_at: null,
          subject: null,
        };
      });
      // A dedupe key seen before (an interrupted job run again) adds nothing.
      const result = await this.#db.insertInto('outbox').values(rows).onConflict((oc) => oc.column('dedupe_key').doNothing()).executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
    return added;
  }

  async dueMessages(now: string, limit: number, afterId?: number): Promise<OutboxMessage[]> {
    const rows = await this.#db
      .selectFrom('outbox')
      .selectAll()
      .where('status', '=', 'queued')
      .where('next_attempt_at', '<=', utc(now, 'now'))
      .$if(afterId !== undefined, (q) => q.where('id', '>', afterId ?? 0))
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(pageSize(limit))
      .execute();
    return rows.map(toOutboxMessage);
  }

  async updateMessage(id: number, patch: OutboxPatch): Promise<void> {
    this.#mustWrite('updateMessage');
    const set: Updateable<OutboxTable> = {};
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.attempts !== undefined) set.attempts = patch.attempts;
    if (patch.lastError !== undefined) set.last_error = patch.lastError;
    if (patch.nextAttemptAt !== undefined) set.next_attempt_at = utcOrNull(patch.nextAttemptAt, 'nextAttemptAt');
    if (patch.sentAt !== undefined) set.sent_at = utcOrNull(patch.sentAt, 'sentAt');
    if (patch.subject !== undefined) set.subject = patch.subject;
    if (Object.keys(set).length === 0) return;
    const result = await this.#db.updateTable('outbox').set(set).where('id', '=', id).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new RosterError('not_found', `message #${id} does not exist`);
  }

  async listMessages(filter: { readonly status?: OutboxStatus; readonly kind?: string; readonly limit?: number } = {}): Promise<OutboxMessage[]> {
    let q = this.#db.selectFrom('outbox').selectAll().orderBy('id', 'desc');
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
    if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
    return (await q.execute()).map(toOutboxMessage);
  }

  async countMessages(): Promise<Readonly<Record<OutboxStatus, number>>> {
    const rows = await this.#db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll<number | string>().as('n')]).groupBy('status').execute();
    const counts: Record<OutboxStatus, number> = { queued: 0, sent: 0, failed: 0, unaddressed: 0 };
    for (const r of rows) if ((OUTBOX_STATUSES as readonly string[]).includes(r.status)) counts[r.status as OutboxStatus] = Number(r.n);
    return counts;
  }

  // ------------------------------------------------------------------ audit

  async appendAudit(entry: AuditEntry): Promise<AuditRecord> {
    this.#mustWrite('appendAudit');
    const [record] = await this.appendAudits([entry]);
    if (record === undefined) throw new RosterError('internal', 'audit append returned no record');
    return record;
  }

  async appendAudits(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    this.#mustWrite('appendAudits');
    if (entries.length === 0) return [];
    // Locking the head serialises appends on PostgreSQL; seq and prevHash
    // come from it, and it moves in this same transaction, so a rolled-back
    // change leaves no record and no gap.
    const head = await this.#db
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .$if(this.#dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirstOrThrow();
    // The same chain appendAudit would build one call at a time.
    let seq = Number(head.seq);
    let prevHash = head.hash;
    const records: AuditRecord[] = entries.map((entry) => {
      seq += 1;
      const fields = {
        seq,
        at: utc(entry.at, 'audit at'),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        before: normaliseSummary(entry.before),
        after: normaliseSummary(entry.after),
        result: entry.result,
        prevHash,
      };
      const record: AuditRecord = { ...fields, hash: auditHash(fields) };
      prevHash = record.hash;
      return record;
    });
    for (let i = 0; i < records.length; i += INSERT_CHUNK) {
      await this.#db
        .insertInto('audit')
        .values(
          records.slice(i, i + INSERT_CHUNK).map((record) => ({
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
          })),
        )
        .execute();
    }
    await this.#db.updateTable('audit_head').set({ seq, hash: prevHash }).where('id', '=', 1).execute();
    return records;
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
   * Up to `count` numbers in [start, max], in order, used by none of the
   * given columns: #firstFree for many, a page of used numbers per round trip.
   */
  async #freeNumbers(start: number, max: number, count: number, ...columns: ReadonlyArray<readonly ['reservations' | 'accounts' | 'groups', 'uid' | 'gid']>): Promise<number[]> {
    const out: number[] = [];
    let candidate = start;
    while (out.length < count && candidate <= max) {
      const used = new Set<number>();
      let pageEnd = max;
      for (const [table, column] of columns) {
        const values = await this.#usedFrom(table, column, candidate, max);
        for (const v of values) used.add(v);
        if (values.length === GAP_PAGE) pageEnd = Math.min(pageEnd, values[values.length - 1] ?? max);
      }
      for (; candidate <= pageEnd && out.length < count; candidate++) if (!used.has(candidate)) out.push(candidate);
    }
    return out;
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
function toJobRun(r: Selectable<JobRunsTable>): JobRun {
  const result = (JOB_RESULTS as readonly string[]).includes(r.result) ? (r.result as JobResult) : 'failed';
  const counts: Record<string, number> = {};
  const parsed = parseJsonOrText(r.counts);
  if (typeof parsed === 'object' && parsed !== null) for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') counts[k] = v;
  return {
    id: r.id,
    job: r.job,
    slot: r.slot,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    result,
    owner: r.owner,
    startedBy: r.started_by,
    forced: r.forced !== 0,
    counts,
    message: r.message,
  };
}

function toOutboxMessage(r: Selectable<OutboxTable>): OutboxMessage {
  const data = parseJsonOrText(r.data);
  return {
    id: r.id,
    kind: r.kind,
    recipient: r.recipient,
    data: typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
    dedupeKey: r.dedupe_key,
    status: (OUTBOX_STATUSES as readonly string[]).includes(r.status) ? (r.status as OutboxStatus) : 'failed',
    attempts: Number(r.attempts),
    lastError: r.last_error,
    queuedAt: r.queued_at,
    nextAttemptAt: r.next_attempt_at,
    sentAt: r.sent_at,
    subject: r.subject,
  };
}

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
