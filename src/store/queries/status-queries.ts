import { sql, type Selectable } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { StatusEventsTable, StatusOverridesTable, StatusSubscribersTable, StatusUpdatesTable } from '../database-schema.js';
import { uniqueViolation } from '../store-errors.js';
import type { QueryScope } from './query-scope.js';
import { IN_CHUNK, pageSize, stringList, toNumber, utc, utcOrNull } from './row-values.js';

/** An incident or a scheduled maintenance of the status page. */
export interface StatusEvent {
  readonly id: number;
  readonly kind: 'incident' | 'maintenance';
  readonly title: string;
  /** `minor`, `major` or `critical` for an incident; `maintenance` for a maintenance. */
  readonly impact: string;
  /** investigating, identified, monitoring, resolved; or scheduled, in_progress, completed. */
  readonly state: string;
  /** Component ids: `shell`, `shell/login`. */
  readonly components: readonly string[];
  readonly scheduledStart: string | null;
  readonly scheduledEnd: string | null;
  /** When it began: an incident when opened, a maintenance when started. */
  readonly startedAt: string | null;
  /** When it was resolved or completed; null while open. */
  readonly endedAt: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
}

export type NewStatusEvent = Omit<StatusEvent, 'id'>;
export type StatusEventPatch = Partial<Pick<StatusEvent, 'state' | 'startedAt' | 'endedAt' | 'updatedAt'>>;

/** One entry of an event's timeline. */
export interface StatusUpdate {
  readonly id: number;
  readonly eventId: number;
  readonly at: string;
  readonly state: string;
  readonly message: string;
  readonly author: string;
}

export type NewStatusUpdate = Omit<StatusUpdate, 'id'>;

/** An admin's word on a component's state, in force from setAt until cleared. */
export interface StatusOverride {
  readonly id: number;
  readonly component: string;
  readonly state: string;
  readonly note: string;
  readonly setAt: string;
  readonly setBy: string;
  readonly clearedAt: string | null;
  readonly clearedBy: string | null;
}

export type NewStatusOverride = Omit<StatusOverride, 'id' | 'clearedAt' | 'clearedBy'>;

/** The worst automatic state (0 … 4) a component was in on a calendar day. */
export interface StatusDay {
  readonly component: string;
  readonly day: string;
  readonly level: number;
}

export interface StatusContact {
  readonly host: string;
  readonly lastSeenAt: string;
}

/** An e-mail subscriber of the status page. */
export interface StatusSubscriber {
  readonly id: number;
  /** Lower case. */
  readonly address: string;
  /** Random; the unsubscribe link is its HMAC under the server's key. */
  readonly secret: string;
  readonly createdAt: string;
  /** SHA-256 of the pending confirmation link's token, hex. */
  readonly confirmHash: string | null;
  readonly confirmExpiresAt: string | null;
  readonly confirmedAt: string | null;
}

export interface StatusEventFilter {
  readonly kind?: 'incident' | 'maintenance';
  /** Open ones (not ended), plus, with `endedSince`, those that ended at or after it. */
  readonly openOnly?: boolean;
  /** Open ones and those that ended at or after this time (the page's history). */
  readonly endedSince?: string;
  /** Newest first; at most this many. */
  readonly limit?: number;
}

/** The status page's incidents, maintenance, overrides, daily states, agent calls and subscribers. */
export interface StatusReads {
  /** Newest first (by id). */
  listStatusEvents(filter?: StatusEventFilter): Promise<StatusEvent[]>;
  getStatusEvent(id: number): Promise<StatusEvent | undefined>;
  /** The timelines of these events, oldest first within each. */
  listStatusUpdates(eventIds: readonly number[]): Promise<StatusUpdate[]>;
  /** The newest updates of every event, newest first (the feed). */
  latestStatusUpdates(limit: number): Promise<StatusUpdate[]>;
  /** Overrides in force, plus those cleared at or after `clearedSince` when given; oldest first. */
  listStatusOverrides(filter?: { readonly clearedSince?: string }): Promise<StatusOverride[]>;
  /** Days from `sinceDay` (YYYY-MM-DD) on, of every component. */
  listStatusDays(sinceDay: string): Promise<StatusDay[]>;
  listStatusContacts(): Promise<StatusContact[]>;
  getStatusContact(host: string): Promise<StatusContact | undefined>;
  getStatusSubscriberByAddress(address: string): Promise<StatusSubscriber | undefined>;
  getStatusSubscriberByConfirmHash(hash: string): Promise<StatusSubscriber | undefined>;
  getStatusSubscriber(id: number): Promise<StatusSubscriber | undefined>;
  /** Confirmed subscribers after `afterId`, by id. */
  listConfirmedStatusSubscribers(afterId: number, limit: number): Promise<StatusSubscriber[]>;
  countStatusSubscribers(): Promise<{ readonly confirmed: number; readonly pending: number }>;
}

export interface StatusWrites {
  insertStatusEvent(event: NewStatusEvent): Promise<StatusEvent>;
  updateStatusEvent(id: number, patch: StatusEventPatch): Promise<void>;
  insertStatusUpdate(update: NewStatusUpdate): Promise<StatusUpdate>;
  /** Sets a component's override, ending the one in force (if any) at the same time. */
  setStatusOverride(override: NewStatusOverride): Promise<StatusOverride>;
  /** Ends the component's override in force; false when there was none. */
  clearStatusOverride(component: string, at: string, by: string): Promise<boolean>;
  /** Makes the component's day at least `level` (the worst seen wins). */
  raiseStatusDay(component: string, day: string, level: number): Promise<void>;
  /** Moves the host's last call on (never back). */
  touchStatusContact(host: string, at: string): Promise<void>;
  insertStatusSubscriber(subscriber: Omit<StatusSubscriber, 'id'>): Promise<StatusSubscriber>;
  /** A new confirmation link for a subscriber (the previous one stops working). */
  setStatusSubscriberConfirm(id: number, hash: string, expiresAt: string): Promise<void>;
  /** Confirms; false when the link was used meanwhile. */
  confirmStatusSubscriber(id: number, hash: string, at: string): Promise<boolean>;
  deleteStatusSubscriber(id: number): Promise<boolean>;
  /** Sign-ups never confirmed whose link expired before `now`; how many. */
  deleteExpiredStatusSubscribers(now: string): Promise<number>;
}

export type StatusQueries = StatusReads & StatusWrites;

const EVENT_KINDS = ['incident', 'maintenance'] as const;

export function statusQueries(s: QueryScope): StatusQueries {
  return {
    async listStatusEvents(filter = {}) {
      let q = s.db.selectFrom('status_events').selectAll().orderBy('id', 'desc');
      if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
      if (filter.endedSince !== undefined) {
        const since = utc(filter.endedSince, 'endedSince');
        q = q.where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>=', since)]));
      } else if (filter.openOnly === true) q = q.where('ended_at', 'is', null);
      if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
      return (await q.execute()).map(toEvent);
    },
    async getStatusEvent(id) {
      const row = await s.db.selectFrom('status_events').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toEvent(row);
    },
    async listStatusUpdates(eventIds) {
      const out: StatusUpdate[] = [];
      for (let i = 0; i < eventIds.length; i += IN_CHUNK) {
        const chunk = eventIds.slice(i, i + IN_CHUNK);
        const rows = await s.db.selectFrom('status_updates').selectAll().where('event_id', 'in', chunk).orderBy('event_id').orderBy('id').execute();
        out.push(...rows.map(toUpdate));
      }
      return out;
    },
    async latestStatusUpdates(limit) {
      return (await s.db.selectFrom('status_updates').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(pageSize(limit)).execute()).map(toUpdate);
    },
    async listStatusOverrides(filter = {}) {
      let q = s.db.selectFrom('status_overrides').selectAll().orderBy('id');
      if (filter.clearedSince !== undefined) {
        const since = utc(filter.clearedSince, 'clearedSince');
        q = q.where((eb) => eb.or([eb('cleared_at', 'is', null), eb('cleared_at', '>=', since)]));
      } else q = q.where('cleared_at', 'is', null);
      return (await q.execute()).map(toOverride);
    },
    async listStatusDays(sinceDay) {
      const rows = await s.db.selectFrom('status_days').selectAll().where('day', '>=', sinceDay).orderBy('day').orderBy('component').execute();
      return rows.map((r) => ({ component: r.component, day: r.day, level: toNumber(r.level) }));
    },
    async listStatusContacts() {
      const rows = await s.db.selectFrom('status_contacts').selectAll().orderBy('host').execute();
      return rows.map((r) => ({ host: r.host, lastSeenAt: r.last_seen_at }));
    },
    async getStatusContact(host) {
      const row = await s.db.selectFrom('status_contacts').selectAll().where('host', '=', host).executeTakeFirst();
      return row === undefined ? undefined : { host: row.host, lastSeenAt: row.last_seen_at };
    },
    async getStatusSubscriberByAddress(address) {
      const row = await s.db.selectFrom('status_subscribers').selectAll().where('address', '=', address.toLowerCase()).executeTakeFirst();
      return row === undefined ? undefined : toSubscriber(row);
    },
    async getStatusSubscriberByConfirmHash(hash) {
      const row = await s.db.selectFrom('status_subscribers').selectAll().where('confirm_hash', '=', hash).executeTakeFirst();
      return row === undefined ? undefined : toSubscriber(row);
    },
    async getStatusSubscriber(id) {
      const row = await s.db.selectFrom('status_subscribers').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toSubscriber(row);
    },
    async listConfirmedStatusSubscribers(afterId, limit) {
      const rows = await s.db.selectFrom('status_subscribers').selectAll().where('confirmed_at', 'is not', null).where('id', '>', afterId).orderBy('id').limit(pageSize(limit)).execute();
      return rows.map(toSubscriber);
    },
    async countStatusSubscribers() {
      const row = await s.db
        .selectFrom('status_subscribers')
        .select((eb) => [eb.fn.countAll().as('all'), eb.fn.count('confirmed_at').as('confirmed')])
        .executeTakeFirstOrThrow();
      const confirmed = toNumber(row.confirmed);
      return { confirmed, pending: toNumber(row.all) - confirmed };
    },

    async insertStatusEvent(event) {
      s.mustWrite('insertStatusEvent');
      if (!(EVENT_KINDS as readonly string[]).includes(event.kind)) throw new RosterError('internal', `unknown status event kind ${event.kind}`);
      const row = {
        kind: event.kind,
        title: event.title,
        impact: event.impact,
        state: event.state,
        components: JSON.stringify(event.components),
        scheduled_start: utcOrNull(event.scheduledStart, 'scheduledStart'),
        scheduled_end: utcOrNull(event.scheduledEnd, 'scheduledEnd'),
        started_at: utcOrNull(event.startedAt, 'startedAt'),
        ended_at: utcOrNull(event.endedAt, 'endedAt'),
        created_at: utc(event.createdAt, 'createdAt'),
        created_by: event.createdBy,
        updated_at: utc(event.updatedAt, 'updatedAt'),
      };
      const { id } = await s.db.insertInto('status_events').values(row).returning('id').executeTakeFirstOrThrow();
      return toEvent({ ...row, id });
    },
    async updateStatusEvent(id, patch) {
      s.mustWrite('updateStatusEvent');
      const set: { state?: string; started_at?: string | null; ended_at?: string | null; updated_at?: string } = {};
      if (patch.state !== undefined) set.state = patch.state;
      if (patch.startedAt !== undefined) set.started_at = utcOrNull(patch.startedAt, 'startedAt');
      if (patch.endedAt !== undefined) set.ended_at = utcOrNull(patch.endedAt, 'endedAt');
      if (patch.updatedAt !== undefined) set.updated_at = utc(patch.updatedAt, 'updatedAt');
      if (Object.keys(set).length === 0) return;
      await s.db.updateTable('status_events').set(set).where('id', '=', id).execute();
    },
    async insertStatusUpdate(update) {
      s.mustWrite('insertStatusUpdate');
      const row = { event_id: update.eventId, at: utc(update.at, 'update at'), state: update.state, message: update.message, author: update.author };
      const { id } = await s.db.insertInto('status_updates').values(row).returning('id').executeTakeFirstOrThrow();
      return toUpdate({ ...row, id });
    },
    async setStatusOverride(override) {
      s.mustWrite('setStatusOverride');
      const at = utc(override.setAt, 'override setAt');
      await s.db.updateTable('status_overrides').set({ cleared_at: at, cleared_by: override.setBy }).where('component', '=', override.component).where('cleared_at', 'is', null).execute();
      const row = { component: override.component, state: override.state, note: override.note, set_at: at, set_by: override.setBy, cleared_at: null, cleared_by: null };
      const { id } = await s.db.insertInto('status_overrides').values(row).returning('id').executeTakeFirstOrThrow();
      return toOverride({ ...row, id });
    },
    async clearStatusOverride(component, at, by) {
      s.mustWrite('clearStatusOverride');
      const r = await s.db.updateTable('status_overrides').set({ cleared_at: utc(at, 'override clearedAt'), cleared_by: by }).where('component', '=', component).where('cleared_at', 'is', null).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async raiseStatusDay(component, day, level) {
      s.mustWrite('raiseStatusDay');
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new RosterError('internal', `status day ${day} is not YYYY-MM-DD`);
      // greatest() on PostgreSQL, the two-argument max() on SQLite: the worst level of the day stays.
      const worst = s.dialect === 'postgres' ? sql<number>`greatest(status_days.level, excluded.level)` : sql<number>`max(status_days.level, excluded.level)`;
      await s.db
        .insertInto('status_days')
        .values({ component, day, level })
        .onConflict((oc) => oc.columns(['component', 'day']).doUpdateSet({ level: worst }))
        .execute();
    },
    async touchStatusContact(host, at) {
      s.mustWrite('touchStatusContact');
      const when = utc(at, 'contact at');
      const latest = s.dialect === 'postgres' ? sql<string>`greatest(status_contacts.last_seen_at, excluded.last_seen_at)` : sql<string>`max(status_contacts.last_seen_at, excluded.last_seen_at)`;
      await s.db
        .insertInto('status_contacts')
        .values({ host, last_seen_at: when })
        .onConflict((oc) => oc.column('host').doUpdateSet({ last_seen_at: latest }))
        .execute();
    },
    async insertStatusSubscriber(subscriber) {
      s.mustWrite('insertStatusSubscriber');
      const row = {
        address: subscriber.address.toLowerCase(),
        secret: subscriber.secret,
        created_at: utc(subscriber.createdAt, 'subscriber createdAt'),
        confirm_hash: subscriber.confirmHash,
        confirm_expires_at: utcOrNull(subscriber.confirmExpiresAt, 'confirmExpiresAt'),
        confirmed_at: utcOrNull(subscriber.confirmedAt, 'confirmedAt'),
      };
      try {
        const { id } = await s.db.insertInto('status_subscribers').values(row).returning('id').executeTakeFirstOrThrow();
        return toSubscriber({ ...row, id });
      } catch (e) {
        if (uniqueViolation(e) !== undefined) throw new RosterError('conflict', 'this address has signed up already');
        throw e;
      }
    },
    async setStatusSubscriberConfirm(id, hash, expiresAt) {
      s.mustWrite('setStatusSubscriberConfirm');
      await s.db.updateTable('status_subscribers').set({ confirm_hash: hash, confirm_expires_at: utc(expiresAt, 'confirmExpiresAt') }).where('id', '=', id).execute();
    },
    async confirmStatusSubscriber(id, hash, at) {
      s.mustWrite('confirmStatusSubscriber');
      const r = await s.db
        .updateTable('status_subscribers')
        .set({ confirmed_at: utc(at, 'confirmedAt'), confirm_hash: null, confirm_expires_at: null })
        .where('id', '=', id)
        .where('confirm_hash', '=', hash)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async deleteStatusSubscriber(id) {
      s.mustWrite('deleteStatusSubscriber');
      const r = await s.db.deleteFrom('status_subscribers').where('id', '=', id).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
    async deleteExpiredStatusSubscribers(now) {
      s.mustWrite('deleteExpiredStatusSubscribers');
      const r = await s.db.deleteFrom('status_subscribers').where('confirmed_at', 'is', null).where('confirm_expires_at', '<', utc(now, 'now')).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

function toEvent(r: Selectable<StatusEventsTable>): StatusEvent {
  return {
    id: toNumber(r.id),
    kind: r.kind === 'maintenance' ? 'maintenance' : 'incident',
    title: r.title,
    impact: r.impact,
    state: r.state,
    components: stringList(r.components, 'status event components'),
    scheduledStart: r.scheduled_start,
    scheduledEnd: r.scheduled_end,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
  };
}

function toUpdate(r: Selectable<StatusUpdatesTable>): StatusUpdate {
  return { id: toNumber(r.id), eventId: toNumber(r.event_id), at: r.at, state: r.state, message: r.message, author: r.author };
}

function toOverride(r: Selectable<StatusOverridesTable>): StatusOverride {
  return { id: toNumber(r.id), component: r.component, state: r.state, note: r.note, setAt: r.set_at, setBy: r.set_by, clearedAt: r.cleared_at, clearedBy: r.cleared_by };
}

function toSubscriber(r: Selectable<StatusSubscribersTable>): StatusSubscriber {
  return {
    id: toNumber(r.id),
    address: r.address,
    secret: r.secret,
    createdAt: r.created_at,
    confirmHash: r.confirm_hash,
    confirmExpiresAt: r.confirm_expires_at,
    confirmedAt: r.confirmed_at,
  };
}
