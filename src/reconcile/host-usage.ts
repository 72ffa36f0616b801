import type { DesiredHost } from '../desired/desired-host.js';
import { errorMessage } from '../domain/errors.js';
import type { TargetContext, UsageItem } from '../targets/target.js';
import type { EnabledTarget } from './host-plan.js';

/** What one target measured on one host. */
export interface TargetUsage {
  readonly target: string;
  readonly items: readonly UsageItem[];
}

export interface HostUsage {
  readonly measured: readonly TargetUsage[];
  /** Targets whose `usage` failed, with why. */
  readonly failed: ReadonlyArray<{ readonly target: string; readonly error: string }>;
}

/**
 * Runs the `usage` of each enabled target that declares one, in apply
 * order, each on its own: a target that fails is reported and the others
 * go on. Read only; no store involved, so `roster usage --measure` and the
 * agent share it.
 */
export async function measureHost(enabled: readonly EnabledTarget[], desired: DesiredHost, tctx: TargetContext): Promise<HostUsage> {
  const measured: TargetUsage[] = [];
  const failed: Array<{ target: string; error: string }> = [];
  for (const { target, config } of enabled) {
    if (target.usage === undefined) continue;
    try {
      measured.push({ target: target.name, items: await target.usage(tctx, config, desired) });
    } catch (e) {
      failed.push({ target: target.name, error: errorMessage(e) });
    }
  }
  return { measured, failed };
}
