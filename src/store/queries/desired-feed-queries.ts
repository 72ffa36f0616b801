import { sql } from 'kysely';
import type { QueryScope } from './query-scope.js';
import { pageSize, toNumber, utc } from './row-values.js';

/** One row of the desired state's change feed: an account (by id), a group (by name) or a resource (by id) was written. */
export interface DesiredChange {
  readonly seq: number;
  readonly kind: 'account' | 'group' | 'resource';
  readonly ref: string;
}

/** The change feed of the desired state (migration 0012), and the holds that fall due with the clock. */
export interface DesiredFeedReads {
  /** The newest feed row's sequence number, 0 when there is none. */
  desiredFeedHead(): Promise<number>;
  /** The oldest sequence number still kept (rows before it were pruned), 0 when there is none. */
  desiredFeedFloor(): Promise<number>;
  /** Rows after `seq`, oldest first, at most `limit`. */
  desiredChangesAfter(seq: number, limit: number): Promise<DesiredChange[]>;
  /** Ids of the accounts with a hold that starts in (after, upTo], through the holds_since index. */
  holdsFallingDue(after: string, upTo: string): Promise<number[]>;
  /** When the next hold starts after `after`, or null when none does. */
  nextHoldDue(after: string): Promise<string | null>;
}

export interface DesiredFeedWrites {
  /** Deletes feed rows at or before `seq`; returns how many went. */
  pruneDesiredFeed(seq: number): Promise<number>;
}

export type DesiredFeedQueries = DesiredFeedReads & DesiredFeedWrites;

export function desiredFeedQueries(s: QueryScope): DesiredFeedQueries {
  return {
    async desiredFeedHead() {
      const row = await s.db.selectFrom('desired_changes').select(sql<number | null>`max(seq)`.as('head')).executeTakeFirst();
      return row?.head === null || row?.head === undefined ? 0 : toNumber(row.head);
    },
    async desiredFeedFloor() {
      const row = await s.db.selectFrom('desired_changes').select(sql<number | null>`min(seq)`.as('floor')).executeTakeFirst();
      return row?.floor === null || row?.floor === undefined ? 0 : toNumber(row.floor);
    },
    async desiredChangesAfter(seq, limit) {
      const rows = await s.db.selectFrom('desired_changes').select(['seq', 'kind', 'ref']).where('seq', '>', seq).orderBy('seq').limit(pageSize(limit)).execute();
      return rows.map((r) => ({ seq: toNumber(r.seq), kind: r.kind as DesiredChange['kind'], ref: r.ref }));
    },
    async holdsFallingDue(after, upTo) {
      const rows = await s.db
        .selectFrom('holds')
        .select('account_id')
        .distinct()
        .where('since', '>', utc(after, 'after'))
        .where('since', '<=', utc(upTo, 'upTo'))
        .execute();
      return rows.map((r) => toNumber(r.account_id));
    },
    async nextHoldDue(after) {
      const row = await s.db.selectFrom('holds').select(sql<string | null>`min(since)`.as('next')).where('since', '>', utc(after, 'after')).executeTakeFirst();
      return row?.next ?? null;
    },
    async pruneDesiredFeed(seq) {
      s.mustWrite('pruneDesiredFeed');
      const result = await s.db.deleteFrom('desired_changes').where('seq', '<=', seq).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
