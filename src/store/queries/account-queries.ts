import { sql, type Kysely, type Selectable, type SelectQueryBuilder, type Updateable } from 'kysely';
import type { Account, Hold, HoldKind } from '../../domain/account.js';
import { RosterError } from '../../domain/errors.js';
import type { AccountsTable, HoldsTable, RosterDatabase } from '../database-schema.js';
import { isForeignKeyViolation, uniqueViolation } from '../store-errors.js';
import type { QueryScope } from './query-scope.js';
import { IN_CHUNK, INSERT_CHUNK, pageSize, stringList, toNumber, utc, utcOrNull } from './row-values.js';

export interface AccountFilter {
  readonly type?: string;
  readonly personId?: string;
  /** Include purged tombstones (default false). */
  readonly includePurged?: boolean;
  /** Only accounts of people of this source (a roster source name, `manual`, `scim`). */
  readonly source?: string;
  /** Keyset pagination: accounts with id > afterId, ordered by id. */
  readonly afterId?: number;
  readonly limit?: number;
}

export type NewAccount = Omit<Account, 'id' | 'holds'>;
export type AccountPatch = Partial<Omit<Account, 'id' | 'holds' | 'createdAt'>>;

/** Accounts, read with their holds. */
export interface AccountReads {
  getAccount(username: string): Promise<Account | undefined>;
  getAccountById(id: number): Promise<Account | undefined>;
  /** The accounts of these ids that exist (tombstones too), in id order. */
  getAccountsByIds(ids: readonly number[]): Promise<Account[]>;
  listAccounts(filter?: AccountFilter): Promise<Account[]>;
  /** Every account (tombstones too) of these people, in id order: a batch checks "one live account per type" without a query per item. */
  accountsOfPeople(personIds: readonly string[]): Promise<Account[]>;
  /** The accounts (tombstones too) with exactly these usernames, in id order: getAccount for many. */
  accountsByUsernames(usernames: readonly string[]): Promise<Account[]>;
  countAccounts(filter?: { readonly type?: string; readonly includePurged?: boolean }): Promise<number>;
  /** Accounts not yet purged with purgeAt <= now, through the purge index (never a full scan). */
  purgeCandidates(now: string, limit?: number): Promise<Array<{ readonly id: number; readonly username: string; readonly purgeAt: string }>>;
}

export interface AccountWrites {
  insertAccount(account: NewAccount): Promise<Account>;
  /** insertAccount for many, in a few statements; the result is in the order given. */
  insertAccounts(accounts: readonly NewAccount[]): Promise<Account[]>;
  updateAccount(id: number, patch: AccountPatch): Promise<void>;
  /** Insert or replace the hold with the same (kind, reason). */
  putHold(accountId: number, hold: Hold): Promise<void>;
  removeHold(accountId: number, kind: HoldKind, reason: string): Promise<void>;
  /**
   * Deletes purged tombstones (with their holds and SCIM records) by id, so
   * their usernames can be chosen again; live accounts are never deleted.
   * Returns how many went. The UID high-water mark stays where it is: every
   * account's UID was allocated, so it is at or below the mark and is never
   * handed out again.
   */
  deletePurgedAccounts(ids: readonly number[]): Promise<number>;
}

export type AccountQueries = AccountReads & AccountWrites;

export function accountQueries(s: QueryScope): AccountQueries {
  const withHolds = async (rows: ReadonlyArray<Selectable<AccountsTable>>): Promise<Account[]> => {
    const holds = new Map<number, Hold[]>();
    for (let i = 0; i < rows.length; i += IN_CHUNK) {
      const ids = rows.slice(i, i + IN_CHUNK).map((r) => r.id);
      const found = await s.db.selectFrom('holds').selectAll().where('account_id', 'in', ids).orderBy('account_id').orderBy('since').orderBy('kind').orderBy('reason').execute();
      for (const h of found) {
        const list = holds.get(h.account_id) ?? [];
        list.push(toHold(h));
        holds.set(h.account_id, list);
      }
    }
    return rows.map((r) => toAccount(r, holds.get(r.id) ?? []));
  };
  const accountsWhere = async (column: 'person_id' | 'username', values: readonly string[]): Promise<Account[]> => {
    const rows: Array<Selectable<AccountsTable>> = [];
    for (let i = 0; i < values.length; i += IN_CHUNK) {
      rows.push(...(await s.db.selectFrom('accounts').selectAll().where(column, 'in', values.slice(i, i + IN_CHUNK)).execute()));
    }
    rows.sort((a, b) => a.id - b.id);
    return withHolds(rows);
  };
  const getAccountById = async (id: number): Promise<Account | undefined> => {
    const row = await s.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : (await withHolds([row]))[0];
  };
  return {
    async getAccount(username) {
      const row = await s.db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
      return row === undefined ? undefined : (await withHolds([row]))[0];
    },
    async getAccountsByIds(ids) {
      const rows: Array<Selectable<AccountsTable>> = [];
      for (let i = 0; i < ids.length; i += IN_CHUNK) {
        rows.push(...(await s.db.selectFrom('accounts').selectAll().where('id', 'in', ids.slice(i, i + IN_CHUNK)).execute()));
      }
      rows.sort((a, b) => a.id - b.id);
      return withHolds(rows);
    },
    getAccountById,
    async listAccounts(filter = {}) {
      let q = s.db.selectFrom('accounts').selectAll().orderBy('id');
      if (filter.type !== undefined) q = q.where('type', '=', filter.type);
      if (filter.personId !== undefined) q = q.where('person_id', '=', filter.personId);
      if (filter.source !== undefined) {
        const source = filter.source;
        q = q.where('person_id', 'in', (eb) => eb.selectFrom('people').select('people.id').where('people.source', '=', source));
      }
      if (filter.includePurged !== true) q = q.where('purged_at', 'is', null);
      if (filter.afterId !== undefined) q = q.where('id', '>', filter.afterId);
      if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
      return withHolds(await q.execute());
    },
    async accountsOfPeople(personIds) {
      return accountsWhere('person_id', [...new Set(personIds)]);
    },
    async accountsByUsernames(usernames) {
      return accountsWhere('username', [...new Set(usernames)]);
    },
    async countAccounts(filter = {}) {
      let q = s.db.selectFrom('accounts').select((eb) => eb.fn.countAll<number | string>().as('n'));
      if (filter.type !== undefined) q = q.where('type', '=', filter.type);
      if (filter.includePurged !== true) q = q.where('purged_at', 'is', null);
      const row = await q.executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async purgeCandidates(now, limit) {
      const rows = await purgeCandidatesQuery(s.db, utc(now, 'now'), limit).execute();
      return rows.map((r) => ({ id: r.id, username: r.username, purgeAt: r.purge_at }));
    },

    async insertAccount(account) {
      s.mustWrite('insertAccount');
      const row = fromNewAccount(account);
      try {
        const { id } = await s.db.insertInto('accounts').values(row).returning('id').executeTakeFirstOrThrow();
        return toAccount({ ...row, id }, []);
      } catch (e) {
        throw accountConflict(e, account);
      }
    },
    async insertAccounts(accounts) {
      s.mustWrite('insertAccounts');
      const out: Account[] = [];
      for (let i = 0; i < accounts.length; i += INSERT_CHUNK) {
        const chunk = accounts.slice(i, i + INSERT_CHUNK);
        const rows = chunk.map(fromNewAccount);
        let returned: Array<{ id: number; username: string }>;
        try {
          returned = await s.db.insertInto('accounts').values(rows).returning(['id', 'username']).execute();
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
    },
    async updateAccount(id, patch) {
      s.mustWrite('updateAccount');
      const set = accountPatchRow(patch);
      if (Object.keys(set).length === 0) {
        if ((await getAccountById(id)) === undefined) throw new RosterError('not_found', `account #${id} does not exist`);
        return;
      }
      try {
        const result = await s.db.updateTable('accounts').set(set).where('id', '=', id).executeTakeFirst();
        if (result.numUpdatedRows === 0n) throw new RosterError('not_found', `account #${id} does not exist`);
      } catch (e) {
        throw accountConflict(e, patch);
      }
    },
    async putHold(accountId, hold) {
      s.mustWrite('putHold');
      const row: HoldsTable = { account_id: accountId, kind: hold.kind, reason: hold.reason, since: utc(hold.since, 'hold since'), note: hold.note, set_by: hold.setBy };
      try {
        await s.db
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
    },
    async removeHold(accountId, kind, reason) {
      s.mustWrite('removeHold');
      await s.db.deleteFrom('holds').where('account_id', '=', accountId).where('kind', '=', kind).where('reason', '=', reason).execute();
    },
    async deletePurgedAccounts(ids) {
      s.mustWrite('deletePurgedAccounts');
      let deleted = 0;
      for (let i = 0; i < ids.length; i += IN_CHUNK) {
        const chunk = ids.slice(i, i + IN_CHUNK);
        const purged = (await s.db.selectFrom('accounts').select('id').where('id', 'in', chunk).where('purged_at', 'is not', null).execute()).map((r) => toNumber(r.id));
        if (purged.length === 0) continue;
        // Explicit rather than relying on ON DELETE CASCADE, which SQLite applies only with foreign_keys on.
        await s.db.deleteFrom('holds').where('account_id', 'in', purged).execute();
        await s.db.deleteFrom('scim_users').where('account_id', 'in', purged).execute();
        await s.db.deleteFrom('resources').where('account_id', 'in', purged).execute();
        await s.db.deleteFrom('usage_figures').where('account_id', 'in', purged).execute();
        const result = await s.db.deleteFrom('accounts').where('id', 'in', purged).where('purged_at', 'is not', null).executeTakeFirst();
        deleted += Number(result.numDeletedRows);
      }
      return deleted;
    },
  };
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

export function toHold(r: Selectable<HoldsTable>): Hold {
  if (r.kind !== 'freeze' && r.kind !== 'retired') throw new RosterError('internal', `stored hold kind ${r.kind} is unknown`);
  return { kind: r.kind, reason: r.reason, since: r.since, note: r.note, setBy: r.set_by };
}

export function toAccount(r: Selectable<AccountsTable>, holds: readonly Hold[]): Account {
  return {
    id: r.id,
    personId: r.person_id,
    type: r.type,
    username: r.username,
    uid: toNumber(r.uid),
    gid: toNumber(r.gid),
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
