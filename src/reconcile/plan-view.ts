import type { Change } from '../targets/target.js';
import type { ApplyReport, ChangeOutcome } from './apply-host-plan.js';
import { changeAccount } from './change-account.js';
import { pendingChanges, type HostPlan } from './host-plan.js';

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
}

function changeView(c: Change): ChangeView {
  const account = changeAccount(c);
  return { target: c.target, action: c.action, subject: c.subject, summary: c.summary, ...(account === undefined ? {} : { account }), destructive: c.destructive, recurring: c.recurring === true };
}

/** The printable plan: every change without its target-private `data` (which may hold hashes). */
export function planView(plan: HostPlan): PlanView {
  const changes = plan.targets.flatMap((t) => t.changes.map(changeView));
  const pending = pendingChanges(plan).length;
  return { host: plan.host, root: plan.root, at: plan.at, pending, recurring: changes.length - pending, changes };
}

function line(c: ChangeView | ChangeOutcome, mark: string): string {
  return `${mark} ${c.target.padEnd(9)} ${c.action.padEnd(9)} ${c.summary}${c.recurring ? ' (every apply)' : ''}`;
}

/** `-` marks a destructive change, `~` a recurring one, `+` any other. */
export function formatPlan(view: PlanView): string {
  const head = `host ${view.host} (root ${view.root})`;
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
  const head = `host ${report.host} (root ${report.root})`;
  if (report.outcomes.length === 0) return `${head}: in the desired state, nothing to do`;
  const lines = report.outcomes.map((o) => {
    if (o.status === 'ok') return line(o, o.recurring ? '~' : 'ok');
    return `${o.status === 'failed' ? 'FAILED' : 'skipped'} ${o.target} ${o.action} ${o.subject}: ${o.error ?? ''}`;
  });
  const tail = [`${s.applied} applied`, s.failed > 0 ? `${s.failed} failed` : '', s.skipped > 0 ? `${s.skipped} skipped` : '', s.recurring > 0 ? `${s.recurring} recurring ran` : ''].filter((p) => p !== '');
  return [...lines, `${head}: ${tail.join(', ')}`].join('\n');
}
