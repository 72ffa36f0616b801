import { sql, type Selectable } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { ReservationsTable } from '../database-schema.js';
import { uniqueViolation } from '../store-errors.js';
import { checkRange, firstFree, freeNumbers, lockCounter, raiseCounter } from './number-allocation.js';
import type { QueryScope } from './query-scope.js';
import { IN_CHUNK, INSERT_CHUNK, toNumber, utc } from './row-values.js';

export interface Reservation {
  readonly username: string;
  readonly uid: number;
  readonly personId: string;
  readonly createdAt: string;
}

export interface IdRange {
  readonly min: number;
  readonly max: number;
}

/** Usernames, UIDs and their reservations (RATS internals 1). */
export interface ReservationReads {
  getReservation(username: string): Promise<Reservation | undefined>;
  reservationsOfPerson(personId: string): Promise<Reservation[]>;
  /** reservationsOfPerson for many people, in UID order. */
  reservationsOfPeople(personIds: readonly string[]): Promise<Reservation[]>;
  listReservations(): Promise<Reservation[]>;
  /** True when the name (compared case-insensitively) is an account, a reservation or a group. */
  nameTaken(name: string): Promise<boolean>;
  /** Which of `names` are taken as nameTaken defines it; returned lower-cased. */
  takenNames(names: readonly string[]): Promise<Set<string>>;
  /**
   * Where allocation of `kind` in `range` starts (one above the high-water
   * mark, at least `range.min`) and the numbers from there to `range.max`
   * it skips, ascending and distinct: UIDs of reservations and accounts,
   * GIDs of groups and of accounts' primary groups. A plan checks with it
   * that its new accounts and groups fit before it writes anything.
   */
  idsInUse(kind: 'uid' | 'gid', range: IdRange): Promise<{ readonly from: number; readonly used: number[] }>;
}

export interface ReservationWrites {
  /**
   * The UID for `username`: the reserved one when the reservation belongs to
   * `personId`, else one above the highest UID ever allocated or reserved
   * (a high-water mark that never goes down), recorded as a reservation.
   * Throws RosterError('conflict') when the name is reserved for someone else
   * and RosterError('bad_input') when the range is exhausted.
   */
  allocateUid(username: string, personId: string, range: IdRange, now: string): Promise<number>;
  /**
   * allocateUid for many names at once, with the same rules (own
   * reservations reused, never below the high-water mark, never reused), in
   * a few statements; the UIDs are in the order of `requests`.
   */
  allocateUids(requests: ReadonlyArray<{ readonly username: string; readonly personId: string }>, range: IdRange, now: string): Promise<number[]>;
  /** Drop reservations; returns how many went. */
  deleteReservations(usernames: readonly string[]): Promise<number>;
}

export type ReservationQueries = ReservationReads & ReservationWrites;

export function reservationQueries(s: QueryScope): ReservationQueries {
  return {
    async getReservation(username) {
      const row = await s.db.selectFrom('reservations').selectAll().where('username', '=', username).executeTakeFirst();
      return row === undefined ? undefined : toReservation(row);
    },
    async reservationsOfPerson(personId) {
      const rows = await s.db.selectFrom('reservations').selectAll().where('person_id', '=', personId).orderBy('uid').execute();
      return rows.map(toReservation);
    },
    async reservationsOfPeople(personIds) {
      const ids = [...new Set(personIds)];
      const out: Reservation[] = [];
      for (let i = 0; i < ids.length; i += IN_CHUNK) {
        const rows = await s.db.selectFrom('reservations').selectAll().where('person_id', 'in', ids.slice(i, i + IN_CHUNK)).execute();
        out.push(...rows.map(toReservation));
      }
      return out.sort((a, b) => a.uid - b.uid);
    },
    async listReservations() {
      return (await s.db.selectFrom('reservations').selectAll().orderBy('uid').execute()).map(toReservation);
    },
    async nameTaken(name) {
      // One round trip; each branch matches a lower(…) expression index. SQLite's
      // and (with the "C" collation) PostgreSQL's lower() both fold ASCII only.
      const lowered = sql<string>`lower(${name})`;
      const hit = await s.db
        .selectFrom('accounts')
        .select(sql<number>`1`.as('taken'))
        .where(sql<string>`lower(username)`, '=', lowered)
        .unionAll((eb) => eb.selectFrom('reservations').select(sql<number>`1`.as('taken')).where(sql<string>`lower(username)`, '=', lowered))
        .unionAll((eb) => eb.selectFrom('groups').select(sql<number>`1`.as('taken')).where(sql<string>`lower(name)`, '=', lowered))
        .limit(1)
        .executeTakeFirst();
      return hit !== undefined;
    },
    async takenNames(names) {
      const lowers = [...new Set(names.map((n) => n.toLowerCase()))];
      const taken = new Set<string>();
      for (let i = 0; i < lowers.length; i += IN_CHUNK) {
        const chunk = lowers.slice(i, i + IN_CHUNK);
        // Each query matches a lower(…) expression index, as nameTaken does.
        for (const [table, column] of [['accounts', 'username'], ['reservations', 'username'], ['groups', 'name']] as const) {
          const rows = await s.db.selectFrom(table).select(sql<string>`lower(${sql.ref(column)})`.as('n')).where(sql<string>`lower(${sql.ref(column)})`, 'in', chunk).execute();
          for (const r of rows) taken.add(r.n);
        }
      }
      return taken;
    },
    async idsInUse(kind, range) {
      checkRange(range, kind === 'uid' ? 'UID' : 'GID');
      const counter = toNumber((await s.db.selectFrom('counters').select('value').where('name', '=', kind).executeTakeFirstOrThrow()).value);
      // The same start and the same columns as allocateUids and allocateGid.
      const from = Math.max(counter, range.min - 1) + 1;
      if (from > range.max) return { from, used: [] };
      const a = kind === 'uid' ? 'reservations' : 'groups';
      const column = sql.ref(kind);
      const rows = await s.db
        .selectFrom(a)
        .select(sql<number>`${column}`.as('n'))
        .where(column, '>=', from)
        .where(column, '<=', range.max)
        .union((eb) => eb.selectFrom('accounts').select(sql<number>`${column}`.as('n')).where(column, '>=', from).where(column, '<=', range.max))
        .orderBy('n')
        .execute();
      return { from, used: rows.map((r) => toNumber(r.n)) };
    },

    async allocateUid(username, personId, range, now) {
      s.mustWrite('allocateUid');
      checkRange(range, 'UID');
      // Lock the high-water mark first: on PostgreSQL a concurrent allocation
      // waits here until this transaction ends, and then sees its reservation.
      const counter = await lockCounter(s, 'uid');
      const reserved = await s.db.selectFrom('reservations').selectAll().where(sql<string>`lower(username)`, '=', sql<string>`lower(${username})`).executeTakeFirst();
      if (reserved !== undefined) {
        if (reserved.person_id !== personId) throw new RosterError('conflict', `username ${username} is reserved for someone else`);
        if (reserved.username !== username) throw new RosterError('conflict', `username ${username} is reserved as ${reserved.username}`);
        // A returning person gets their old UID back, even if the range has
        // moved since: backups and files on disk still carry it (RATS internals 1).
        return reserved.uid;
      }
      const uid = await firstFree(s, Math.max(counter, range.min - 1) + 1, range.max, ['reservations', 'uid'], ['accounts', 'uid']);
      if (uid === undefined) throw new RosterError('bad_input', `UID range ${range.min}–${range.max} is exhausted`);
      await raiseCounter(s, 'uid', uid);
      try {
        await s.db.insertInto('reservations').values({ username, uid, person_id: personId, created_at: utc(now, 'now') }).execute();
      } catch (e) {
        const which = uniqueViolation(e);
        if (which !== undefined) {
          throw new RosterError('conflict', /uid/i.test(which) ? `UID ${uid} is already reserved` : `username ${username} is already reserved`);
        }
        throw e;
      }
      return uid;
    },
    async allocateUids(requests, range, now) {
      s.mustWrite('allocateUids');
      checkRange(range, 'UID');
      if (requests.length === 0) return [];
      const at = utc(now, 'now');
      const counter = await lockCounter(s, 'uid');
      const seen = new Set<string>();
      for (const r of requests) {
        const lower = r.username.toLowerCase();
        if (seen.has(lower)) throw new RosterError('conflict', `username ${r.username} is requested twice`);
        seen.add(lower);
      }
      const reserved = new Map<string, Selectable<ReservationsTable>>();
      const lowers = [...seen];
      for (let i = 0; i < lowers.length; i += IN_CHUNK) {
        const rows = await s.db.selectFrom('reservations').selectAll().where(sql<string>`lower(username)`, 'in', lowers.slice(i, i + IN_CHUNK)).execute();
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
        uids.push(toNumber(own.uid));
      });
      if (fresh.length === 0) return uids;
      const numbers = await freeNumbers(s, Math.max(counter, range.min - 1) + 1, range.max, fresh.length, ['reservations', 'uid'], ['accounts', 'uid']);
      if (numbers.length < fresh.length) throw new RosterError('bad_input', `UID range ${range.min}–${range.max} is exhausted`);
      const rows: ReservationsTable[] = fresh.map((index, k) => {
        const uid = numbers[k] ?? 0;
        uids[index] = uid;
        const r = requests[index];
        return { username: r?.username ?? '', uid, person_id: r?.personId ?? '', created_at: at };
      });
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        try {
          await s.db.insertInto('reservations').values(rows.slice(i, i + INSERT_CHUNK)).execute();
        } catch (e) {
          if (uniqueViolation(e) !== undefined) throw new RosterError('conflict', 'a username or UID of this batch was reserved meanwhile');
          throw e;
        }
      }
      // The numbers are in ascending order; no spread, whose argument count is bounded by the stack.
      await raiseCounter(s, 'uid', numbers[numbers.length - 1] ?? 0);
      return uids;
    },
    async deleteReservations(usernames) {
      s.mustWrite('deleteReservations');
      // The counter is deliberately left alone: released UIDs are never handed out again.
      let deleted = 0;
      for (let i = 0; i < usernames.length; i += IN_CHUNK) {
        const result = await s.db.deleteFrom('reservations').where('username', 'in', usernames.slice(i, i + IN_CHUNK)).executeTakeFirst();
        deleted += Number(result.numDeletedRows);
      }
      return deleted;
    },
  };
}

function toReservation(r: Selectable<ReservationsTable>): Reservation {
  return { username: r.username, uid: toNumber(r.uid), personId: r.person_id, createdAt: r.created_at };
}
