import type { AppContext } from '../../app/app-context.js';
import { statusSnapshot, type StatusEventView } from '../../app/status-snapshot.js';
import type { ServiceSource } from '../../config/known-services.js';
import { worstState, type ComponentState } from '../../domain/component-state.js';
import type { StatusEvent, StatusUpdate } from '../../store/store.js';

/**
 * What the public status page may show (seed GlobeNet; no internal detail:
 * no host addresses, no targets' settings, no member names, no report
 * bodies, no admins' notes or names): states, the admins' public words on
 * incidents and maintenance, public changelog entries, and the history.
 */
export interface PublicComponent {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly state: ComponentState;
  /** Per day of the history, oldest first: the worst state. */
  readonly days: ReadonlyArray<{ readonly day: string; readonly state: ComponentState }>;
}

export interface PublicHost extends PublicComponent {
  readonly services: readonly PublicComponent[];
}

/** A timeline entry without its author, who stays internal. */
export type PublicUpdate = Pick<StatusUpdate, 'id' | 'at' | 'state' | 'message'>;

/** An incident or maintenance as the store has it, without who created it and when it was last touched. */
export interface PublicEvent extends Pick<StatusEvent, 'id' | 'kind' | 'title' | 'impact' | 'state' | 'scheduledStart' | 'scheduledEnd' | 'startedAt' | 'endedAt'> {
  /** The names of the visible components it is about (the store has their ids). */
  readonly components: readonly string[];
  /** Oldest first. */
  readonly updates: readonly PublicUpdate[];
}

export interface PublicChangelogEntry {
  readonly id: number;
  readonly at: string;
  /** The host's name on the page. */
  readonly host: string;
  readonly text: string;
}

export interface PublicDay {
  readonly day: string;
  /** Visible components that were not operational, by name. */
  readonly problems: ReadonlyArray<{ readonly name: string; readonly state: ComponentState }>;
  readonly events: readonly number[];
}

export interface PublicStatus {
  readonly at: string;
  readonly title: string;
  readonly description: string | null;
  readonly overall: ComponentState;
  readonly hosts: readonly PublicHost[];
  readonly active: readonly PublicEvent[];
  readonly upcoming: readonly PublicEvent[];
  /** Ended within the history, newest first. */
  readonly recent: readonly PublicEvent[];
  /** Newest first. */
  readonly history: readonly PublicDay[];
  /** Public changelog entries of the visible hosts within the history, newest first. */
  readonly changelog: readonly PublicChangelogEntry[];
  /** Every event of the history by id (the history's days name them). */
  readonly events: ReadonlyMap<number, PublicEvent>;
}

/** The changelog entries the page shows: at most this many. */
const CHANGELOG_SHOWN = 50;

/** The public view of now, from the admins' view (statusSnapshot) and the public changelog. */
export async function publicStatus(ctx: AppContext, targets: readonly ServiceSource[]): Promise<PublicStatus> {
  const snap = await statusSnapshot(ctx, targets);
  const visible = snap.components.filter((c) => !c.hidden);
  const nameOf = new Map(visible.map((c) => [c.id, c.name]));
  const oldestFirst = [...snap.history].reverse();
  const component = (c: (typeof visible)[number]): PublicComponent => ({
    id: c.id,
    name: c.name,
    description: c.description,
    state: c.state,
    days: oldestFirst.map((d) => ({ day: d.day, state: d.states[c.id] ?? 'operational' })),
  });
  const hosts: PublicHost[] = visible.filter((c) => c.service === null).map((h) => ({ ...component(h), services: visible.filter((s) => s.host === h.host && s.service !== null).map(component) }));
  const event = (e: StatusEventView): PublicEvent => ({
    id: e.id,
    kind: e.kind,
    title: e.title,
    impact: e.impact,
    state: e.state,
    components: e.components.flatMap((id) => {
      const name = nameOf.get(id);
      return name === undefined ? [] : [name];
    }),
    scheduledStart: e.scheduledStart,
    scheduledEnd: e.scheduledEnd,
    startedAt: e.startedAt,
    endedAt: e.endedAt,
    updates: e.updates.map((u) => ({ id: u.id, at: u.at, state: u.state, message: u.message })),
  });
  const all = [...snap.active, ...snap.upcoming, ...snap.recent].map(event);
  const events = new Map(all.map((e) => [e.id, e]));
  const history: PublicDay[] = snap.history.map((d) => ({
    day: d.day,
    problems: visible.flatMap((c) => {
      const state = d.states[c.id];
      return state === undefined ? [] : [{ name: c.service === null ? c.name : `${nameOf.get(c.host) ?? c.host} — ${c.name}`, state }];
    }),
    events: d.events,
  }));
  let changelog: PublicChangelogEntry[] = [];
  if (ctx.config.status.expose.changelog) {
    const hostName = new Map(visible.filter((c) => c.service === null).map((c) => [c.id, c.name]));
    const since = new Date(ctx.clock.now().getTime() - ctx.config.status.historyDays * 86_400_000).toISOString();
    const entries = await ctx.store.read.listChangelog({ publicOnly: true, since });
    changelog = entries
      .filter((e) => hostName.has(e.host))
      .reverse()
      .slice(0, CHANGELOG_SHOWN)
      .map((e) => ({ id: e.id, at: e.at, host: hostName.get(e.host) ?? e.host, text: e.text }));
  }
  return {
    at: snap.at,
    title: ctx.config.status.title,
    description: ctx.config.status.description ?? null,
    overall: worstState(visible.map((c) => c.state)),
    hosts,
    active: snap.active.map(event),
    upcoming: snap.upcoming.map(event),
    recent: snap.recent.map(event),
    history,
    changelog,
    events,
  };
}
