import * as z from 'zod';
import { clearComponentState, completeMaintenance, openIncident, resolveIncident, scheduleMaintenance, setComponentState, startMaintenance, updateIncident, type StatusChange } from '../app/status-events.js';
import { statusSnapshot, type StatusEventView } from '../app/status-snapshot.js';
import type { ServiceSource } from '../config/known-services.js';
import { COMPONENT_STATES, INCIDENT_IMPACTS } from '../domain/component-state.js';
import { RosterError } from '../domain/errors.js';
import { route, type ApiRoute } from './api-route.js';
import { READERS, WRITERS } from './permissions.js';

const iso = z.string().meta({ format: 'date-time' });
const stateSchema = z.enum(COMPONENT_STATES);

const updateSchema = z.object({ id: z.int(), at: iso, state: z.string(), message: z.string(), author: z.string().meta({ description: 'who posted it (never shown on the public page)' }) });

export const statusEventSchema = z.object({
  id: z.int(),
  kind: z.enum(['incident', 'maintenance']),
  title: z.string(),
  impact: z.string().meta({ description: 'minor, major or critical (incidents); maintenance' }),
  state: z.string().meta({ description: 'investigating, identified, monitoring, resolved; scheduled, in_progress, completed' }),
  components: z.array(z.string()).meta({ description: 'component ids: a host (shell) or a service of a host (shell/login)' }),
  scheduledStart: iso.nullable(),
  scheduledEnd: iso.nullable(),
  startedAt: iso.nullable(),
  endedAt: iso.nullable(),
  createdAt: iso,
  createdBy: z.string(),
  updatedAt: iso,
  updates: z.array(updateSchema).meta({ description: 'the timeline, oldest first' }),
});

const componentSchema = z.object({
  id: z.string(),
  host: z.string(),
  service: z.string().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  hidden: z.boolean(),
  state: stateSchema,
  reasons: z.array(z.string()).meta({ description: 'why it is not operational (for admins; the public page shows only the state)' }),
  override: z.object({ state: z.string(), note: z.string(), setAt: iso, setBy: z.string() }).nullable(),
});

const changeSchema = z.object({
  event: statusEventSchema,
  subscribers: z.int().min(0).meta({ description: 'page subscribers the update is mailed to' }),
  members: z
    .array(z.object({ host: z.string(), recipients: z.array(z.string()), unaddressed: z.array(z.string()) }))
    .nullable()
    .meta({ description: 'with notifyMembers: the members told, per host (a dry run: who would be)' }),
  dryRun: z.boolean(),
});

const where = {
  hosts: z.array(z.string().max(64)).max(100).optional().meta({ description: 'whole hosts (a host and its services)' }),
  components: z.array(z.string().max(200)).max(100).optional().meta({ description: 'components: shell, shell/login' }),
};
const title = z.string().max(1000);
const message = z.string().max(20_000);
const idParam = z.strictObject({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

function eventView(e: StatusEventView): z.infer<typeof statusEventSchema> {
  return { ...e, components: [...e.components], updates: e.updates.map((u) => ({ ...u })) };
}

function changeView(r: StatusChange, dryRun: boolean): z.infer<typeof changeSchema> {
  return { event: eventView(r.event), subscribers: r.subscribers, members: r.members === null ? null : r.members.map((m) => ({ host: m.host, recipients: [...m.recipients], unaddressed: [...m.unaddressed] })), dryRun };
}

/**
 * The status page's admin side (seed GlobeNet): components' states with
 * the reasons, incidents and maintenance with their timelines, and the
 * overrides. Writers open, update and resolve; everything is audited as
 * the token. `notifyMembers` also tells the members with an account on the
 * hosts concerned; with `dryRun` nothing is stored or sent and the answer
 * says who would be told.
 */
export function statusRoutes(targets: readonly ServiceSource[]): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/status',
      operationId: 'getStatus',
      summary: "Every component's state now with the reasons, the open incidents and maintenance, the scheduled and the recently ended ones",
      tag: 'status',
      roles: READERS,
      response: z.object({ overall: stateSchema, components: z.array(componentSchema), active: z.array(statusEventSchema), upcoming: z.array(statusEventSchema), recent: z.array(statusEventSchema) }),
      async handler({ ctx }) {
        const snap = await statusSnapshot(ctx, targets);
        return {
          overall: snap.overall,
          components: snap.components.map((c) => ({ id: c.id, host: c.host, service: c.service, name: c.name, description: c.description, hidden: c.hidden, state: c.state, reasons: [...c.reasons], override: c.override === null ? null : { ...c.override } })),
          active: snap.active.map(eventView),
          upcoming: snap.upcoming.map(eventView),
          recent: snap.recent.map(eventView),
        };
      },
    }),
    route({
      method: 'get',
      path: '/status/events/{id}',
      operationId: 'getStatusEvent',
      summary: 'An incident or a maintenance with its timeline',
      tag: 'status',
      roles: READERS,
      params: idParam,
      response: statusEventSchema,
      async handler({ ctx, params }) {
        const e = await ctx.store.read.getStatusEvent(params.id);
        if (e === undefined) throw new RosterError('not_found', `no incident or maintenance #${params.id}`);
        return eventView({ ...e, updates: await ctx.store.read.listStatusUpdates([e.id]) });
      },
    }),
    route({
      method: 'post',
      path: '/status/incidents',
      operationId: 'openIncident',
      summary: 'Open an incident on hosts or components, with its first message; mailed to the page subscribers, and with notifyMembers to the members with an account there',
      tag: 'status',
      roles: WRITERS,
      body: z.strictObject({
        ...where,
        title,
        impact: z.enum(INCIDENT_IMPACTS).default('minor').meta({ description: 'minor: degraded, major: partial outage, critical: major outage' }),
        message,
        notifyMembers: z.boolean().default(false),
        dryRun: z.boolean().default(false).meta({ description: 'store and send nothing; answer what would be done' }),
      }),
      status: 201,
      response: changeSchema,
      async handler({ ctx, body }) {
        const { dryRun, ...input } = body;
        return changeView(await openIncident(ctx, targets, input, { dryRun }), dryRun);
      },
    }),
    route({
      method: 'post',
      path: '/status/incidents/{id}/updates',
      operationId: 'updateIncident',
      summary: "A new message on an open incident, with its state now",
      tag: 'status',
      roles: WRITERS,
      params: idParam,
      body: z.strictObject({ state: z.enum(['investigating', 'identified', 'monitoring']), message }),
      status: 201,
      response: changeSchema,
      async handler({ ctx, params, body }) {
        return changeView(await updateIncident(ctx, targets, params.id, body), false);
      },
    }),
    route({
      method: 'post',
      path: '/status/incidents/{id}/resolve',
      operationId: 'resolveIncident',
      summary: 'Resolve an open incident with a last message',
      tag: 'status',
      roles: WRITERS,
      params: idParam,
      body: z.strictObject({ message }),
      response: changeSchema,
      async handler({ ctx, params, body }) {
        return changeView(await resolveIncident(ctx, targets, params.id, body), false);
      },
    }),
    route({
      method: 'post',
      path: '/status/maintenance',
      operationId: 'scheduleMaintenance',
      summary: 'Schedule a maintenance window on hosts or components; mailed to the page subscribers, and with notifyMembers to the members with an account there',
      tag: 'status',
      roles: WRITERS,
      body: z.strictObject({
        ...where,
        title,
        start: z.iso.datetime({ offset: true }),
        end: z.iso.datetime({ offset: true }),
        message,
        notifyMembers: z.boolean().default(false),
        dryRun: z.boolean().default(false).meta({ description: 'store and send nothing; answer what would be done' }),
      }),
      status: 201,
      response: changeSchema,
      async handler({ ctx, body }) {
        const { dryRun, ...input } = body;
        return changeView(await scheduleMaintenance(ctx, targets, input, { dryRun }), dryRun);
      },
    }),
    route({
      method: 'post',
      path: '/status/maintenance/{id}/start',
      operationId: 'startMaintenance',
      summary: 'A scheduled maintenance begins: its components show under maintenance',
      tag: 'status',
      roles: WRITERS,
      params: idParam,
      body: z.strictObject({ message: message.optional() }),
      response: changeSchema,
      async handler({ ctx, params, body }) {
        return changeView(await startMaintenance(ctx, targets, params.id, body.message === undefined ? {} : { message: body.message }), false);
      },
    }),
    route({
      method: 'post',
      path: '/status/maintenance/{id}/complete',
      operationId: 'completeMaintenance',
      summary: 'A maintenance in progress is over',
      tag: 'status',
      roles: WRITERS,
      params: idParam,
      body: z.strictObject({ message: message.optional() }),
      response: changeSchema,
      async handler({ ctx, params, body }) {
        return changeView(await completeMaintenance(ctx, targets, params.id, body.message === undefined ? {} : { message: body.message }), false);
      },
    }),
    route({
      method: 'put',
      path: '/status/overrides',
      operationId: 'setComponentState',
      summary: "Set a component's state by hand, with a note (until cleared)",
      tag: 'status',
      roles: WRITERS,
      body: z.strictObject({ component: z.string().max(200), state: stateSchema, note: z.string().max(2000) }),
      response: z.object({ component: z.string(), state: z.string(), note: z.string(), setAt: iso, setBy: z.string() }),
      async handler({ ctx, body }) {
        const o = await setComponentState(ctx, targets, body);
        return { component: o.component, state: o.state, note: o.note, setAt: o.setAt, setBy: o.setBy };
      },
    }),
    route({
      method: 'delete',
      path: '/status/overrides',
      operationId: 'clearComponentState',
      summary: "End the override of a component: its state comes from the agents and the incidents again",
      tag: 'status',
      roles: WRITERS,
      query: z.strictObject({ component: z.string().max(200) }),
      response: z.object({ component: z.string(), cleared: z.boolean() }),
      async handler({ ctx, query }) {
        return { component: query.component, cleared: await clearComponentState(ctx, targets, query.component) };
      },
    }),
    route({
      method: 'get',
      path: '/status/subscribers',
      operationId: 'countStatusSubscribers',
      summary: 'How many e-mail subscribers the status page has (addresses are not listed)',
      tag: 'status',
      roles: READERS,
      response: z.object({ confirmed: z.int().min(0), pending: z.int().min(0) }),
      async handler({ ctx }) {
        return await ctx.store.read.countStatusSubscribers();
      },
    }),
  ];
}
