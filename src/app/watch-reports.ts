import { formatWatchReport, reportSummary } from '../agent/watch/format-watch-report.js';
import type { WatchReport } from '../agent/watch/watch-report.js';
import { RosterError } from '../domain/errors.js';
import type { StoredWatchReport } from '../store/store.js';
import type { AppContext } from './app-context.js';
import { requireHost } from './host-reports.js';
import { audit, mutate } from './mutate.js';
import { queueNotices, wallTime } from './notices.js';

/** Files listed in the mail beyond the unexplained ones (all are in the report the API and the host keep). */
const MAIL_FILES = 300;

export interface RecordedWatchReport {
  readonly stored: StoredWatchReport;
  /** False when the host had sent this report before (its answer was lost): nothing new stored, mailed or audited. */
  readonly created: boolean;
}

/**
 * Takes a change report of `roster watch` from a host (seed GlobeNet): kept
 * in the store, audited, and mailed to `notify.adminAddress` through the
 * outbox. The report holds names and metadata only; the diffs stay on the
 * host. A report sent again (same host, same id) is the one already kept.
 */
export async function recordWatchReport(ctx: AppContext, host: string, report: WatchReport): Promise<RecordedWatchReport> {
  requireHost(ctx, host);
  if (report.host !== null && report.host !== host) {
    throw new RosterError('bad_input', `the report was made for host ${report.host}, not ${host}`, [{ where: 'body.host', message: `must be ${host} or null` }]);
  }
  return mutate(ctx, {}, async (tx) => {
    const existing = await tx.findWatchReport(host, report.id);
    if (existing !== undefined) return { stored: existing, created: false };
    const stored = await tx.insertWatchReport({
      host,
      reportId: report.id,
      madeAt: report.madeAt,
      receivedAt: ctx.clock.now().toISOString(),
      actor: ctx.actor,
      files: report.counts.files,
      unexplained: report.counts.unexplained,
      packages: report.counts.packages,
      report: { ...report, host },
    });
    await audit(tx, ctx, {
      action: 'watch.report',
      target: `host:${host}`,
      before: null,
      after: { report: report.id, files: report.counts.files, unexplained: report.counts.unexplained, packages: report.counts.packages, changelog: report.counts.changelog },
    });
    const admin = ctx.config.notify.adminAddress;
    if (admin !== undefined) {
      const tz = ctx.config.timeZone;
      await queueNotices(tx, ctx, [
        {
          kind: 'watch-report',
          to: admin,
          data: {
            host,
            reportId: report.id,
            summary: reportSummary(report),
            unexplained: report.counts.unexplained,
            details: formatWatchReport({ ...report, host }, (iso) => wallTime(iso, tz), { maxFiles: MAIL_FILES }),
          },
          dedupeKey: `watch-report:${host}:${report.id}`,
        },
      ]);
    }
    return { stored, created: true };
  });
}
