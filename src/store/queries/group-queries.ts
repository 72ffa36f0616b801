import type { Selectable } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { GroupsTable } from '../database-schema.js';
import { uniqueViolation } from '../store-errors.js';
import { checkRange, firstFree, freeNumbers, lockCounter, raiseCounter } from './number-allocation.js';
import type { QueryScope } from './query-scope.js';
import { stringList, toNumber, utc } from './row-values.js';

export interface Group {
  readonly name: string;
  readonly gid: number;
  readonly description: string;
  /** Usernames listed as explicit members (account types add more). */
  readonly members: readonly string[];
  readonly createdAt: string;
}

export interface GroupReads {
  getGroup(name: string): Promise<Group | undefined>;
  getGroupByGid(gid: number): Promise<Group | undefined>;
  /**
   * GIDs from `min` to `max` (ascending, distinct) that a group or a live
   * account's primary group holds: a user-private group may take GID = UID
   * only when it is not among them.
   */
  gidsTaken(min: number, max: number): Promise<number[]>;
  listGroups(): Promise<Group[]>;
}

export interface GroupWrites {
  /** Next free GID above the high-water mark of the range. */
  allocateGid(range: { readonly min: number; readonly max: number }): Promise<number>;
  /**
   * The GIDs allocateGid would give one after another (`count` of them, fewer
   * where the range ends), above the high-water mark or above `after` when
   * that is higher. The mark stays: raiseGidMark moves it past the ones used.
   */
  freeGids(range: { readonly min: number; readonly max: number }, after: number | undefined, count: number): Promise<number[]>;
  /** Raises the high-water mark to `gid`, as allocateGid does for each GID it gives. */
  raiseGidMark(gid: number): Promise<void>;
  insertGroup(group: Group): Promise<void>;
  setGroupMembers(name: string, members: readonly string[]): Promise<void>;
  /** Removes a group (and its SCIM record); false when there was none. */
  deleteGroup(name: string): Promise<boolean>;
}

export type GroupQueries = GroupReads & GroupWrites;

export function groupQueries(s: QueryScope): GroupQueries {
  return {
    async getGroup(name) {
      const row = await s.db.selectFrom('groups').selectAll().where('name', '=', name).executeTakeFirst();
      return row === undefined ? undefined : toGroup(row);
    },
    async gidsTaken(min, max) {
      if (min > max) return [];
      const rows = await s.db
        .selectFrom('groups')
        .select('gid')
        .where('gid', '>=', min)
        .where('gid', '<=', max)
        .union((eb) => eb.selectFrom('accounts').select('gid').where('gid', '>=', min).where('gid', '<=', max).where('purged_at', 'is', null))
        .orderBy('gid')
        .execute();
      return rows.map((r) => toNumber(r.gid));
    },
    async getGroupByGid(gid) {
      const row = await s.db.selectFrom('groups').selectAll().where('gid', '=', gid).executeTakeFirst();
      return row === undefined ? undefined : toGroup(row);
    },
    async listGroups() {
      return (await s.db.selectFrom('groups').selectAll().orderBy('name').execute()).map(toGroup);
    },

    async allocateGid(range) {
      s.mustWrite('allocateGid');
      checkRange(range, 'GID');
      const counter = await lockCounter(s, 'gid');
      const gid = await firstFree(s, Math.max(counter, range.min - 1) + 1, range.max, ['groups', 'gid'], ['accounts', 'gid']);
      if (gid === undefined) throw new RosterError('bad_input', `GID range ${range.min}–${range.max} is exhausted`);
      await raiseCounter(s, 'gid', gid);
      return gid;
    },
    async freeGids(range, after, count) {
      s.mustWrite('freeGids');
      checkRange(range, 'GID');
      const counter = await lockCounter(s, 'gid');
      return freeNumbers(s, Math.max(counter, range.min - 1, after ?? range.min - 1) + 1, range.max, count, ['groups', 'gid'], ['accounts', 'gid']);
    },
    async raiseGidMark(gid) {
      s.mustWrite('raiseGidMark');
      await raiseCounter(s, 'gid', gid);
    },
    async insertGroup(group) {
      s.mustWrite('insertGroup');
      try {
        await s.db
          .insertInto('groups')
          .values({ name: group.name, gid: group.gid, description: group.description, members: JSON.stringify(group.members), created_at: utc(group.createdAt, 'group createdAt') })
          .execute();
      } catch (e) {
        const which = uniqueViolation(e);
        if (which === undefined) throw e;
        throw new RosterError('conflict', /gid/i.test(which) ? `GID ${group.gid} is already used by another group` : `group ${group.name} already exists`);
      }
    },
    async setGroupMembers(name, members) {
      s.mustWrite('setGroupMembers');
      const result = await s.db.updateTable('groups').set({ members: JSON.stringify(members) }).where('name', '=', name).executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw new RosterError('not_found', `group ${name} does not exist`);
    },
    async deleteGroup(name) {
      s.mustWrite('deleteGroup');
      await s.db.deleteFrom('scim_groups').where('group_name', '=', name).execute();
      const r = await s.db.deleteFrom('groups').where('name', '=', name).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
  };
}

function toGroup(r: Selectable<GroupsTable>): Group {
  return { name: r.name, gid: toNumber(r.gid), description: r.description, members: stringList(r.members, `members of ${r.name}`), createdAt: r.created_at };
}
