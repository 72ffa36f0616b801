import type { AppContext } from '../app/app-context.js';
import { audit, mutate } from '../app/mutate.js';
import { RosterError } from '../domain/errors.js';
import type { AnyTarget } from '../targets/registry.js';
import { withApplyLock } from './apply-lock.js';
import { applyHostPlan, type ApplyReport } from './apply-host-plan.js';
import { planHost, type HostPlan, type HostRequest } from './host-plan.js';
import { guardPlan } from './plan-guard.js';

export interface ApplyOptions {
  readonly allowMassChange?: boolean;
  /** How long to wait for another apply on the same root (default 60 s). */
  readonly lockTimeoutMs?: number;
}

export type ReconcileResult = { readonly plan: HostPlan; readonly report: ApplyReport };

/**
 * `roster apply` (DESIGN.md §1): under the root's apply lock, project the
 * host's desired state, plan every enabled target, check the circuit
 * breaker before the first change, then apply and audit. The lock is taken
 * before observing, so the plan that is applied is the one made from what
 * the system looked like while nobody else was changing it.
 */
export async function reconcileHost(ctx: AppContext, targets: readonly AnyTarget[], request: HostRequest, options: ApplyOptions = {}): Promise<ReconcileResult> {
  return withApplyLock(request.root, options.lockTimeoutMs ?? 60_000, async () => {
    const prepared = await planHost(ctx, targets, request);
    const guard = guardPlan(prepared.plan, prepared.desired, ctx.config.breaker, options.allowMassChange === true);
    if (!guard.verdict.ok) {
      await mutate(ctx, {}, (tx) =>
        audit(tx, ctx, {
          action: 'apply.refused',
          target: `host:${request.host}`,
          before: null,
          after: { root: request.root, affected: guard.affected.length, total: guard.total, limit: guard.verdict.ok ? null : guard.verdict.limit, accounts: guard.affected.slice(0, 100) },
          result: 'refused',
        }),
      );
      throw new RosterError('mass_change', `host ${request.host}: ${guard.verdict.message}`);
    }
    return { plan: prepared.plan, report: await applyHostPlan(ctx, prepared) };
  });
}
