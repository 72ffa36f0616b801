import type { ServiceSource } from '../config/known-services.js';
import { componentHost, INCIDENT_IMPACTS, INCIDENT_STATES, isComponentState, STATE_WORDS, type ComponentState } from '../domain/component-state.js';
import { RosterError } from '../domain/errors.js';
import type { Queries, StatusEvent, StatusOverride, StatusUpdate } from '../store/store.js';
import { announce } from './announce.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { wallTime } from './notices.js';
import { printable } from './person-input.js';
import { chooseComponents, statusComponents, type StatusComponent } from './status-components.js';
import type { StatusEventView } from './status-snapshot.js';
import { queueSubscriberNotices, statusBaseUrl } from './status-subscriptions.js';

/**
 * Incidents and scheduled maintenance of the status page (Cachet, Uptime
 * Kuma, Statuspage), each with a timeline of updates; and admins'
 * overrides of a component's state. Every change is audited, mailed to the
 * page's confirmed subscribers in the same transaction, and, when asked
 * (`notifyMembers`), announced to the members who have an account on the
 * hosts concerned (the announce path) — which a dry run shows as a plan
 * without sending.
 */

/** Members told of an incident or a maintenance on one host. */
export interface MemberNotice {
  readonly host: string;
  /** One per address, sorted. */
  readonly recipients: readonly string[];
  /** Members with an account there but no address on record. */
  readonly unaddressed: readonly string[];
}

export interface StatusChange {
  readonly event: StatusEventView;
  /** Subscribers the update is mailed to. */
  readonly subscribers: number;
  /** With notifyMembers: the members told, per host; else null. */
  readonly members: readonly MemberNotice[] | null;
}

export interface Where {
  /** Whole hosts (a host and its services). */
  readonly hosts?: readonly string[] | undefined;
  /** Any components: `shell`, `shell/login`. */
  readonly components?: readonly string[] | undefined;
}

export interface OpenIncidentInput extends Where {
  readonly title: string;
  readonly impact?: string;
  readonly message: string;
  readonly notifyMembers?: boolean;
}

export interface ScheduleMaintenanceInput extends Where {
  readonly title: string;
  /** ISO 8601 times. */
  readonly start: string;
  readonly end: string;
  readonly message: string;
  readonly notifyMembers?: boolean;
}

const CONTROL_LINE = /[\u0000-\u001f\u007f]/;
const CONTROL_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const TITLE_MAX = 150;
const MESSAGE_MAX = 5000;
const NOTE_MAX = 500;

function oneLine(value: string, field: string, max: number): string {
  const v = value.trim();
  if (v === '' || v.length > max || CONTROL_LINE.test(v)) {
    throw new RosterError('bad_input', `the ${field} must be one line of 1 to ${max} characters`, [{ where: field, message: `one line, 1-${max} characters, no control characters` }]);
  }
  return v;
}

function messageText(value: string, field = 'message'): string {
  const v = value.replace(/\r\n/g, '\n').trim();
  if (v === '' || v.length > MESSAGE_MAX || CONTROL_TEXT.test(v)) {
    throw new RosterError('bad_input', `the ${field} must be 1 to ${MESSAGE_MAX} characters without control characters (new lines are fine)`, [{ where: field, message: `1-${MESSAGE_MAX} characters, no control characters` }]);
  }
  return v;
}

function isoTime(value: string, field: string): string {
  const t = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t.getTime())) throw new RosterError('bad_input', `the ${field} time "${printable(value)}" is not an ISO 8601 time (e.g. 2026-03-05T20:00:00Z)`, [{ where: field, message: 'not an ISO 8601 time' }]);
  return t.toISOString();
}

/** The names the page shows for these components: the hidden ones are left out, as on the page and in the feed. */
function visibleComponentNames(all: readonly StatusComponent[], ids: readonly string[]): string[] {
  return ids.flatMap((id) => {
    const c = all.find((x) => x.id === id);
    return c === undefined || c.hidden ? [] : [c.name];
  });
}

async function withUpdates(tx: Queries, event: StatusEvent): Promise<StatusEventView> {
  return { ...event, updates: await tx.listStatusUpdates([event.id]) };
}

async function requireEvent(tx: Queries, id: number, kind: StatusEvent['kind']): Promise<StatusEvent> {
  const event = await tx.getStatusEvent(id);
  if (event === undefined || event.kind !== kind) throw new RosterError('not_found', `no ${kind} #${id}`, [{ where: 'id', message: `no such ${kind}` }]);
  return event;
}

/** Announces the event to the members of each host it concerns, in the event's transaction (so a dry run sends nothing). */
async function noticeMembers(ctx: AppContext, tx: Queries, event: StatusEvent, subject: (host: string) => string, body: string, dryRun: boolean): Promise<MemberNotice[]> {
  const hosts = [...new Set(event.components.map(componentHost))];
  const out: MemberNotice[] = [];
  for (const host of hosts) {
    const r = await announce(ctx, { host, subject: subject(host), body }, { tx, dryRun });
    out.push({ host, recipients: r.recipients, unaddressed: r.unaddressed });
  }
  return out;
}

function eventLink(ctx: AppContext, id: number): string {
  const base = statusBaseUrl(ctx.config);
  return base === null ? '' : `\n\nFollow it on the status page: ${base}/status/events/${id}`;
}

/** Records an update of the timeline, mails the subscribers and audits; the event as it is after. */
async function recordUpdate(
  ctx: AppContext,
  tx: Queries,
  all: readonly StatusComponent[],
  event: StatusEvent,
  update: Omit<StatusUpdate, 'id' | 'eventId' | 'author' | 'at'>,
  action: string,
  before: Readonly<Record<string, unknown>> | null,
): Promise<{ readonly event: StatusEventView; readonly subscribers: number; readonly update: StatusUpdate }> {
  const at = ctx.clock.now().toISOString();
  const stored = await tx.insertStatusUpdate({ eventId: event.id, at, state: update.state, message: update.message, author: ctx.actor });
  const subscribers = await queueSubscriberNotices(tx, ctx, event, stored, visibleComponentNames(all, event.components));
  await audit(tx, ctx, {
    action,
    target: `status-${event.kind}:${event.id}`,
    before,
    after: { title: event.title, state: event.state, impact: event.impact, components: event.components, update: stored.id, subscribers },
  });
  return { event: await withUpdates(tx, event), subscribers, update: stored };
}

/**
 * Opens an incident on hosts or components (state `investigating`), with
 * its first message. The page shows its components as the impact says
 * (minor: degraded, major: partial outage, critical: major outage) until
 * it is resolved.
 */
export async function openIncident(ctx: AppContext, targets: readonly ServiceSource[], input: OpenIncidentInput, options: MutationOptions = {}): Promise<StatusChange> {
  const all = statusComponents(ctx.config, targets);
  const components = chooseComponents(all, input);
  const title = oneLine(input.title, 'title', TITLE_MAX);
  const message = messageText(input.message);
  const impact = input.impact ?? 'minor';
  if (!(INCIDENT_IMPACTS as readonly string[]).includes(impact)) {
    throw new RosterError('bad_input', `the impact "${printable(impact)}" is not one of ${INCIDENT_IMPACTS.join(', ')}`, [{ where: 'impact', message: `one of ${INCIDENT_IMPACTS.join(', ')}` }]);
  }
  return mutate(ctx, options, async (tx) => {
    const now = ctx.clock.now().toISOString();
    const created = await tx.insertStatusEvent({ kind: 'incident', title, impact, state: 'investigating', components, scheduledStart: null, scheduledEnd: null, startedAt: now, endedAt: null, createdAt: now, createdBy: ctx.actor, updatedAt: now });
    const r = await recordUpdate(ctx, tx, all, created, { state: 'investigating', message }, 'status.incident.open', null);
    const members =
      input.notifyMembers === true
        ? await noticeMembers(ctx, tx, created, (host) => `Incident on ${host}: ${title}`, `${message}\n\nOpened ${wallTime(now, ctx.config.timeZone)} (${impact} impact).${eventLink(ctx, created.id)}`, options.dryRun === true)
        : null;
    return { event: r.event, subscribers: r.subscribers, members };
  });
}

/** A new message on an open incident, with its state now (investigating, identified or monitoring). */
export async function updateIncident(ctx: AppContext, targets: readonly ServiceSource[], id: number, input: { readonly state: string; readonly message: string }, options: MutationOptions = {}): Promise<StatusChange> {
  const open = INCIDENT_STATES.filter((s) => s !== 'resolved');
  if (!(open as readonly string[]).includes(input.state)) {
    throw new RosterError('bad_input', `the state "${printable(input.state)}" is not one of ${open.join(', ')} (resolve closes an incident)`, [{ where: 'state', message: `one of ${open.join(', ')}` }]);
  }
  const message = messageText(input.message);
  const all = statusComponents(ctx.config, targets);
  return mutate(ctx, options, async (tx) => {
    const event = await requireEvent(tx, id, 'incident');
    if (event.endedAt !== null) throw new RosterError('conflict', `incident #${id} was resolved on ${wallTime(event.endedAt, ctx.config.timeZone)}; open a new one`, [{ where: 'id', message: 'resolved already' }]);
    const now = ctx.clock.now().toISOString();
    await tx.updateStatusEvent(id, { state: input.state, updatedAt: now });
    const r = await recordUpdate(ctx, tx, all, { ...event, state: input.state, updatedAt: now }, { state: input.state, message }, 'status.incident.update', { state: event.state });
    return { event: r.event, subscribers: r.subscribers, members: null };
  });
}

/** Resolves an open incident with a last message: its components are no longer affected from now. */
export async function resolveIncident(ctx: AppContext, targets: readonly ServiceSource[], id: number, input: { readonly message: string }, options: MutationOptions = {}): Promise<StatusChange> {
  const message = messageText(input.message);
  const all = statusComponents(ctx.config, targets);
  return mutate(ctx, options, async (tx) => {
    const event = await requireEvent(tx, id, 'incident');
    if (event.endedAt !== null) throw new RosterError('conflict', `incident #${id} was resolved already on ${wallTime(event.endedAt, ctx.config.timeZone)}`, [{ where: 'id', message: 'resolved already' }]);
    const now = ctx.clock.now().toISOString();
    await tx.updateStatusEvent(id, { state: 'resolved', endedAt: now, updatedAt: now });
    const r = await recordUpdate(ctx, tx, all, { ...event, state: 'resolved', endedAt: now, updatedAt: now }, { state: 'resolved', message }, 'status.incident.resolve', { state: event.state });
    return { event: r.event, subscribers: r.subscribers, members: null };
  });
}

/**
 * Announces a maintenance window on hosts or components. The page lists
 * it as upcoming; `startMaintenance` puts its components under
 * maintenance, `completeMaintenance` ends it.
 */
export async function scheduleMaintenance(ctx: AppContext, targets: readonly ServiceSource[], input: ScheduleMaintenanceInput, options: MutationOptions = {}): Promise<StatusChange> {
  const all = statusComponents(ctx.config, targets);
  const components = chooseComponents(all, input);
  const title = oneLine(input.title, 'title', TITLE_MAX);
  const message = messageText(input.message);
  const start = isoTime(input.start, 'start');
  const end = isoTime(input.end, 'end');
  if (end <= start) throw new RosterError('bad_input', `the maintenance must end after it starts (start ${start}, end ${end})`, [{ where: 'end', message: 'not after the start' }]);
  if (end <= ctx.clock.now().toISOString()) throw new RosterError('bad_input', `the maintenance window ended already (end ${end})`, [{ where: 'end', message: 'in the past' }]);
  return mutate(ctx, options, async (tx) => {
    const now = ctx.clock.now().toISOString();
    const created = await tx.insertStatusEvent({ kind: 'maintenance', title, impact: 'maintenance', state: 'scheduled', components, scheduledStart: start, scheduledEnd: end, startedAt: null, endedAt: null, createdAt: now, createdBy: ctx.actor, updatedAt: now });
    const r = await recordUpdate(ctx, tx, all, created, { state: 'scheduled', message }, 'status.maintenance.schedule', null);
    const tz = ctx.config.timeZone;
    const members =
      input.notifyMembers === true
        ? await noticeMembers(ctx, tx, created, (host) => `Maintenance on ${host}: ${title}`, `${message}\n\nPlanned from ${wallTime(start, tz)} to ${wallTime(end, tz)}.${eventLink(ctx, created.id)}`, options.dryRun === true)
        : null;
    return { event: r.event, subscribers: r.subscribers, members };
  });
}

/** The maintenance begins: its components show "under maintenance" until it is completed. */
export async function startMaintenance(ctx: AppContext, targets: readonly ServiceSource[], id: number, input: { readonly message?: string } = {}, options: MutationOptions = {}): Promise<StatusChange> {
  const message = input.message === undefined || input.message.trim() === '' ? 'The maintenance has begun.' : messageText(input.message);
  const all = statusComponents(ctx.config, targets);
  return mutate(ctx, options, async (tx) => {
    const event = await requireEvent(tx, id, 'maintenance');
    if (event.state !== 'scheduled') throw new RosterError('conflict', `maintenance #${id} is ${event.state.replace('_', ' ')}, not scheduled`, [{ where: 'id', message: `is ${event.state}` }]);
    const now = ctx.clock.now().toISOString();
    await tx.updateStatusEvent(id, { state: 'in_progress', startedAt: now, updatedAt: now });
    const r = await recordUpdate(ctx, tx, all, { ...event, state: 'in_progress', startedAt: now, updatedAt: now }, { state: 'in_progress', message }, 'status.maintenance.start', { state: event.state });
    return { event: r.event, subscribers: r.subscribers, members: null };
  });
}

/** The maintenance is over. */
export async function completeMaintenance(ctx: AppContext, targets: readonly ServiceSource[], id: number, input: { readonly message?: string } = {}, options: MutationOptions = {}): Promise<StatusChange> {
  const message = input.message === undefined || input.message.trim() === '' ? 'The maintenance is complete.' : messageText(input.message);
  const all = statusComponents(ctx.config, targets);
  return mutate(ctx, options, async (tx) => {
    const event = await requireEvent(tx, id, 'maintenance');
    if (event.state !== 'in_progress') {
      throw new RosterError('conflict', `maintenance #${id} is ${event.state.replace('_', ' ')}: ${event.state === 'scheduled' ? 'start it first' : 'it is over already'}`, [{ where: 'id', message: `is ${event.state}` }]);
    }
    const now = ctx.clock.now().toISOString();
    await tx.updateStatusEvent(id, { state: 'completed', endedAt: now, updatedAt: now });
    const r = await recordUpdate(ctx, tx, all, { ...event, state: 'completed', endedAt: now, updatedAt: now }, { state: 'completed', message }, 'status.maintenance.complete', { state: event.state });
    return { event: r.event, subscribers: r.subscribers, members: null };
  });
}

/** An admin sets a component's state by hand, with a note (shown to admins, not on the page). */
export async function setComponentState(ctx: AppContext, targets: readonly ServiceSource[], input: { readonly component: string; readonly state: string; readonly note: string }, options: MutationOptions = {}): Promise<StatusOverride> {
  const all = statusComponents(ctx.config, targets);
  const [component] = chooseComponents(all, { components: [input.component] });
  if (!isComponentState(input.state)) {
    throw new RosterError('bad_input', `the state "${printable(input.state)}" is not one of ${Object.keys(STATE_WORDS).join(', ')}`, [{ where: 'state', message: `one of ${Object.keys(STATE_WORDS).join(', ')}` }]);
  }
  const state: ComponentState = input.state;
  const note = oneLine(input.note, 'note', NOTE_MAX);
  return mutate(ctx, options, async (tx) => {
    const before = (await tx.listStatusOverrides()).find((o) => o.component === component);
    const o = await tx.setStatusOverride({ component: component ?? input.component, state, note, setAt: ctx.clock.now().toISOString(), setBy: ctx.actor });
    await audit(tx, ctx, { action: 'status.override.set', target: `component:${o.component}`, before: before === undefined ? null : { state: before.state, note: before.note }, after: { state, note } });
    return o;
  });
}

/** Ends an admin's override: the component's state comes from the agents and events again. */
export async function clearComponentState(ctx: AppContext, targets: readonly ServiceSource[], component: string, options: MutationOptions = {}): Promise<boolean> {
  const all = statusComponents(ctx.config, targets);
  const [id] = chooseComponents(all, { components: [component] });
  return mutate(ctx, options, async (tx) => {
    const before = (await tx.listStatusOverrides()).find((o) => o.component === id);
    if (before === undefined) return false;
    await tx.clearStatusOverride(before.component, ctx.clock.now().toISOString(), ctx.actor);
    await audit(tx, ctx, { action: 'status.override.clear', target: `component:${before.component}`, before: { state: before.state, note: before.note }, after: null });
    return true;
  });
}
