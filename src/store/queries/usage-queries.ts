import type { Selectable } from 'kysely';
import type { UsageFiguresTable } from '../database-schema.js';
import type { QueryScope } from './query-scope.js';
import { INSERT_CHUNK, toNumber, utc } from './row-values.js';

/** What one account used of a service on a host, in bytes, as a target measured it. */
export interface UsageFigure {
  readonly accountId: number;
  readonly host: string;
  readonly target: string;
  /** What was measured, in the target's words: `home:/home/alice`, `postgres-database:alice_blog`. */
  readonly subject: string;
  readonly bytes: number;
  readonly measuredAt: string;
}

export interface UsageFilter {
  readonly accountId?: number;
  readonly host?: string;
}

/** Measured usage. */
export interface UsageReads {
  /** By account id, host, target and subject. */
  listUsage(filter?: UsageFilter): Promise<UsageFigure[]>;
}

export interface UsageWrites {
  /**
   * One measurement of a target on a host: its figures replace every
   * earlier figure of that host and target (an account no longer measured
   * there has none). Returns how many figures were stored.
   */
  replaceUsage(host: string, target: string, measuredAt: string, figures: ReadonlyArray<Pick<UsageFigure, 'accountId' | 'subject' | 'bytes'>>): Promise<number>;
}

export type UsageQueries = UsageReads & UsageWrites;

export function usageQueries(s: QueryScope): UsageQueries {
  return {
    async listUsage(filter = {}) {
      let q = s.db.selectFrom('usage_figures').selectAll().orderBy('account_id').orderBy('host').orderBy('target').orderBy('subject');
      if (filter.accountId !== undefined) q = q.where('account_id', '=', filter.accountId);
      if (filter.host !== undefined) q = q.where('host', '=', filter.host);
      return (await q.execute()).map(toUsageFigure);
    },
    async replaceUsage(host, target, measuredAt, figures) {
      s.mustWrite('replaceUsage');
      const at = utc(measuredAt, 'usage measuredAt');
      await s.db.deleteFrom('usage_figures').where('host', '=', host).where('target', '=', target).execute();
      for (let i = 0; i < figures.length; i += INSERT_CHUNK) {
        const rows = figures.slice(i, i + INSERT_CHUNK).map((f) => ({ account_id: f.accountId, host, target, subject: f.subject, bytes: f.bytes, measured_at: at }));
        await s.db.insertInto('usage_figures').values(rows).execute();
      }
      return figures.length;
    },
  };
}

function toUsageFigure(r: Selectable<UsageFiguresTable>): UsageFigure {
  return { accountId: toNumber(r.account_id), host: r.host, target: r.target, subject: r.subject, bytes: toNumber(r.bytes), measuredAt: r.measured_at };
}
