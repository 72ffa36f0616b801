import type { AppContext } from '../app/app-context.js';
import { audit, mutate } from '../app/mutate.js';
import type { BreakerPolicy } from '../domain/circuit-breaker.js';
import { RosterError } from '../domain/errors.js';
import type { AnyTarget } from '../targets/registry.js';
import type { TargetContext } from '../targets/target.js';
import { withApplyLock } from './apply-lock.js';
import { applyHostPlan, applyPrepared, type ApplyReport } from './apply-host-plan.js';
import { planHost, targetContext, type HostPlan, type HostRequest, type PreparedPlan } from './host-plan.js';
import { guardPlan, type GuardResult } from './plan-guard.js';

export interface ApplyOptions {
  readonly allowMassChange?: boolean;
  /** How long to wait for another apply on the same root (default 60 s). */
  readonly lockTimeoutMs?: number;
  /**
   * Runs the apply of a plan that passed the breaker, under the apply lock:
   * `roster watch` takes a turn right before and right after it, so its
   * report knows which files Roster changed.
   */
  readonly aroundApply?: (prepared: PreparedPlan, apply: () => Promise<ApplyReport>) => Promise<ApplyReport>;
}

export interface ReconcileResult { readonly plan: HostPlan; readonly report: ApplyReport }

/** What one converging run needs, whoever drives it (`roster apply` from the store, the agent from its server). */
export interface ReconcileSteps {
  readonly tctx: TargetContext;
  readonly breaker: BreakerPolicy;
  /** Observes and plans; called under the apply lock. */
  prepare(): Promise<PreparedPlan>;
  /** Records a refusal of the circuit breaker before it is thrown as `mass_change`. */
  refused?(guard: GuardResult, prepared: PreparedPlan): Promise<void>;
  /** Applies the prepared plan (default: without recording outcomes anywhere). */
  apply?(prepared: PreparedPlan): Promise<ApplyReport>;
}

/**
 * The pipeline of DESIGN.md §1 for one host: under the root's apply lock,
 * plan every enabled target, check the circuit breaker before the first
 * change, then apply. The lock is taken before observing, so the plan that
 * is applied is the one made from what the system looked like while nobody
 * else was changing it.
 */
export async function reconcile(steps: ReconcileSteps, options: ApplyOptions = {}): Promise<ReconcileResult> {
  return withApplyLock(steps.tctx.root, options.lockTimeoutMs ?? 60_000, async () => {
    const prepared = await steps.prepare();
    const guard = guardPlan(prepared.plan, prepared.desired, steps.breaker, options.allowMassChange === true);
    if (!guard.verdict.ok) {
      await steps.refused?.(guard, prepared);
      throw new RosterError('mass_change', `host ${steps.tctx.host}: ${guard.verdict.message}`);
    }
    const run = (): Promise<ApplyReport> => (steps.apply === undefined ? applyPrepared(steps.tctx, prepared) : steps.apply(prepared));
    const report = options.aroundApply === undefined ? await run() : await options.aroundApply(prepared, run);
    return { plan: prepared.plan, report };
  });
}

/** `roster apply`: the desired state from the store, every refusal and applied change in the audit log. */
export async function reconcileHost(ctx: AppContext, targets: readonly AnyTarget[], request: HostRequest, options: ApplyOptions = {}): Promise<ReconcileResult> {
  return reconcile(
    {
      tctx: targetContext(ctx, request),
      breaker: ctx.config.breaker,
      prepare: () => planHost(ctx, targets, request),
      apply: (prepared) => applyHostPlan(ctx, prepared),
      refused: (guard) =>
        mutate(ctx, {}, (tx) =>
          audit(tx, ctx, {
            action: 'apply.refused',
            target: `host:${request.host}`,
            before: null,
            after: { root: request.root, affected: guard.affected.length, total: guard.total, limit: guard.verdict.ok ? null : guard.verdict.limit, accounts: guard.affected.slice(0, 100) },
            result: 'refused',
          }),
        ).then(() => undefined),
    },
    options,
  );
}
