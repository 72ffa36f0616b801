import type { HostApplyResult } from '../app/apply-host.js';
import { errorCatalogue, outcomeExit } from '../domain/errors.js';
import { formatReport } from '../reconcile/plan-view.js';

/** How `roster apply` (and `--apply HOST` of the account commands) shows an applied host. */
export interface HostApplyView {
  /** The --json form. */
  readonly json: unknown;
  readonly text: string;
  /** The exit status the run ends with, when the host is not fully applied: 75 on a lock timeout, 1 when a change failed or was skipped. */
  readonly exitCode: number | null;
}

export function hostApplyView(result: HostApplyResult): HostApplyView {
  const { outcomes, lockTimeout: _lockTimeout, ...head } = result.report;
  const exitCode = result.shortfall === 'lock_timeout' ? errorCatalogue.lock_timeout.exit : result.shortfall === 'incomplete' ? outcomeExit.someFailed : null;
  return { json: { ...head, ...result.summary, outcomes }, text: formatReport(result.report), exitCode };
}
