import DataLoader from 'dataloader';
import { sql, type CompiledQuery, type Kysely, type Selectable } from 'kysely';
import type { Account, Hold } from '../../domain/account.js';
import { RosterError } from '../../domain/errors.js';
import type { Person } from '../../domain/person.js';
import type { AccountsTable, HoldsTable, PeopleTable, RosterDatabase, ScimGroupsTable, ScimUsersTable } from '../database-schema.js';
import { uniqueViolation } from '../store-errors.js';
import { toAccount, toHold } from './account-queries.js';
import { joinedSelect, joinedTable } from './joined-columns.js';
import { toPerson } from './people-queries.js';
import { valueRows, type PgRows, type QueryScope } from './query-scope.js';
import { IN_CHUNK, jsonObject, toNumber } from './row-values.js';

export interface ScimUser {
  readonly accountId: number;
  /** As the IdP sent it; unique without regard to case. */
  readonly userName: string;
  readonly externalId: string | null;
  /** Set by a SCIM DELETE: the account is retiring and SCIM answers 404 for it. */
  readonly deletedAt: string | null;
  /** The attributes the IdP sent that Roster does not model, returned as sent. */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ScimGroup {
  readonly groupName: string;
  readonly displayName: string;
  readonly externalId: string | null;
  /** What the IdP sent that the group does not model (members' display names), returned as sent. */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An account with what SCIM shows of it. */
export interface ScimAccount {
  readonly account: Account;
  readonly person: Person | undefined;
  readonly scim: ScimUser | undefined;
}

/** The SCIM identity of accounts and groups. */
export interface ScimReads {
  /**
   * Account `accountId` (tombstones too) with its holds, person and SCIM
   * record, in one statement: SCIM GET by id is what an IdP asks most, and
   * four reads cost four round trips.
   */
  scimAccount(accountId: number): Promise<ScimAccount | undefined>;
  getScimUser(accountId: number): Promise<ScimUser | undefined>;
  getScimUsers(accountIds: readonly number[]): Promise<ScimUser[]>;
  /** The SCIM record whose userName equals `userName` without regard to case. */
  findScimUserByName(userName: string): Promise<ScimUser | undefined>;
  /**
   * Accounts whose SCIM userName is `userName` without regard to case: the
   * one a SCIM record names, and the one whose Unix username it is when SCIM
   * has not named that account. Both through indexes.
   */
  accountIdsByScimUserName(userName: string): Promise<number[]>;
  accountIdsByExternalId(externalId: string): Promise<number[]>;
  /** Accounts SCIM shows (not purged, not deleted through SCIM), in id order: one page and the total. */
  scimAccountPage(page: { readonly offset: number; readonly limit: number }): Promise<{ readonly ids: number[]; readonly total: number }>;
  getScimGroups(groupNames: readonly string[]): Promise<ScimGroup[]>;
  groupNamesByDisplayName(displayName: string): Promise<string[]>;
}

export interface ScimWrites {
  /** Insert or replace by account id. */
  putScimUser(user: ScimUser): Promise<void>;
  putScimGroup(group: ScimGroup): Promise<void>;
}

export type ScimQueries = ScimReads & ScimWrites;

export function scimQueries(s: QueryScope): ScimQueries {
  const batch = s.pgRows === undefined ? undefined : scimAccountBatch(s.db, s.pgRows);
  return {
    async scimAccount(accountId) {
      return scimAccountOf(batch === undefined ? await valueRows(s, scimAccountQuery(s.db, accountId), SCIM_ACCOUNT.names) : await batch.load(accountId));
    },
    async getScimUser(accountId) {
      const row = await s.db.selectFrom('scim_users').selectAll().where('account_id', '=', accountId).executeTakeFirst();
      return row === undefined ? undefined : toScimUser(row);
    },
    async getScimUsers(accountIds) {
      const out: ScimUser[] = [];
      for (let i = 0; i < accountIds.length; i += IN_CHUNK) {
        const rows = await s.db.selectFrom('scim_users').selectAll().where('account_id', 'in', accountIds.slice(i, i + IN_CHUNK)).execute();
        out.push(...rows.map(toScimUser));
      }
      return out;
    },
    async findScimUserByName(userName) {
      const row = await s.db.selectFrom('scim_users').selectAll().where(sql<string>`lower(user_name)`, '=', sql<string>`lower(${userName})`).executeTakeFirst();
      return row === undefined ? undefined : toScimUser(row);
    },
    async accountIdsByScimUserName(userName) {
      const query = scimUserNameQuery(s.db, userName);
      const rows = await valueRows(s, query, ['id']);
      return rows.map((r) => Number(r[0]));
    },
    async accountIdsByExternalId(externalId) {
      const rows = await s.db.selectFrom('scim_users').select('account_id').where('external_id', '=', externalId).orderBy('account_id').execute();
      return rows.map((r) => toNumber(r.account_id));
    },
    async putScimUser(user) {
      s.mustWrite('putScimUser');
      const row: ScimUsersTable = {
        account_id: user.accountId,
        user_name: user.userName,
        external_id: user.externalId,
        deleted_at: user.deletedAt,
        attributes: JSON.stringify(user.attributes),
        created_at: user.createdAt,
        updated_at: user.updatedAt,
      };
      try {
        await s.db
          .insertInto('scim_users')
          .values(row)
          .onConflict((oc) =>
            oc.column('account_id').doUpdateSet((eb) => ({
              user_name: eb.ref('excluded.user_name'),
              external_id: eb.ref('excluded.external_id'),
              deleted_at: eb.ref('excluded.deleted_at'),
              attributes: eb.ref('excluded.attributes'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      } catch (e) {
        if (uniqueViolation(e) !== undefined) throw new RosterError('conflict', `userName ${user.userName} is already in use (userName is unique without regard to case)`);
        throw e;
      }
    },
    async scimAccountPage(page) {
      const visible = s.db
        .selectFrom('accounts')
        .leftJoin('scim_users', 'scim_users.account_id', 'accounts.id')
        .where('accounts.purged_at', 'is', null)
        .where('scim_users.deleted_at', 'is', null);
      const rows = await visible.select('accounts.id').orderBy('accounts.id').limit(page.limit).offset(page.offset).execute();
      const count = await visible.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      return { ids: rows.map((r) => toNumber(r.id)), total: Number(count.n) };
    },
    async getScimGroups(groupNames) {
      const out: ScimGroup[] = [];
      for (let i = 0; i < groupNames.length; i += IN_CHUNK) {
        const rows = await s.db.selectFrom('scim_groups').selectAll().where('group_name', 'in', groupNames.slice(i, i + IN_CHUNK)).execute();
        out.push(...rows.map(toScimGroup));
      }
      return out;
    },
    async groupNamesByDisplayName(displayName) {
      const lowered = sql<string>`lower(${displayName})`;
      const rows = await s.db
        .selectFrom('scim_groups')
        .select(sql<string>`group_name`.as('name'))
        .where(sql<string>`lower(display_name)`, '=', lowered)
        .unionAll((eb) =>
          eb
            .selectFrom('groups')
            .select(sql<string>`groups.name`.as('name'))
            .where(sql<string>`lower(name)`, '=', lowered)
            .where((w) => w.not(w.exists(w.selectFrom('scim_groups').select(sql<number>`1`.as('one')).whereRef('scim_groups.group_name', '=', 'groups.name')))),
        )
        .execute();
      return rows.map((r) => r.name);
    },
    async putScimGroup(group) {
      s.mustWrite('putScimGroup');
      const row: ScimGroupsTable = {
        group_name: group.groupName,
        display_name: group.displayName,
        external_id: group.externalId,
        attributes: JSON.stringify(group.attributes),
        created_at: group.createdAt,
        updated_at: group.updatedAt,
      };
      await s.db
        .insertInto('scim_groups')
        .values(row)
        .onConflict((oc) =>
          oc.column('group_name').doUpdateSet((eb) => ({
            display_name: eb.ref('excluded.display_name'),
            external_id: eb.ref('excluded.external_id'),
            attributes: eb.ref('excluded.attributes'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    },
  };
}

const ACCOUNT = joinedTable<Selectable<AccountsTable>>(
  'a',
  {
    id: true,
    person_id: true,
    type: true,
    username: true,
    uid: true,
    gid: true,
    primary_group: true,
    gecos: true,
    shell: true,
    home: true,
    password_hash: true,
    principal: true,
    groups: true,
    expires_at: true,
    purge_at: true,
    purged_at: true,
    pending: true,
    created_at: true,
    updated_at: true,
  },
  'id',
);
const PERSON = joinedTable<Selectable<PeopleTable>>(
  'p',
  { id: true, source: true, first_name: true, last_name: true, roles: true, classes: true, campuses: true, majors: true, emails: true, verification: true, created_at: true, updated_at: true },
  'id',
);
const SCIM_USER = joinedTable<Selectable<ScimUsersTable>>('s', { account_id: true, user_name: true, external_id: true, deleted_at: true, attributes: true, created_at: true, updated_at: true }, 'account_id');
const HOLD = joinedTable<Selectable<HoldsTable>>('h', { account_id: true, kind: true, reason: true, since: true, note: true, set_by: true }, 'kind');
const SCIM_ACCOUNT = joinedSelect([ACCOUNT, PERSON, SCIM_USER, HOLD]);
const readAccount = SCIM_ACCOUNT.read(ACCOUNT);
const readPerson = SCIM_ACCOUNT.read(PERSON);
const readScimUser = SCIM_ACCOUNT.read(SCIM_USER);
const readHold = SCIM_ACCOUNT.read(HOLD);
/** The join of scimAccount's statements: one row per hold (none: one row with null hold columns). */
const SCIM_ACCOUNT_FROM = sql.raw(`
  from accounts a
  left join people p on p.id = a.person_id
  left join scim_users s on s.account_id = a.id
  left join holds h on h.account_id = a.id`);

/** accountIdsByScimUserName's statement, compiled once per database. */
const scimUserNameStatements = new WeakMap<object, CompiledQuery<{ id: number | string }>>();

/**
 * accountIdsByScimUserName's statement for `userName`: written as SQL
 * rather than built (an IdP asks it before every create, and building the
 * union with Kysely cost more than running it), compiled once. Each
 * branch matches a lower(…) expression index.
 */
function scimUserNameQuery(db: Kysely<RosterDatabase>, userName: string): CompiledQuery<{ id: number | string }> {
  let compiled = scimUserNameStatements.get(db);
  if (compiled === undefined) {
    compiled = sql<{ id: number | string }>`
        select account_id as id from scim_users where lower(user_name) = lower(${''})
        union all
        select a.id from accounts a
         where lower(a.username) = lower(${''})
           and not exists (select 1 from scim_users s where s.account_id = a.id)`.compile(db);
    scimUserNameStatements.set(db, compiled);
  }
  return { ...compiled, parameters: [userName, userName] };
}

/** scimAccount's statement, compiled once per database (its dialect's placeholders). */
const scimAccountStatements = new WeakMap<object, CompiledQuery<Record<string, unknown>>>();

/**
 * scimAccount's statement for `accountId`. Compiled once and run with the
 * id as its parameter: compiling it per call cost more than SQLite's run of
 * it, and the same SQL text each time is found in the statement cache
 * without hashing a new 2 kB string (issue 17: SCIM GET by id).
 */
function scimAccountQuery(db: Kysely<RosterDatabase>, accountId: number): CompiledQuery<Record<string, unknown>> {
  let compiled = scimAccountStatements.get(db);
  if (compiled === undefined) {
    // One row per hold (none: one row with null hold columns), in the order getAccountById gives them.
    compiled = sql<Record<string, unknown>>`
        select ${SCIM_ACCOUNT.select} ${SCIM_ACCOUNT_FROM}
         where a.id = ${0}
         order by h.since, h.kind, h.reason`.compile(db);
    scimAccountStatements.set(db, compiled);
  }
  return { ...compiled, parameters: [accountId] };
}

/** An account's rows of scimAccount's join (one per hold), as the account with what SCIM shows of it. */
function scimAccountOf(rows: readonly unknown[][]): ScimAccount | undefined {
  const first = rows[0];
  const account = first === undefined ? undefined : readAccount(first);
  if (first === undefined || account === undefined) return undefined;
  const holds: Hold[] = [];
  for (const r of rows) {
    const hold = readHold(r);
    if (hold !== undefined) holds.push(toHold(hold));
  }
  const person = readPerson(first);
  const scim = readScimUser(first);
  return { account: toAccount(account, holds), person: person === undefined ? undefined : toPerson(person), scim: scim === undefined ? undefined : toScimUser(scim) };
}

/** Where the account's id is in a row of scimAccount's join. */
const ACCOUNT_ID_AT = SCIM_ACCOUNT.names.indexOf('a_id');

/**
 * On PostgreSQL (store.read), the scimAccount reads asked while the server
 * handles the requests of one event-loop turn go out as one statement
 * (`a.id = any($1)`), each account's rows then handed to its caller. A
 * statement costs a round trip and wakes a PostgreSQL backend, far more than
 * its lookup, and an IdP's GETs by id come many at once: sixteen connections
 * made sixteen statements where one does (issue 17: SCIM GET by id). Batched
 * only: nothing is kept after the statement (no cache), so every read sees
 * the database as of a statement run after it was asked.
 */
function scimAccountBatch(db: Kysely<RosterDatabase>, pgRows: PgRows): DataLoader<number, unknown[][]> {
  return new DataLoader<number, unknown[][]>(
    async (ids) => {
      const rows = await pgRows(scimAccountsText(db), [ids]);
      const byId = new Map<number, unknown[][]>();
      for (const r of rows) {
        const id = toNumber(r[ACCOUNT_ID_AT] as number | string);
        const own = byId.get(id);
        if (own === undefined) byId.set(id, [r]);
        else own.push(r);
      }
      return ids.map((id) => byId.get(id) ?? []);
    },
    // setImmediate: after every request that arrived in this turn's poll has asked, not after the first (process.nextTick).
    { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize: IN_CHUNK },
  );
}

/** The batch statement's text, per database. */
const scimAccountsTexts = new WeakMap<object, string>();

/** scimAccount's statement for any number of accounts, their ids as one array parameter. */
function scimAccountsText(db: Kysely<RosterDatabase>): string {
  let text = scimAccountsTexts.get(db);
  if (text === undefined) {
    text = sql`
        select ${SCIM_ACCOUNT.select} ${SCIM_ACCOUNT_FROM}
         where a.id = any(${[]})
         order by a.id, h.since, h.kind, h.reason`.compile(db).sql;
    scimAccountsTexts.set(db, text);
  }
  return text;
}

function toScimUser(r: Selectable<ScimUsersTable>): ScimUser {
  return {
    accountId: toNumber(r.account_id),
    userName: r.user_name,
    externalId: r.external_id,
    deletedAt: r.deleted_at,
    attributes: jsonObject(r.attributes, 'SCIM attributes'),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toScimGroup(r: Selectable<ScimGroupsTable>): ScimGroup {
  return { groupName: r.group_name, displayName: r.display_name, externalId: r.external_id, attributes: jsonObject(r.attributes, 'SCIM group attributes'), createdAt: r.created_at, updatedAt: r.updated_at };
}
