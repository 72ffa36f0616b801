import { projectHost } from '../desired/project-host.js';
import { RosterError } from '../domain/errors.js';
import { enabledTargets, targetContext } from '../reconcile/host-plan.js';
import { measureHost, type TargetUsage } from '../reconcile/host-usage.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import type { AccountReads, UsageReads } from '../store/store.js';
import type { AnyTarget } from '../targets/registry.js';
import type { UsageItem } from '../targets/target.js';
import type { AppContext } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';

/**
 * Usage per member (seed SoftwareArchitecturePlans 3.5: charge members for
 * what daemons store for them): the targets that declare `usage` measure
 * what each account uses of their service on a host, and the store keeps
 * the last measurement of each host and target, with the time it was made.
 */

/** One measured figure as the use cases show it. */
export interface UsageView {
  /** The account's username. */
  readonly user: string;
  readonly host: string;
  readonly target: string;
  readonly subject: string;
  readonly bytes: number;
  readonly measuredAt: string;
}

/** What became of one target's measurement on a host. */
export interface UsageOutcome {
  readonly host: string;
  readonly target: string;
  /** Stored (replacing the earlier figures), or not (the earlier figures stay). */
  readonly ok: boolean;
  /** Figures stored. */
  readonly figures: number;
  readonly error?: string;
  /** Accounts the target measured that the store has no live account for: not stored. */
  readonly unknownAccounts?: readonly string[];
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The figures' problems a target must not make (a bug in it): each is a refused measurement. */
function itemsProblem(items: readonly UsageItem[]): string | null {
  const seen = new Set<string>();
  for (const item of items) {
    if (!Number.isSafeInteger(item.bytes) || item.bytes < 0) return `${item.account} ${item.subject}: ${String(item.bytes)} is not a number of bytes`;
    if (item.subject === '' || item.subject.length > 1024) return `${item.account}: a subject is 1 to 1024 characters`;
    const key = JSON.stringify([item.account, item.subject]);
    if (seen.has(key)) return `${item.account} ${item.subject} is measured twice`;
    seen.add(key);
  }
  return null;
}

/**
 * Stores measurements of a host's targets made at `measuredAt`: each
 * replaces that host and target's earlier figures, in one transaction with
 * one audit record for the host. A target not enabled on the host, or one
 * whose figures do not check, is refused and its earlier figures stay.
 * Figures of accounts the store has no live account for are left out.
 */
export async function recordUsage(ctx: AppContext, host: string, measuredAt: string, measured: readonly TargetUsage[], enabled: ReadonlySet<string>): Promise<UsageOutcome[]> {
  const outcomes: UsageOutcome[] = [];
  const accepted: TargetUsage[] = [];
  for (const m of measured) {
    const problem = enabled.has(m.target) ? itemsProblem(m.items) : `the ${m.target} target is not enabled on host ${host}`;
    if (problem === null) accepted.push(m);
    else outcomes.push({ host, target: m.target, ok: false, figures: 0, error: problem });
  }
  if (accepted.length === 0) return outcomes;
  const stored = await mutate(ctx, {}, async (tx) => {
    const usernames = [...new Set(accepted.flatMap((m) => m.items.map((i) => i.account)))];
    const ids = new Map((await tx.accountsByUsernames(usernames)).filter((a) => a.purgedAt === null).map((a) => [a.username, a.id]));
    const done: UsageOutcome[] = [];
    for (const m of accepted) {
      const known = m.items.filter((i) => ids.has(i.account));
      const unknownAccounts = [...new Set(m.items.filter((i) => !ids.has(i.account)).map((i) => i.account))];
      const figures = await tx.replaceUsage(host, m.target, measuredAt, known.map((i) => ({ accountId: ids.get(i.account) ?? 0, subject: i.subject, bytes: i.bytes })));
      done.push({ host, target: m.target, ok: true, figures, ...(unknownAccounts.length === 0 ? {} : { unknownAccounts }) });
    }
    const counts = Object.fromEntries(done.map((d) => [d.target, d.figures]));
    await audit(tx, ctx, { action: 'usage.measure', target: `host:${host}`, before: null, after: { measuredAt, figures: counts } });
    return done;
  });
  return [...stored, ...outcomes].sort((a, b) => byText(a.target, b.target));
}

export interface MeasureRequest {
  /** One host; without it, every host declared in roster.yaml. */
  readonly host?: string | undefined;
  /** The root prefix the host lives under, like `useradd -R`; `/` is the live system. */
  readonly root: string;
}

/**
 * `roster usage --measure`: runs the `usage` of each target enabled on the
 * host(s) here, on this machine, and stores the figures with the time
 * measured (as `roster apply --host` applies a host locally).
 */
export async function measureUsage(ctx: AppContext, targets: readonly AnyTarget[], request: MeasureRequest): Promise<UsageOutcome[]> {
  const known = Object.keys(ctx.config.hosts);
  if (request.host !== undefined && !known.includes(request.host)) {
    throw new RosterError('not_found', `no host "${printable(request.host)}" in roster.yaml (declared: ${known.join(', ') || 'none'})`, [{ where: '--host', message: 'unknown host' }]);
  }
  const root = await resolveRoot(request.root);
  const outcomes: UsageOutcome[] = [];
  for (const host of request.host === undefined ? known : [request.host]) {
    const sections = (ctx.config.hosts[host]?.targets ?? {}) as Readonly<Record<string, unknown>>;
    const enabled = enabledTargets(targets, host, sections).filter((e) => e.target.usage !== undefined);
    if (enabled.length === 0) continue;
    const measuredAt = ctx.clock.now().toISOString();
    const desired = await projectHost(ctx.store.read, ctx.config, host, ctx.clock.now(), targets);
    const { measured, failed } = await measureHost(enabled, desired, targetContext(ctx, { host, root }));
    const stored = measured.length === 0 ? [] : await recordUsage(ctx, host, measuredAt, measured, new Set(measured.map((m) => m.target)));
    const notMeasured = failed.map((f): UsageOutcome => ({ host, target: f.target, ok: false, figures: 0, error: f.error }));
    outcomes.push(...[...stored, ...notMeasured].sort((a, b) => byText(a.target, b.target)));
  }
  return outcomes;
}

/** `roster usage [USER]`: the last measured figures (of one account, of one host), by username, host, target and subject. */
export async function listUsage(q: UsageReads & AccountReads, filter: { readonly user?: string | undefined; readonly host?: string | undefined } = {}): Promise<UsageView[]> {
  let accountId: number | undefined;
  if (filter.user !== undefined) {
    const account = await q.getAccount(filter.user);
    if (account === undefined) throw new RosterError('not_found', `user: no account "${printable(filter.user)}"`, [{ where: 'user', message: `no account "${printable(filter.user)}"` }]);
    accountId = account.id;
  }
  const figures = await q.listUsage({ ...(accountId === undefined ? {} : { accountId }), ...(filter.host === undefined ? {} : { host: filter.host }) });
  const names = new Map((await q.getAccountsByIds([...new Set(figures.map((f) => f.accountId))])).map((a) => [a.id, a.username]));
  const views = figures.map((f) => ({ user: names.get(f.accountId) ?? `#${f.accountId}`, host: f.host, target: f.target, subject: f.subject, bytes: f.bytes, measuredAt: f.measuredAt }));
  return views.sort((a, b) => byText(a.user, b.user) || byText(a.host, b.host) || byText(a.target, b.target) || byText(a.subject, b.subject));
}
