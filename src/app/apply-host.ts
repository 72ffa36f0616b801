import { watchedApply } from '../agent/watch/apply-watch.js';
import { aroundApply } from '../agent/watch/host-watch.js';
import { hostWatchChangelog } from '../agent/watch/host-watch-changelog.js';
import type { WatchSettings } from '../config/watch-settings.js';
import type { ErrorCode } from '../domain/errors.js';
import type { ApplyReport } from '../reconcile/apply-host-plan.js';
import { summarise, type ReportSummary } from '../reconcile/plan-view.js';
import { reconcileHost } from '../reconcile/reconcile-host.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import type { AnyTarget } from '../targets/registry.js';
import type { AppContext } from './app-context.js';
import { recordApplyEntry } from './changelog.js';
import { mutate } from './mutate.js';

/** One host to bring to its desired state (only some accounts of it, with `accounts`). */
export interface HostApplyRequest {
  readonly host: string;
  /** The root prefix the host lives under, like `useradd -R`; `/` is the live system. */
  readonly root: string;
  readonly accounts?: readonly string[];
  readonly allowMassChange?: boolean;
  readonly lockTimeoutMs?: number;
}

export interface HostApplyResult {
  readonly report: ApplyReport;
  readonly summary: ReportSummary;
  /**
   * Why the host is not fully in its desired state, if it is not:
   * `lock_timeout` when a target waited too long for a lock (the catalogue's
   * code), `incomplete` when a change failed or was skipped.
   */
  readonly shortfall: Extract<ErrorCode, 'lock_timeout'> | 'incomplete' | null;
}

/**
 * Applies one host from the store under its root: the reconcile pipeline
 * (plan, circuit breaker, apply, audit), whose refusals (a mass change, an
 * unknown host, a bad root) are thrown; what became of each change is the
 * result, for the caller to print and turn into an exit status. An apply
 * that changed something adds its entry to the host's changelog.
 */
export async function applyHost(ctx: AppContext, targets: readonly AnyTarget[], request: HostApplyRequest): Promise<HostApplyResult> {
  const root = await resolveRoot(request.root);
  if (root === '/') ctx.log.info(`applying host ${request.host} to the live system (root /)`);
  // A watched host (hosts.<h>.watch) gets a watch turn right before and after the apply, so its change report knows what Roster changed.
  // Not a host the server applies over the network: its root here is not the host's.
  const host = ctx.config.hosts[request.host];
  const settings = host?.appliedBy === 'agent' ? (host.watch as WatchSettings | undefined) : undefined;
  const watch =
    settings === undefined
      ? {}
      : { aroundApply: watchedApply((apply, cause) => aroundApply({ root, host: request.host, settings, clock: ctx.clock, changelog: () => hostWatchChangelog(root) }, ctx.log, cause, apply), ctx.actor, ctx.clock) };
  const { report } = await reconcileHost(
    ctx,
    targets,
    { host: request.host, root, ...(request.accounts === undefined ? {} : { accounts: request.accounts }) },
    { allowMassChange: request.allowMassChange === true, ...(request.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: request.lockTimeoutMs }), ...watch },
  );
  const summary = summarise(report);
  // Roster's own intervention, in the host's changelog (seed GlobeNet) like anyone's.
  if (summary.applied > 0) {
    const changes = report.outcomes.filter((o) => o.status === 'ok' && !o.recurring).map((o) => ({ target: o.target, summary: o.summary }));
    await mutate(ctx, {}, (tx) => recordApplyEntry(tx, ctx, { host: request.host, revision: null, root, applied: summary.applied, changes, ref: null }));
  }
  const shortfall = report.lockTimeout ? 'lock_timeout' : summary.failed > 0 || summary.skipped > 0 ? 'incomplete' : null;
  return { report, summary, shortfall };
}
