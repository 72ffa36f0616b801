import { asRosterError, type RosterError } from '../../domain/errors.js';
import { markDelivered, undeliveredReports, type WatchLog } from './host-watch.js';
import type { WatchReport } from './watch-report.js';

export interface DeliveryResult {
  readonly sent: number;
  /** Still on disk, for a later turn. */
  readonly waiting: number;
  /** Why sending stopped, when it did. */
  readonly error: RosterError | null;
}

/**
 * Sends the reports kept on the host that nobody took yet, oldest first, to
 * the server (or the store), and marks those taken. A report refused as it
 * is (`bad_input`) would be refused forever: marked taken, said once. Any
 * other failure (the server down) stops here; the rest wait for a later turn.
 */
export async function deliverWatchReports(root: string, send: (report: WatchReport) => Promise<void>, log: WatchLog): Promise<DeliveryResult> {
  const reports = undeliveredReports(root);
  const done: string[] = [];
  let error: RosterError | null = null;
  for (const report of reports) {
    try {
      await send(report);
    } catch (e) {
      const why = asRosterError(e);
      if (why.code !== 'bad_input') {
        error = why;
        break;
      }
      log.warn(`watch report ${report.id} was refused and is dropped from the queue (it stays in roster watch reports): ${why.message}`);
    }
    done.push(report.id);
  }
  await markDelivered(root, done);
  return { sent: done.length, waiting: reports.length - done.length, error };
}
