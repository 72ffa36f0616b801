import type { ServiceSource } from '../config/known-services.js';
import { impactState, INCIDENT_IMPACTS, isComponentState, stateOfRank, stateRank, worstState, type ComponentState, type IncidentImpact } from '../domain/component-state.js';
import { addDaysToDate, calendarDate } from '../domain/zoned-time.js';
import type { HostReport, StatusEvent, StatusOverride, StatusReads, StatusUpdate } from '../store/store.js';
import type { HostReportReads } from '../store/store.js';
import type { AppContext } from './app-context.js';
import { statusComponents, type StatusComponent } from './status-components.js';

/** A component and its state now. */
export interface ComponentStatus extends StatusComponent {
  readonly state: ComponentState;
  /** Why it is not operational, for admins (CLI, API): never shown on the public page. */
  readonly reasons: readonly string[];
  /** The admin's override in force, if any. */
  readonly override: Pick<StatusOverride, 'state' | 'note' | 'setAt' | 'setBy'> | null;
}

/** An incident or a maintenance with its timeline (oldest first). */
export interface StatusEventView extends StatusEvent {
  readonly updates: readonly StatusUpdate[];
}

/** One calendar day (in roster.yaml's timeZone) of the history. */
export interface StatusHistoryDay {
  readonly day: string;
  /** The worst state of each component that day that was not operational. */
  readonly states: Readonly<Record<string, ComponentState>>;
  /** Incidents and maintenance going on that day, by id. */
  readonly events: readonly number[];
}

export interface StatusSnapshot {
  /** When it was computed (ISO UTC). */
  readonly at: string;
  /** The worst state of the visible components. */
  readonly overall: ComponentState;
  readonly components: readonly ComponentStatus[];
  /** Open incidents and maintenance in progress, newest first. */
  readonly active: readonly StatusEventView[];
  /** Maintenance scheduled and not started yet, soonest first. */
  readonly upcoming: readonly StatusEventView[];
  /** Incidents and maintenance that ended within the history, newest first. */
  readonly recent: readonly StatusEventView[];
  /** `status.historyDays` days, newest first. */
  readonly history: readonly StatusHistoryDay[];
}

/** A condition the agents' calls and reports show, since a time. */
interface Condition {
  readonly component: string;
  readonly state: ComponentState;
  /** When it began; null when not known (an agent that never called). */
  readonly since: string | null;
  readonly reason: string;
}

/** What a host's report says failed: the host itself (nothing applied, a lock timeout, a target of no service) and the services whose targets failed. */
export interface ReportFaults {
  readonly host: boolean;
  readonly services: readonly string[];
  readonly why: string;
}

function countOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** The faults of a stored report, against the host's components. */
export function reportFaults(report: Pick<HostReport, 'ok' | 'report'>, hostComponents: readonly StatusComponent[]): ReportFaults {
  if (report.ok) return { host: false, services: [], why: '' };
  const body = report.report;
  const failedTargets = new Set<string>();
  const totals = body.targetTotals;
  if (typeof totals === 'object' && totals !== null) {
    for (const [target, t] of Object.entries(totals as Record<string, unknown>)) {
      if (typeof t === 'object' && t !== null && countOf((t as Record<string, unknown>).failed) > 0) failedTargets.add(target);
    }
  }
  if (Array.isArray(body.outcomes)) {
    for (const o of body.outcomes as unknown[]) {
      if (typeof o === 'object' && o !== null && (o as Record<string, unknown>).status === 'failed') {
        const target = (o as Record<string, unknown>).target;
        if (typeof target === 'string') failedTargets.add(target);
      }
    }
  }
  const services = hostComponents.filter((c) => c.service !== null && c.targets.some((t) => failedTargets.has(t))).map((c) => c.id);
  const covered = new Set(hostComponents.flatMap((c) => (services.includes(c.id) ? c.targets : [])));
  const error = typeof body.error === 'object' && body.error !== null ? (body.error as Record<string, unknown>) : null;
  const host = error !== null || body.lockTimeout === true || failedTargets.size === 0 || [...failedTargets].some((t) => !covered.has(t));
  const why =
    error !== null
      ? `the last apply did nothing: ${typeof error.code === 'string' ? error.code : 'error'}`
      : body.lockTimeout === true
        ? 'the last apply timed out waiting for the apply lock'
        : `changes failed in the last apply${failedTargets.size === 0 ? '' : ` (${[...failedTargets].sort().join(', ')})`}`;
  return { host, services, why };
}

/** How long without a call from a host's agent before it shows degraded. */
export function staleAfterMs(ctx: Pick<AppContext, 'config'>): number {
  return ctx.config.status.agentIntervalSeconds * ctx.config.status.staleIntervals * 1000;
}

/** The conditions the agents show now, per component (hosts applied by roster serve itself have no agent to hear from). */
async function agentConditions(ctx: AppContext, reads: StatusReads & HostReportReads, components: readonly StatusComponent[], now: Date): Promise<Condition[]> {
  const contacts = new Map((await reads.listStatusContacts()).map((c) => [c.host, c.lastSeenAt]));
  const latest = new Map((await reads.latestHostReports()).map((r) => [r.host, r]));
  const staleMs = staleAfterMs(ctx);
  const out: Condition[] = [];
  for (const [host, hostConfig] of Object.entries(ctx.config.hosts)) {
    if (hostConfig.appliedBy === 'server') continue;
    const report = latest.get(host);
    const called = [contacts.get(host), report?.receivedAt].filter((t): t is string => t !== undefined).sort().at(-1);
    if (called === undefined) out.push({ component: host, state: 'degraded', since: null, reason: 'its agent has never called the server' });
    else if (now.getTime() - new Date(called).getTime() > staleMs) {
      out.push({ component: host, state: 'degraded', since: new Date(new Date(called).getTime() + staleMs).toISOString(), reason: `no call from its agent since ${called}` });
    }
    if (report !== undefined && !report.ok) {
      const [full] = await reads.listHostReports({ host, limit: 1 });
      if (full === undefined) continue;
      const faults = reportFaults(full, components.filter((c) => c.host === host));
      if (faults.host) out.push({ component: host, state: 'degraded', since: full.receivedAt, reason: `${faults.why} (report ${full.id}, ${full.receivedAt})` });
      for (const id of faults.services) out.push({ component: id, state: 'degraded', since: full.receivedAt, reason: `${faults.why} (report ${full.id})` });
    }
  }
  return out;
}

/** What an event does to its components while it goes on; null when it does nothing (a maintenance not started). */
export function eventState(e: Pick<StatusEvent, 'kind' | 'impact' | 'startedAt'>): ComponentState | null {
  if (e.startedAt === null) return null;
  if (e.kind === 'maintenance') return 'maintenance';
  return (INCIDENT_IMPACTS as readonly string[]).includes(e.impact) ? impactState(e.impact as IncidentImpact) : 'degraded';
}

/** Calendar days from `from` to `to` (both YYYY-MM-DD, inclusive), clipped to [first, last]. */
function daysIn(from: string, to: string, first: string, last: string): string[] {
  const start = from < first ? first : from;
  const end = to > last ? last : to;
  const out: string[] = [];
  for (let d = start; d <= end; d = addDaysToDate(d, 1)) out.push(d);
  return out;
}

/**
 * The status page's view of now (DESIGN.md §10 "Interventions"): each
 * component's state, the worst of what holds for it —
 * - its agent: degraded when it has not called for `staleIntervals`
 *   intervals, or its last report says changes failed (a service's
 *   targets, or the host's own);
 * - an admin's override;
 * - an open incident (minor degraded, major partial outage, critical
 *   major outage) or a maintenance in progress —
 * where a service also takes its host's conditions, and a host shows the
 * worst of itself and its services. The history gives the same worst per
 * calendar day, from the days recorded as the agents called and reported
 * (status-observations.ts), the conditions still going on, the overrides
 * and the events of each day.
 */
export async function statusSnapshot(ctx: AppContext, targets: readonly ServiceSource[]): Promise<StatusSnapshot> {
  const reads = ctx.store.read;
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const tz = ctx.config.timeZone;
  const days = ctx.config.status.historyDays;
  const today = calendarDate(now, tz);
  const first = addDaysToDate(today, -(days - 1));
  // A day's start is at most 14 hours from UTC midnight: a margin that never misses an event of the first day.
  const since = new Date(now.getTime() - (days + 1) * 86_400_000).toISOString();
  const components = statusComponents(ctx.config, targets);
  const known = new Set(components.map((c) => c.id));

  const conditions = await agentConditions(ctx, reads, components, now);
  const overrides = (await reads.listStatusOverrides({ clearedSince: since })).filter((o) => known.has(o.component) && isComponentState(o.state));
  const events = await reads.listStatusEvents({ endedSince: since });
  const updates = await reads.listStatusUpdates(events.map((e) => e.id));
  const recorded = await reads.listStatusDays(first);

  // ---- now ----
  const base = new Map<string, { ranks: number[]; reasons: string[] }>(components.map((c) => [c.id, { ranks: [0], reasons: [] }]));
  const add = (component: string, state: ComponentState, reason: string): void => {
    const b = base.get(component);
    if (b === undefined) return;
    b.ranks.push(stateRank(state));
    b.reasons.push(reason);
  };
  for (const c of conditions) add(c.component, c.state, c.reason);
  const overrideOf = new Map<string, StatusOverride>();
  for (const o of overrides) {
    if (o.clearedAt !== null) continue;
    overrideOf.set(o.component, o);
    add(o.component, o.state as ComponentState, `override by ${o.setBy} since ${o.setAt}: ${o.note}`);
  }
  for (const e of events) {
    const state = eventState(e);
    if (state === null || e.endedAt !== null) continue;
    for (const id of e.components) add(id, state, `${e.kind} #${e.id} (${e.state}): ${e.title}`);
  }
  const effective = resolveTree(components, (id) => Math.max(...(base.get(id)?.ranks ?? [0])));
  const componentViews: ComponentStatus[] = components.map((c) => {
    const o = overrideOf.get(c.id);
    const own = base.get(c.id)?.reasons ?? [];
    const inherited = c.service === null ? components.filter((s) => s.host === c.host && s.service !== null).flatMap((s) => (base.get(s.id)?.reasons ?? []).map((r) => `${s.id}: ${r}`)) : (base.get(c.host)?.reasons ?? []).map((r) => `${c.host}: ${r}`);
    return {
      ...c,
      state: stateOfRank(effective.get(c.id) ?? 0),
      reasons: [...own, ...inherited],
      override: o === undefined ? null : { state: o.state, note: o.note, setAt: o.setAt, setBy: o.setBy },
    };
  });

  // ---- history ----
  const perDay = new Map<string, Map<string, number>>();
  const raise = (component: string, day: string, rank: number): void => {
    if (!known.has(component) || rank <= 0) return;
    let m = perDay.get(component);
    if (m === undefined) perDay.set(component, (m = new Map<string, number>()));
    m.set(day, Math.max(m.get(day) ?? 0, rank));
  };
  for (const r of recorded) if (r.day <= today) raise(r.component, r.day, r.level);
  for (const c of conditions) for (const d of daysIn(c.since === null ? today : calendarDate(new Date(c.since), tz), today, first, today)) raise(c.component, d, stateRank(c.state));
  for (const o of overrides) for (const d of daysIn(calendarDate(new Date(o.setAt), tz), calendarDate(new Date(o.clearedAt ?? nowIso), tz), first, today)) raise(o.component, d, stateRank(o.state as ComponentState));
  const eventDays = new Map<string, number[]>();
  for (const e of events) {
    const state = eventState(e);
    if (state === null || e.startedAt === null) continue;
    for (const d of daysIn(calendarDate(new Date(e.startedAt), tz), calendarDate(new Date(e.endedAt ?? nowIso), tz), first, today)) {
      eventDays.set(d, [...(eventDays.get(d) ?? []), e.id]);
      for (const id of e.components) raise(id, d, stateRank(state));
    }
  }
  const history: StatusHistoryDay[] = [];
  for (let i = 0; i < days; i++) {
    const day = addDaysToDate(today, -i);
    const ranks = resolveTree(components, (id) => perDay.get(id)?.get(day) ?? 0);
    const states: Record<string, ComponentState> = {};
    for (const c of components) {
      // Today is never better than now.
      const rank = Math.max(ranks.get(c.id) ?? 0, day === today ? (effective.get(c.id) ?? 0) : 0);
      if (rank > 0) states[c.id] = stateOfRank(rank);
    }
    history.push({ day, states, events: (eventDays.get(day) ?? []).sort((a, b) => b - a) });
  }

  // ---- events ----
  const timeline = new Map<number, StatusUpdate[]>();
  for (const u of updates) timeline.set(u.eventId, [...(timeline.get(u.eventId) ?? []), u]);
  const view = (e: StatusEvent): StatusEventView => ({ ...e, updates: timeline.get(e.id) ?? [] });
  const active = events.filter((e) => e.endedAt === null && e.startedAt !== null).map(view);
  const upcoming = events
    .filter((e) => e.endedAt === null && e.startedAt === null)
    .sort((a, b) => (a.scheduledStart ?? '').localeCompare(b.scheduledStart ?? '') || a.id - b.id)
    .map(view);
  const recent = events
    .filter((e) => e.endedAt !== null)
    .sort((a, b) => (b.endedAt ?? '').localeCompare(a.endedAt ?? '') || b.id - a.id)
    .map(view);
  const overall = worstState(componentViews.filter((c) => !c.hidden).map((c) => c.state));
  return { at: nowIso, overall, components: componentViews, active, upcoming, recent, history };
}

/**
 * Each component's rank from `own`: a service takes the worse of itself and
 * its host, a host the worst of itself and its services.
 */
function resolveTree(components: readonly StatusComponent[], own: (id: string) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of components) if (c.service !== null) out.set(c.id, Math.max(own(c.id), own(c.host)));
  for (const c of components) {
    if (c.service !== null) continue;
    let rank = own(c.id);
    for (const s of components) if (s.host === c.id && s.service !== null) rank = Math.max(rank, out.get(s.id) ?? 0);
    out.set(c.id, rank);
  }
  return out;
}
