import type { Change } from '../targets/target.js';
import type { ApplyReport, ChangeOutcome } from './apply-host-plan.js';
import { changeAccount } from './change-account.js';
import { pendingChanges, planScope, type HostPlan } from './host-plan.js';

export interface ChangeView {
  readonly target: string;
  readonly action: string;
  readonly subject: string;
  readonly summary: string;
  readonly account?: string;
  readonly destructive: boolean;
  readonly recurring: boolean;
}

export interface PlanView {
  readonly host: string;
  readonly root: string;
  readonly at: string;
  /** Changes that correct drift; a converged host has none. */
  readonly pending: number;
  /** Changes that run on every apply by design (onEnsure hooks). */
  readonly recurring: number;
  readonly changes: readonly ChangeView[];
  /** Present when the plan covers only these accounts. */
  readonly accounts?: readonly string[];
  /** Present when accounts were asked for but the whole host was planned: why. */
  readonly widened?: string;
}

function changeView(c: Change): ChangeView {
  const account = changeAccount(c);
  return { target: c.target, action: c.action, subject: c.subject, summary: c.summary, ...(account === undefined ? {} : { account }), destructive: c.destructive, recurring: c.recurring === true };
}

/** The printable plan: every change without its target-private `data` (which may hold hashes). */
export function planView(plan: HostPlan): PlanView {
  const changes = plan.targets.flatMap((t) => t.changes.map(changeView));
  const pending = pendingChanges(plan).length;
  return { host: plan.host, root: plan.root, at: plan.at, pending, recurring: changes.length - pending, changes, ...planScope(plan) };
}

/** `host h (root /)`, with the accounts a scoped plan covers or why it covers the whole host. */
function heading(p: { readonly host: string; readonly root: string; readonly accounts?: readonly string[]; readonly widened?: string }): string {
  const accounts = p.accounts === undefined ? '' : `, accounts ${p.accounts.length > 5 ? `${p.accounts.slice(0, 5).join(', ')} and ${p.accounts.length - 5} more` : p.accounts.join(', ')}`;
  const widened = p.widened === undefined ? '' : `, whole host (${p.widened})`;
  return `host ${p.host} (root ${p.root})${accounts}${widened}`;
}

function line(c: ChangeView | ChangeOutcome, mark: string): string {
  return `${mark} ${c.target.padEnd(9)} ${c.action.padEnd(9)} ${c.summary}${c.recurring ? ' (every apply)' : ''}`;
}

/** `-` marks a destructive change, `~` a recurring one, `+` any other. */
export function formatPlan(view: PlanView): string {
  const head = heading(view);
  if (view.changes.length === 0) return `${head}: in the desired state, nothing to do`;
  const counts = `${view.pending} change${view.pending === 1 ? '' : 's'}${view.recurring > 0 ? ` and ${view.recurring} recurring` : ''}`;
  return [`${head}: ${counts}`, ...view.changes.map((c) => line(c, c.destructive ? '-' : c.recurring ? '~' : '+'))].join('\n');
}

export interface ReportSummary {
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  readonly recurring: number;
}

export function summarise(report: ApplyReport): ReportSummary {
  const count = (f: (o: ChangeOutcome) => boolean): number => report.outcomes.filter(f).length;
  return {
    applied: count((o) => o.status === 'ok' && !o.recurring),
    failed: count((o) => o.status === 'failed'),
    skipped: count((o) => o.status === 'skipped'),
    recurring: count((o) => o.status === 'ok' && o.recurring),
  };
}

export function formatReport(report: ApplyReport): string {
  const s = summarise(report);
  const warnings = report.outcomes.reduce((n, o) => n + (o.warnings?.length ?? 0), 0);
  const head = heading(report);
  if (report.outcomes.length === 0) return `${head}: in the desired state, nothing to do`;
  const lines = report.outcomes.map((o) => {
    if (o.status === 'ok') return [line(o, o.recurring ? '~' : 'ok'), ...(o.warnings ?? []).map((w) => `   warning: ${w}`)].join('\n');
    return `${o.status === 'failed' ? 'FAILED' : 'skipped'} ${o.target} ${o.action} ${o.subject}: ${o.error ?? ''}`;
  });
  const tail = [`${s.applied} applied`, s.failed > 0 ? `${s.failed} failed` : '', s.skipped > 0 ? `${s.skipped} skipped` : '', s.recurring > 0 ? `${s.recurring} recurring ran` : '', warnings > 0 ? `${warnings} warning${warnings === 1 ? '' : 's'}` : ''].filter((p) => p !== '');
  return [...lines, `${head}: ${tail.join(', ')}`].join('\n');
}
