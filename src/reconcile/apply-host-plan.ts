import type { AppContext } from '../app/app-context.js';
import { mutate } from '../app/mutate.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import type { Change, ChangeResult, TargetContext } from '../targets/target.js';
import { changeAccount } from './change-account.js';
import { planScope, targetContext, type PreparedPlan } from './host-plan.js';

export type ChangeStatus = 'ok' | 'failed' | 'skipped';

/** One change and what became of it; `data` stays private to its target and never leaves here. */
export interface ChangeOutcome {
  readonly target: string;
  readonly action: string;
  readonly subject: string;
  readonly summary: string;
  readonly account?: string;
  readonly destructive: boolean;
  readonly recurring: boolean;
  readonly status: ChangeStatus;
  readonly error?: string;
  readonly detail?: unknown;
  readonly warnings?: readonly string[];
}

export interface ApplyReport {
  readonly host: string;
  readonly root: string;
  readonly at: string;
  readonly outcomes: readonly ChangeOutcome[];
  /** A target's apply threw a lock timeout (exit 75). */
  readonly lockTimeout: boolean;
  /** As in the plan: the accounts it covered, or why it covered the whole host. */
  readonly accounts?: readonly string[];
  readonly widened?: string;
}

/** Largest JSON size of a result detail kept in the audit log. */
const MAX_AUDIT_DETAIL = 16 * 1024;

/** A change's detail (a hook's output, killed PIDs) cut to `max` characters of JSON where it is longer. */
export function truncatedDetail(detail: unknown, max: number): unknown {
  if (detail === undefined) return undefined;
  const text = JSON.stringify(detail);
  return text.length <= max ? detail : { truncated: true, text: text.slice(0, max) };
}

function outcome(c: Change, status: ChangeStatus, error?: string, detail?: unknown, warnings?: readonly string[]): ChangeOutcome {
  const account = changeAccount(c);
  return {
    target: c.target,
    action: c.action,
    subject: c.subject,
    summary: c.summary,
    ...(account === undefined ? {} : { account }),
    destructive: c.destructive,
    recurring: c.recurring === true,
    status,
    ...(error === undefined ? {} : { error }),
    ...(detail === undefined ? {} : { detail }),
    ...(warnings === undefined || warnings.length === 0 ? {} : { warnings }),
  };
}

/**
 * The results after the target's `verify` (DESIGN.md §10 "Verify after
 * apply"): a change that succeeded but did not take effect is a failed
 * change; a verify that throws fails every change it was given.
 */
async function verified(tctx: TargetContext, step: PreparedPlan['steps'][number], results: readonly ChangeResult[], desired: PreparedPlan['desired']): Promise<readonly ChangeResult[]> {
  const { target } = step;
  const succeeded = results.filter((r) => r.ok);
  if (target.verify === undefined || succeeded.length === 0) return results;
  let failures: ReadonlyMap<Change, string>;
  try {
    failures = new Map((await target.verify(tctx, step.config, succeeded, desired)).map((f) => [f.change, f.error]));
  } catch (e) {
    const message = `verify failed: ${errorMessage(e)}`;
    failures = new Map(succeeded.map((r) => [r.change, message]));
  }
  return results.map((r) => {
    const error = r.ok ? failures.get(r.change) : undefined;
    return error === undefined ? r : { ...r, ok: false, error: `applied but not in effect: ${error}` };
  });
}

type Step = PreparedPlan['steps'][number];

/** One step's changes split into those that run and those skipped for an account that already failed. */
interface Started {
  readonly step: Step;
  readonly runnable: readonly Change[];
  readonly skipped: ReadonlyMap<Change, ChangeOutcome>;
}

/**
 * The steps in apply order, cut into runs that are applied one after the
 * other: a run is one step, or several neighbouring steps whose targets are
 * all `concurrent` (each touches only its own service, so none waits for
 * another: a vhost's reload and a database lock go on at the same time).
 */
export function applyRuns(steps: readonly Step[]): Step[][] {
  const runs: Step[][] = [];
  for (const step of steps) {
    const last = runs.at(-1);
    if (last !== undefined && step.target.concurrent === true && last.every((s) => s.target.concurrent === true)) last.push(step);
    else runs.push([step]);
  }
  return runs;
}

/**
 * Applies a prepared plan in apply order. Expected failures are values
 * (DESIGN.md §9.4): a target's results are per change, and a target that
 * throws fails its own changes, not the run. Once any change of an account
 * fails, that account's changes in later targets are skipped — a failed
 * archive must not be followed by the removal of the passwd lines, nor a
 * failed passwd entry by its onCreate hook — while every other account goes
 * on. Neighbouring concurrent targets (applyRuns) are applied at the same
 * time and so do not skip each other's changes; the targets after them do.
 *
 * `afterTarget` receives each target's outcomes of the changes it ran, in
 * apply order, as soon as its run is done (the store audits them; the agent
 * reports them).
 */
export async function applyPrepared(tctx: TargetContext, prepared: PreparedPlan, afterTarget?: (outcomes: readonly ChangeOutcome[]) => Promise<void>): Promise<ApplyReport> {
  const { plan, desired } = prepared;
  const failedAccounts = new Map<string, string>();
  const outcomes: ChangeOutcome[] = [];
  let lockTimeout = false;

  const start = (step: Step): Started => {
    const runnable: Change[] = [];
    const skipped = new Map<Change, ChangeOutcome>();
    for (const c of step.changes) {
      const account = changeAccount(c);
      const earlier = account === undefined ? undefined : failedAccounts.get(account);
      if (earlier !== undefined) skipped.set(c, outcome(c, 'skipped', `skipped: an earlier change for ${account ?? ''} failed (${earlier})`));
      else runnable.push(c);
    }
    return { step, runnable, skipped };
  };

  const run = async ({ step, runnable }: Started): Promise<readonly ChangeResult[]> => {
    if (runnable.length === 0) return [];
    let results: readonly ChangeResult[];
    try {
      results = await step.target.apply(tctx, step.config, runnable, desired);
    } catch (e) {
      if (e instanceof RosterError && e.code === 'lock_timeout') lockTimeout = true;
      const message = errorMessage(e);
      results = runnable.map((change) => ({ change, ok: false, error: message }));
    }
    return verified(tctx, step, results, desired);
  };

  const finish = async ({ step, runnable, skipped }: Started, results: readonly ChangeResult[]): Promise<void> => {
    const byChange = new Map(results.map((r) => [r.change, r]));
    const mine: ChangeOutcome[] = [];
    for (const c of runnable) {
      const r = byChange.get(c);
      const o = r === undefined ? outcome(c, 'failed', `${step.target.name} returned no result for this change`) : outcome(c, r.ok ? 'ok' : 'failed', r.error, r.detail, r.warnings);
      if (o.status === 'failed' && o.account !== undefined && !failedAccounts.has(o.account)) failedAccounts.set(o.account, `${o.target} ${o.action}: ${o.error ?? 'failed'}`);
      mine.push(o);
    }
    const applied = new Map(runnable.map((c, i) => [c, mine[i] as ChangeOutcome]));
    // Reported in plan order; only applied changes are audited. (A loop, not
    // push(...spread): a first apply has one change per account, and 100,000
    // spread arguments overflow the stack.)
    for (const c of step.changes) outcomes.push(skipped.get(c) ?? (applied.get(c) as ChangeOutcome));
    if (mine.length > 0) await afterTarget?.(mine);
  };

  for (const steps of applyRuns(prepared.steps.filter((s) => s.changes.length > 0))) {
    // Every step of a run is started (its skips decided) before any of them applies.
    const started = steps.map(start);
    const results = await Promise.all(started.map(run));
    for (const [i, s] of started.entries()) await finish(s, results[i] ?? []);
  }
  return { host: plan.host, root: plan.root, at: plan.at, outcomes, lockTimeout, ...planScope(plan) };
}

/**
 * `roster apply`'s apply with its audit (DESIGN.md §7): one record per
 * applied change (skipped ones were not applied), with its result and the
 * target's detail (a hook's output, the killed PIDs). A target's records are
 * written in one store transaction right after that target's apply returns,
 * so a run of 10,000 changes costs a handful of commits and a crash loses at
 * most the records of the target that was running.
 */
export async function applyHostPlan(ctx: AppContext, prepared: PreparedPlan): Promise<ApplyReport> {
  const { plan } = prepared;
  return applyPrepared(targetContext(ctx, plan), prepared, async (outcomes) => {
    const at = ctx.clock.now().toISOString();
    await mutate(ctx, {}, (tx) =>
      tx.appendAudits(
        outcomes.map((o) => ({
          at,
          actor: ctx.actor,
          action: `apply.${o.action}`,
          target: `host:${plan.host}/${o.target}/${o.subject}`,
          before: null,
          after: {
            summary: o.summary,
            root: plan.root,
            ...(o.account === undefined ? {} : { account: o.account }),
            ...(o.recurring ? { recurring: true } : {}),
            ...(o.error === undefined ? {} : { error: o.error }),
            ...(o.detail === undefined ? {} : { detail: truncatedDetail(o.detail, MAX_AUDIT_DETAIL) }),
            ...(o.warnings === undefined ? {} : { warnings: o.warnings }),
          },
          result: o.status === 'ok' ? 'ok' : 'failed',
        })),
      ),
    );
  });
}
