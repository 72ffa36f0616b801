import { sql, type Kysely, type Selectable } from 'kysely';
import { RosterError } from '../domain/errors.js';
import type { ApiTokensTable, HostReportsTable, MassChangesTable, RosterDatabase, ScimGroupsTable, ScimUsersTable } from './database-schema.js';
import { uniqueViolation } from './store-errors.js';

/**
 * What `roster serve` keeps in the store (migration 0003): API tokens, the
 * SCIM identity of accounts and groups, mass changes awaiting a second
 * admin, and agents' host reports. Part of `Queries`, so every write shares
 * the transaction (and audit record) of the change it belongs to.
 */

export const TOKEN_ROLES = ['admin', 'operator', 'auditor', 'scim', 'agent'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface ApiToken {
  readonly id: number;
  readonly role: TokenRole;
  /** Agent tokens only: the host they act for. */
  readonly host: string | null;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  readonly hash: string;
  readonly note: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

export type NewApiToken = Omit<ApiToken, 'id' | 'revokedAt'>;

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

export interface MassChangeSummary {
  readonly affected: number;
  readonly total: number;
  readonly limit: number;
}

export interface MassChange {
  readonly id: string;
  /** What was refused, e.g. `purge`. */
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly summary: MassChangeSummary;
  readonly requestedBy: string;
  readonly requestedToken: number | null;
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly approvedBy: string | null;
  readonly approvedToken: number | null;
  readonly approvedAt: string | null;
  readonly result: unknown;
}

export type NewMassChange = Omit<MassChange, 'approvedBy' | 'approvedToken' | 'approvedAt' | 'result'>;

export interface HostReport {
  readonly id: number;
  readonly host: string;
  readonly receivedAt: string;
  readonly actor: string;
  readonly revision: string | null;
  readonly ok: boolean;
  readonly report: Readonly<Record<string, unknown>>;
}

export interface ServerQueries {
  // API tokens
  insertApiToken(token: NewApiToken): Promise<ApiToken>;
  getApiToken(id: number): Promise<ApiToken | undefined>;
  getApiTokenByHash(hash: string): Promise<ApiToken | undefined>;
  listApiTokens(): Promise<ApiToken[]>;
  /** True when the token existed and was not revoked yet. */
  revokeApiToken(id: number, at: string): Promise<boolean>;

  // SCIM users
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
  /** Insert or replace by account id. */
  putScimUser(user: ScimUser): Promise<void>;
  /** Accounts SCIM shows (not purged, not deleted through SCIM), in id order: one page and the total. */
  scimAccountPage(page: { readonly offset: number; readonly limit: number }): Promise<{ readonly ids: number[]; readonly total: number }>;

  // SCIM groups
  getScimGroups(groupNames: readonly string[]): Promise<ScimGroup[]>;
  groupNamesByDisplayName(displayName: string): Promise<string[]>;
  putScimGroup(group: ScimGroup): Promise<void>;
  /** Removes a group (and its SCIM record); false when there was none. */
  deleteGroup(name: string): Promise<boolean>;

  // mass changes awaiting approval
  insertMassChange(change: NewMassChange): Promise<void>;
  getMassChange(id: string): Promise<MassChange | undefined>;
  /** Records the approval unless one is already recorded; false then. */
  approveMassChange(id: string, approval: { readonly approvedBy: string; readonly approvedToken: number | null; readonly approvedAt: string }): Promise<boolean>;
  setMassChangeResult(id: string, result: unknown): Promise<void>;
  /** Newest first. */
  listMassChanges(filter?: { readonly limit?: number }): Promise<MassChange[]>;

  // host reports
  insertHostReport(report: Omit<HostReport, 'id'>): Promise<HostReport>;
  /** Newest first. */
  listHostReports(filter: { readonly host: string; readonly beforeId?: number; readonly limit?: number }): Promise<HostReport[]>;
  /** When each host that ever reported last did, and whether that report was clean (no report bodies: read at every metrics scrape). */
  latestHostReports(): Promise<Array<Pick<HostReport, 'host' | 'receivedAt' | 'ok'>>>;
}

/**
 * The ServerQueries over Kysely, for KyselyQueries to delegate to (one
 * implementation for both dialects). `mustWrite` refuses writes on
 * `store.read`, as KyselyQueries does for its own.
 */
export class KyselyServerQueries implements ServerQueries {
  readonly #db: Kysely<RosterDatabase>;
  readonly #mustWrite: (method: string) => void;

  constructor(db: Kysely<RosterDatabase>, mustWrite: (method: string) => void) {
    this.#db = db;
    this.#mustWrite = mustWrite;
  }

  async insertApiToken(token: NewApiToken): Promise<ApiToken> {
    this.#mustWrite('insertApiToken');
    const row = {
      role: token.role,
      host: token.host,
      hash: token.hash,
      note: token.note,
      created_at: token.createdAt,
      created_by: token.createdBy,
      expires_at: token.expiresAt,
      revoked_at: null,
    };
    try {
      const { id } = await this.#db.insertInto('api_tokens').values(row).returning('id').executeTakeFirstOrThrow();
      return toApiToken({ ...row, id });
    } catch (e) {
      if (uniqueViolation(e) !== undefined) throw new RosterError('conflict', 'a token with this hash already exists');
      throw e;
    }
  }

  async getApiToken(id: number): Promise<ApiToken | undefined> {
    const row = await this.#db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toApiToken(row);
  }

  async getApiTokenByHash(hash: string): Promise<ApiToken | undefined> {
    const row = await this.#db.selectFrom('api_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row === undefined ? undefined : toApiToken(row);
  }

  async listApiTokens(): Promise<ApiToken[]> {
    return (await this.#db.selectFrom('api_tokens').selectAll().orderBy('id').execute()).map(toApiToken);
  }

  async revokeApiToken(id: number, at: string): Promise<boolean> {
    this.#mustWrite('revokeApiToken');
    const r = await this.#db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async getScimUser(accountId: number): Promise<ScimUser | undefined> {
    const row = await this.#db.selectFrom('scim_users').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    return row === undefined ? undefined : toScimUser(row);
  }

  async getScimUsers(accountIds: readonly number[]): Promise<ScimUser[]> {
    const out: ScimUser[] = [];
    for (let i = 0; i < accountIds.length; i += IN_CHUNK) {
      const rows = await this.#db.selectFrom('scim_users').selectAll().where('account_id', 'in', accountIds.slice(i, i + IN_CHUNK)).execute();
      out.push(...rows.map(toScimUser));
    }
    return out;
  }

  async findScimUserByName(userName: string): Promise<ScimUser | undefined> {
    const row = await this.#db.selectFrom('scim_users').selectAll().where(sql<string>`lower(user_name)`, '=', sql<string>`lower(${userName})`).executeTakeFirst();
    return row === undefined ? undefined : toScimUser(row);
  }

  async accountIdsByScimUserName(userName: string): Promise<number[]> {
    // Written as SQL rather than built: an IdP asks this before every create,
    // and building the union with Kysely costs more than running it. Each
    // branch matches a lower(…) expression index.
    const { rows } = await sql<{ id: number | string }>`
      select account_id as id from scim_users where lower(user_name) = lower(${userName})
      union all
      select a.id from accounts a
       where lower(a.username) = lower(${userName})
         and not exists (select 1 from scim_users s where s.account_id = a.id)`.execute(this.#db);
    return rows.map((r) => Number(r.id));
  }

  async accountIdsByExternalId(externalId: string): Promise<number[]> {
    const rows = await this.#db.selectFrom('scim_users').select('account_id').where('external_id', '=', externalId).orderBy('account_id').execute();
    return rows.map((r) => Number(r.account_id));
  }

  async putScimUser(user: ScimUser): Promise<void> {
    this.#mustWrite('putScimUser');
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
      await this.#db
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
  }

  async scimAccountPage(page: { readonly offset: number; readonly limit: number }): Promise<{ readonly ids: number[]; readonly total: number }> {
    const visible = this.#db
      .selectFrom('accounts')
      .leftJoin('scim_users', 'scim_users.account_id', 'accounts.id')
      .where('accounts.purged_at', 'is', null)
      .where('scim_users.deleted_at', 'is', null);
    const rows = await visible.select('accounts.id').orderBy('accounts.id').limit(page.limit).offset(page.offset).execute();
    const count = await visible.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return { ids: rows.map((r) => Number(r.id)), total: Number(count.n) };
  }

  async getScimGroups(groupNames: readonly string[]): Promise<ScimGroup[]> {
    const out: ScimGroup[] = [];
    for (let i = 0; i < groupNames.length; i += IN_CHUNK) {
      const rows = await this.#db.selectFrom('scim_groups').selectAll().where('group_name', 'in', groupNames.slice(i, i + IN_CHUNK)).execute();
      out.push(...rows.map(toScimGroup));
    }
    return out;
  }

  async groupNamesByDisplayName(displayName: string): Promise<string[]> {
    const lowered = sql<string>`lower(${displayName})`;
    const rows = await this.#db
      .selectFrom('scim_groups')
      .select(sql<string>`group_name`.as('name'))
      .where(sql<string>`lower(display_name)`, '=', lowered)
      .unionAll((eb) =>
        eb
          .selectFrom('groups')
          .select(sql<string>`groups.name`.as('name'))
          .where(sql<string>`lower(name)`, '=', lowered)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('scim_groups').select(sql<number>`1`.as('one')).whereRef('scim_groups.group_name', '=', 'groups.name')))),
      )
      .execute();
    return rows.map((r) => r.name);
  }

  async putScimGroup(group: ScimGroup): Promise<void> {
    this.#mustWrite('putScimGroup');
    const row: ScimGroupsTable = {
      group_name: group.groupName,
      display_name: group.displayName,
      external_id: group.externalId,
      attributes: JSON.stringify(group.attributes),
      created_at: group.createdAt,
      updated_at: group.updatedAt,
    };
    await this.#db
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
  }

  async deleteGroup(name: string): Promise<boolean> {
    this.#mustWrite('deleteGroup');
    await this.#db.deleteFrom('scim_groups').where('group_name', '=', name).execute();
    const r = await this.#db.deleteFrom('groups').where('name', '=', name).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async insertMassChange(change: NewMassChange): Promise<void> {
    this.#mustWrite('insertMassChange');
    await this.#db
      .insertInto('mass_changes')
      .values({
        id: change.id,
        action: change.action,
        params: JSON.stringify(change.params),
        summary: JSON.stringify(change.summary),
        requested_by: change.requestedBy,
        requested_token: change.requestedToken,
        requested_at: change.requestedAt,
        expires_at: change.expiresAt,
        approved_by: null,
        approved_token: null,
        approved_at: null,
        result: null,
      })
      .execute();
  }

  async getMassChange(id: string): Promise<MassChange | undefined> {
    const row = await this.#db.selectFrom('mass_changes').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toMassChange(row);
  }

  async approveMassChange(id: string, approval: { readonly approvedBy: string; readonly approvedToken: number | null; readonly approvedAt: string }): Promise<boolean> {
    this.#mustWrite('approveMassChange');
    const r = await this.#db
      .updateTable('mass_changes')
      .set({ approved_by: approval.approvedBy, approved_token: approval.approvedToken, approved_at: approval.approvedAt })
      .where('id', '=', id)
      .where('approved_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async setMassChangeResult(id: string, result: unknown): Promise<void> {
    this.#mustWrite('setMassChangeResult');
    await this.#db.updateTable('mass_changes').set({ result: JSON.stringify(result ?? null) }).where('id', '=', id).execute();
  }

  async listMassChanges(filter: { readonly limit?: number } = {}): Promise<MassChange[]> {
    const rows = await this.#db.selectFrom('mass_changes').selectAll().orderBy('requested_at', 'desc').orderBy('id').limit(filter.limit ?? 100).execute();
    return rows.map(toMassChange);
  }

  async insertHostReport(report: Omit<HostReport, 'id'>): Promise<HostReport> {
    this.#mustWrite('insertHostReport');
    const row = { host: report.host, received_at: report.receivedAt, actor: report.actor, revision: report.revision, ok: report.ok ? 1 : 0, report: JSON.stringify(report.report) };
    const { id } = await this.#db.insertInto('host_reports').values(row).returning('id').executeTakeFirstOrThrow();
    return toHostReport({ ...row, id });
  }

  async listHostReports(filter: { readonly host: string; readonly beforeId?: number; readonly limit?: number }): Promise<HostReport[]> {
    let q = this.#db.selectFrom('host_reports').selectAll().where('host', '=', filter.host).orderBy('id', 'desc').limit(filter.limit ?? 20);
    if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
    return (await q.execute()).map(toHostReport);
  }

  async latestHostReports(): Promise<Array<Pick<HostReport, 'host' | 'receivedAt' | 'ok'>>> {
    const rows = await this.#db
      .selectFrom('host_reports as r')
      .innerJoin((eb) => eb.selectFrom('host_reports').select(['host', (e) => e.fn.max('id').as('id')]).groupBy('host').as('last'), (join) => join.onRef('last.id', '=', 'r.id'))
      .select(['r.host', 'r.received_at', 'r.ok'])
      .orderBy('r.host')
      .execute();
    return rows.map((r) => ({ host: r.host, receivedAt: r.received_at, ok: Number(r.ok) === 1 }));
  }
}

const IN_CHUNK = 500;

function jsonObject(text: string, what: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RosterError('internal', `stored ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function toRole(role: string): TokenRole {
  const found = TOKEN_ROLES.find((r) => r === role);
  if (found === undefined) throw new RosterError('internal', `stored token role ${role} is unknown`);
  return found;
}

function toApiToken(r: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: Number(r.id),
    role: toRole(r.role),
    host: r.host,
    hash: r.hash,
    note: r.note,
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };
}

function toScimUser(r: Selectable<ScimUsersTable>): ScimUser {
  return {
    accountId: Number(r.account_id),
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

function toMassChange(r: Selectable<MassChangesTable>): MassChange {
  const s = jsonObject(r.summary, 'mass change summary');
  return {
    id: r.id,
    action: r.action,
    params: jsonObject(r.params, 'mass change params'),
    summary: { affected: Number(s.affected), total: Number(s.total), limit: Number(s.limit) },
    requestedBy: r.requested_by,
    requestedToken: r.requested_token === null ? null : Number(r.requested_token),
    requestedAt: r.requested_at,
    expiresAt: r.expires_at,
    approvedBy: r.approved_by,
    approvedToken: r.approved_token === null ? null : Number(r.approved_token),
    approvedAt: r.approved_at,
    result: r.result === null ? null : (JSON.parse(r.result) as unknown),
  };
}

function toHostReport(r: Selectable<HostReportsTable>): HostReport {
  return { id: Number(r.id), host: r.host, receivedAt: r.received_at, actor: r.actor, revision: r.revision, ok: Number(r.ok) === 1, report: jsonObject(r.report, 'host report') };
}
