import type { AppContext } from '../app/app-context.js';
import type { DesiredHost } from '../desired/desired-host.js';
import { projectAccounts, projectHost } from '../desired/project-host.js';
import { errorMessage, RosterError, type ErrorIssue } from '../domain/errors.js';
import type { AccountReads, GroupReads, ResourceReads } from '../store/store.js';
import type { AnyTarget } from '../targets/registry.js';
import { WholeHostNeeded, type Change, type TargetContext } from '../targets/target.js';

/** The changes of one target, in the order they will be applied. */
export interface TargetPlan {
  readonly target: string;
  readonly changes: readonly Change[];
}

/** A plan is data (DESIGN.md §9.3): printed by `roster plan`, checked by the guard, then applied. */
export interface HostPlan {
  readonly host: string;
  readonly root: string;
  /** ISO 8601 UTC: the time the desired state was projected at. */
  readonly at: string;
  /** Targets the host runs, in apply order. */
  readonly targets: readonly TargetPlan[];
  /** Present when the plan covers only these accounts (`DesiredHost.scope`). */
  readonly accounts?: readonly string[];
  /** Present when some accounts were asked for but the whole host had to be planned: why. */
  readonly widened?: string;
}

/** The accounts a plan covers, or why it covers the whole host, as far as either is set. */
export function planScope(p: Pick<HostPlan, 'accounts' | 'widened'>): Pick<HostPlan, 'accounts' | 'widened'> {
  return { ...(p.accounts === undefined ? {} : { accounts: p.accounts }), ...(p.widened === undefined ? {} : { widened: p.widened }) };
}

/** What apply needs beyond the printable plan. */
export interface PreparedPlan {
  readonly plan: HostPlan;
  readonly desired: DesiredHost;
  readonly steps: ReadonlyArray<{ readonly target: AnyTarget; readonly config: unknown; readonly changes: readonly Change[] }>;
}

/** What projecting a host reads of the store. */
export type HostReads = AccountReads & GroupReads & ResourceReads;

export interface HostRequest {
  readonly host: string;
  /** Absolute, already resolved root prefix. */
  readonly root: string;
  /** Plan only for these accounts (and widen to the whole host where that cannot be exact). */
  readonly accounts?: readonly string[];
}

/** Changes that are drift to correct; recurring ones (onEnsure hooks) run every time and are not. */
export function pendingChanges(plan: HostPlan): Change[] {
  return plan.targets.flatMap((t) => t.changes.filter((c) => c.recurring !== true));
}

export function targetContext(ctx: AppContext, request: HostRequest): TargetContext {
  return { root: request.root, host: request.host, clock: ctx.clock, log: ctx.log };
}

/** A host's enabled targets, in apply order (the registry's), each with its settings parsed by its own schema. */
export interface EnabledTarget { readonly target: AnyTarget; readonly config: unknown }

export function enabledTargets(targets: readonly AnyTarget[], host: string, sections: Readonly<Record<string, unknown>>): EnabledTarget[] {
  const known = new Set(targets.map((t) => t.name));
  const unknown = Object.keys(sections).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new RosterError('bad_config', `host ${host} names unknown targets: ${unknown.join(', ')}`, unknown.map((name) => ({ where: `hosts.${host}.targets.${name}`, message: `unknown target (known: ${[...known].join(', ')})` })));
  }
  return targets
    .filter((t) => Object.hasOwn(sections, t.name))
    .map((target) => {
      const parsed = target.hostSettings.safeParse(sections[target.name] ?? {});
      if (!parsed.success) {
        throw new RosterError('bad_config', `hosts.${host}.targets.${target.name} is invalid`, parsed.error.issues.map((i) => ({ where: [`hosts.${host}.targets.${target.name}`, ...i.path.map(String)].join('.'), message: i.message })));
      }
      return { target, config: parsed.data };
    });
}

/**
 * Desired state → each enabled target (see enabledTargets) → its observation → its pure plan; no
 * store involved, so `roster apply` and the agent share it. Observation runs
 * for all targets before any plan is used: when one target cannot observe (a
 * missing tool, an unreadable file) the whole host is unavailable (exit 69)
 * rather than planned in part, because a later target may rely on an
 * earlier one (unix removes the lines homes archives).
 */
export async function planDesired(enabled: readonly EnabledTarget[], desired: DesiredHost, tctx: TargetContext): Promise<PreparedPlan> {
  const observed = await Promise.allSettled(enabled.map((e) => e.target.observe(tctx, e.config, desired)));
  const unavailable: ErrorIssue[] = [];
  observed.forEach((o, i) => {
    if (o.status === 'rejected') {
      const e: unknown = o.reason;
      if (e instanceof RosterError && e.code !== 'unavailable') throw e;
      unavailable.push({ where: `target ${enabled[i]?.target.name ?? '?'}`, message: errorMessage(e) });
    }
  });
  if (unavailable.length > 0) {
    throw new RosterError('unavailable', `host ${tctx.host}: ${unavailable.length === 1 ? 'a target is' : `${unavailable.length} targets are`} unavailable; nothing was changed`, unavailable);
  }
  const steps = enabled.map((e, i) => {
    const o = observed[i] as PromiseFulfilledResult<unknown>;
    return { target: e.target, config: e.config, changes: e.target.plan(desired, o.value, e.config) };
  });
  return {
    plan: {
      host: tctx.host,
      root: tctx.root,
      at: desired.at,
      targets: steps.map((s) => ({ target: s.target.name, changes: s.changes })),
      ...(desired.scope === undefined ? {} : { accounts: desired.scope }),
    },
    desired,
    steps,
  };
}

/**
 * `roster plan`: the host's `targets` section in roster.yaml says which
 * targets run and with what settings; the desired state is projected from
 * the store now. `read` is the store by default; a caller previewing a
 * change passes the transaction that holds it (and is rolled back), so the
 * plan is the one that change would lead to.
 */
export async function planHost(ctx: AppContext, targets: readonly AnyTarget[], request: HostRequest, read: HostReads = ctx.store.read): Promise<PreparedPlan> {
  const hostConfig = ctx.config.hosts[request.host];
  if (hostConfig === undefined) {
    const known = Object.keys(ctx.config.hosts);
    throw new RosterError('not_found', `no host "${request.host}" in roster.yaml (declared: ${known.join(', ') || 'none'})`, [{ where: '--host', message: 'unknown host' }]);
  }
  const sections = hostConfig.targets as Readonly<Record<string, unknown>>;
  // Settings are checked before the (costly) projection.
  const enabled = enabledTargets(targets, request.host, sections);
  const tctx = targetContext(ctx, request);
  let widened: string | undefined;
  if (request.accounts !== undefined) {
    const scoped = await planAccounts(ctx, read, targets, enabled, { host: request.host, accounts: request.accounts }, tctx);
    if (!('why' in scoped)) return scoped;
    widened = scoped.why;
  }
  const desired = await projectHost(read, ctx.config, request.host, ctx.clock.now(), targets);
  const prepared = await planDesired(enabled, desired, tctx);
  return widened === undefined ? prepared : { ...prepared, plan: { ...prepared.plan, widened } };
}

/**
 * The plan of some accounts only: their projection, observed and planned
 * for them alone (a freeze among 100,000 accounts reads the four files but
 * renders and compares one entry), or why the whole host must be planned
 * instead — an account to remove, a target that cannot plan them exactly, or
 * a destructive change, which the circuit breaker judges against the whole host.
 */
async function planAccounts(ctx: AppContext, read: HostReads, targets: readonly AnyTarget[], enabled: readonly EnabledTarget[], request: { readonly host: string; readonly accounts: readonly string[] }, tctx: TargetContext): Promise<PreparedPlan | { readonly why: string }> {
  const scoped = await projectAccounts(read, ctx.config, request.host, ctx.clock.now(), request.accounts, targets);
  if ('wholeHost' in scoped) return { why: scoped.wholeHost };
  return planScoped(enabled, scoped.desired, tctx);
}

/**
 * The plan of a scoped desired state (`DesiredHost.scope`), or why the whole
 * host must be planned instead: a target that cannot plan these accounts
 * exactly (WholeHostNeeded), or a destructive change, which the circuit
 * breaker judges against the whole host. `roster apply --account` and the
 * agent applying a delta share these rules.
 */
export async function planScoped(enabled: readonly EnabledTarget[], desired: DesiredHost, tctx: TargetContext): Promise<PreparedPlan | { readonly why: string }> {
  let prepared: PreparedPlan;
  try {
    prepared = await planDesired(enabled, desired, tctx);
  } catch (e) {
    if (e instanceof WholeHostNeeded) return { why: e.message };
    throw e;
  }
  const destructive = prepared.plan.targets.flatMap((t) => t.changes).find((c) => c.destructive);
  return destructive === undefined ? prepared : { why: `${destructive.summary} removes something` };
}
