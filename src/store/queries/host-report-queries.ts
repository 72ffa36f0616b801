import type { Selectable } from 'kysely';
import type { HostReportsTable } from '../database-schema.js';
import type { QueryScope } from './query-scope.js';
import { jsonObject, toNumber } from './row-values.js';

export interface HostReport {
  readonly id: number;
  readonly host: string;
  readonly receivedAt: string;
  readonly actor: string;
  readonly revision: string | null;
  readonly ok: boolean;
  readonly report: Readonly<Record<string, unknown>>;
}

/** What agents report of their hosts. */
export interface HostReportReads {
  /** Newest first. */
  listHostReports(filter: { readonly host: string; readonly beforeId?: number; readonly limit?: number }): Promise<HostReport[]>;
  /** When each host that ever reported last did, and whether that report was clean (no report bodies: read at every metrics scrape). */
  latestHostReports(): Promise<Array<Pick<HostReport, 'host' | 'receivedAt' | 'ok'>>>;
}

export interface HostReportWrites {
  insertHostReport(report: Omit<HostReport, 'id'>): Promise<HostReport>;
}

export type HostReportQueries = HostReportReads & HostReportWrites;

export function hostReportQueries(s: QueryScope): HostReportQueries {
  return {
    async insertHostReport(report) {
      s.mustWrite('insertHostReport');
      const row = { host: report.host, received_at: report.receivedAt, actor: report.actor, revision: report.revision, ok: report.ok ? 1 : 0, report: JSON.stringify(report.report) };
      const { id } = await s.db.insertInto('host_reports').values(row).returning('id').executeTakeFirstOrThrow();
      return toHostReport({ ...row, id });
    },
    async listHostReports(filter) {
      let q = s.db.selectFrom('host_reports').selectAll().where('host', '=', filter.host).orderBy('id', 'desc').limit(filter.limit ?? 20);
      if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
      return (await q.execute()).map(toHostReport);
    },
    async latestHostReports() {
      const rows = await s.db
        .selectFrom('host_reports as r')
        .innerJoin((eb) => eb.selectFrom('host_reports').select(['host', (e) => e.fn.max('id').as('id')]).groupBy('host').as('last'), (join) => join.onRef('last.id', '=', 'r.id'))
        .select(['r.host', 'r.received_at', 'r.ok'])
        .orderBy('r.host')
        .execute();
      return rows.map((r) => ({ host: r.host, receivedAt: r.received_at, ok: toNumber(r.ok) === 1 }));
    },
  };
}

function toHostReport(r: Selectable<HostReportsTable>): HostReport {
  return { id: toNumber(r.id), host: r.host, receivedAt: r.received_at, actor: r.actor, revision: r.revision, ok: toNumber(r.ok) === 1, report: jsonObject(r.report, 'host report') };
}
