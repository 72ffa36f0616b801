import type { Clock } from '../../domain/clock.js';
import type { ApplyReport } from '../../reconcile/apply-host-plan.js';
import type { PreparedPlan } from '../../reconcile/host-plan.js';
import { summarise } from '../../reconcile/plan-view.js';
import type { ChangeCause } from './watch-store.js';

/** Runs an apply between two watch turns, attributing what changed across it to `cause` (aroundApply, or AgentWatch.around). */
export type AroundApply = (apply: () => Promise<ApplyReport>, cause: (report: ApplyReport | undefined) => ChangeCause) => Promise<ApplyReport>;

/**
 * The reconcile pipeline's `aroundApply` for a watched host: a plan with
 * changes (recurring ones too: a hook may write to /etc) is applied between
 * two watch turns and the difference attributed to this apply, by `actor`;
 * an empty plan applies nothing and needs no turn.
 */
export function watchedApply(around: AroundApply, actor: string, clock: Clock): (prepared: PreparedPlan, apply: () => Promise<ApplyReport>) => Promise<ApplyReport> {
  return (prepared, apply) => {
    const planned = prepared.plan.targets.reduce((n, t) => n + t.changes.length, 0);
    if (planned === 0) return apply();
    const at = clock.now().toISOString();
    return around(apply, (report) => ({ kind: 'apply', at, actor, changes: report === undefined ? planned : summarise(report).applied }));
  };
}
