import type { Selectable } from 'kysely';
import type { WatchReportsTable } from '../database-schema.js';
import type { QueryScope } from './query-scope.js';
import { jsonObject, pageSize, toNumber, utc } from './row-values.js';

/** A change report of `roster watch` as the server keeps it. */
export interface StoredWatchReport {
  readonly id: number;
  readonly host: string;
  /** The host's own id of the report. */
  readonly reportId: string;
  readonly madeAt: string;
  readonly receivedAt: string;
  readonly actor: string;
  readonly files: number;
  readonly unexplained: number;
  readonly packages: number;
  readonly report: Readonly<Record<string, unknown>>;
}

export type NewWatchReport = Omit<StoredWatchReport, 'id'>;

export interface WatchReportFilter {
  readonly host?: string;
  /** Reports stored before this one (keyset page, newest first). */
  readonly beforeId?: number;
  readonly limit?: number;
}

/** Hosts' change reports. */
export interface WatchReportReads {
  /** Newest first. */
  listWatchReports(filter?: WatchReportFilter): Promise<StoredWatchReport[]>;
  findWatchReport(host: string, reportId: string): Promise<StoredWatchReport | undefined>;
}

export interface WatchReportWrites {
  /** Stores a report; the caller checks first that the host has none of that id (findWatchReport). */
  insertWatchReport(report: NewWatchReport): Promise<StoredWatchReport>;
}

export type WatchReportQueries = WatchReportReads & WatchReportWrites;

export function watchReportQueries(s: QueryScope): WatchReportQueries {
  return {
    async listWatchReports(filter = {}) {
      let q = s.db.selectFrom('watch_reports').selectAll().orderBy('id', 'desc').limit(pageSize(filter.limit ?? 20));
      if (filter.host !== undefined) q = q.where('host', '=', filter.host);
      if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
      return (await q.execute()).map(toStored);
    },
    async findWatchReport(host, reportId) {
      const row = await s.db.selectFrom('watch_reports').selectAll().where('host', '=', host).where('report_id', '=', reportId).executeTakeFirst();
      return row === undefined ? undefined : toStored(row);
    },
    async insertWatchReport(r) {
      s.mustWrite('insertWatchReport');
      const row = {
        host: r.host,
        report_id: r.reportId,
        made_at: utc(r.madeAt, 'watch report madeAt'),
        received_at: utc(r.receivedAt, 'watch report receivedAt'),
        actor: r.actor,
        files: r.files,
        unexplained: r.unexplained,
        packages: r.packages,
        report: JSON.stringify(r.report),
      };
      const { id } = await s.db.insertInto('watch_reports').values(row).returning('id').executeTakeFirstOrThrow();
      return toStored({ ...row, id });
    },
  };
}

function toStored(r: Selectable<WatchReportsTable>): StoredWatchReport {
  return {
    id: toNumber(r.id),
    host: r.host,
    reportId: r.report_id,
    madeAt: r.made_at,
    receivedAt: r.received_at,
    actor: r.actor,
    files: toNumber(r.files),
    unexplained: toNumber(r.unexplained),
    packages: toNumber(r.packages),
    report: jsonObject(r.report, 'watch report'),
  };
}
