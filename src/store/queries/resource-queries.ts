import type { Selectable } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { ResourcesTable } from '../database-schema.js';
import { uniqueViolation } from '../store-errors.js';
import type { QueryScope } from './query-scope.js';
import { IN_CHUNK, jsonObject, utc } from './row-values.js';

/** A resource an account owns on a host (a database, a mailing list, a vhost), managed by the target that declares its kind. */
export interface Resource {
  readonly id: number;
  readonly accountId: number;
  readonly kind: string;
  readonly name: string;
  readonly host: string;
  /** What the kind's settings schema accepted. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type NewResource = Omit<Resource, 'id'>;

export interface ResourceFilter {
  readonly accountId?: number;
  readonly kind?: string;
  readonly host?: string;
}

/** Owned resources. */
export interface ResourceReads {
  getResource(id: number): Promise<Resource | undefined>;
  /** In id order. */
  listResources(filter?: ResourceFilter): Promise<Resource[]>;
  /** The resources of these accounts, in id order. */
  resourcesOfAccounts(accountIds: readonly number[]): Promise<Resource[]>;
}

export interface ResourceWrites {
  /** A resource of the same kind and name on the host is a conflict. */
  insertResource(resource: NewResource): Promise<Resource>;
  /** True when it existed. */
  deleteResource(id: number): Promise<boolean>;
  /** Removes these resources; returns how many there were. */
  deleteResources(ids: readonly number[]): Promise<number>;
}

export type ResourceQueries = ResourceReads & ResourceWrites;

export function resourceQueries(s: QueryScope): ResourceQueries {
  return {
    async insertResource(resource) {
      s.mustWrite('insertResource');
      const row = {
        account_id: resource.accountId,
        kind: resource.kind,
        name: resource.name,
        host: resource.host,
        settings: JSON.stringify(resource.settings),
        created_at: utc(resource.createdAt, 'resource createdAt'),
        updated_at: utc(resource.updatedAt, 'resource updatedAt'),
      };
      try {
        const { id } = await s.db.insertInto('resources').values(row).returning('id').executeTakeFirstOrThrow();
        return toResource({ ...row, id });
      } catch (e) {
        if (uniqueViolation(e) !== undefined) throw new RosterError('conflict', `a ${resource.kind} named ${resource.name} already exists on host ${resource.host}`);
        throw e;
      }
    },
    async getResource(id) {
      const row = await s.db.selectFrom('resources').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toResource(row);
    },
    async listResources(filter = {}) {
      let q = s.db.selectFrom('resources').selectAll().orderBy('id');
      if (filter.accountId !== undefined) q = q.where('account_id', '=', filter.accountId);
      if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
      if (filter.host !== undefined) q = q.where('host', '=', filter.host);
      return (await q.execute()).map(toResource);
    },
    async resourcesOfAccounts(accountIds) {
      const out: Resource[] = [];
      for (let i = 0; i < accountIds.length; i += IN_CHUNK) {
        const rows = await s.db.selectFrom('resources').selectAll().where('account_id', 'in', accountIds.slice(i, i + IN_CHUNK)).execute();
        out.push(...rows.map(toResource));
      }
      return out.sort((a, b) => a.id - b.id);
    },
    async deleteResource(id) {
      s.mustWrite('deleteResource');
      const r = await s.db.deleteFrom('resources').where('id', '=', id).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
    async deleteResources(ids) {
      s.mustWrite('deleteResources');
      let n = 0;
      for (let i = 0; i < ids.length; i += IN_CHUNK) {
        const r = await s.db.deleteFrom('resources').where('id', 'in', ids.slice(i, i + IN_CHUNK)).executeTakeFirst();
        n += Number(r.numDeletedRows);
      }
      return n;
    },
  };
}

function toResource(r: Selectable<ResourcesTable>): Resource {
  return {
    id: r.id,
    accountId: r.account_id,
    kind: r.kind,
    name: r.name,
    host: r.host,
    settings: jsonObject(r.settings, 'resource settings'),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
