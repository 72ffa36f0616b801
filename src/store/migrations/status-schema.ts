import { sql, type ColumnDefinitionBuilder, type Kysely, type Migration, type RawBuilder } from 'kysely';

type Dialect = 'sqlite' | 'postgres';

/** Bytewise text on both dialects, as in the initial schema (ISO times sort as time). */
function text(dialect: Dialect): 'text' | RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`text collate "C"` : 'text';
}

function identity(dialect: Dialect): (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  return dialect === 'postgres' ? (col) => col.primaryKey().generatedByDefaultAsIdentity() : (col) => col.primaryKey().autoIncrement();
}

/**
 * Version 9: the public status page (seed GlobeNet: "a status page so users
 * hear about interventions"; Cachet, Uptime Kuma, Statuspage): incidents
 * and scheduled maintenance with their timelines of updates, admins'
 * overrides of a component's state, the worst state each component was
 * seen in per day (the 90 days of history), when each host's agent last
 * called, and the page's e-mail subscribers.
 */
export function statusSchema(dialect: Dialect): Migration {
  const t = text(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // An incident or a maintenance; its components are JSON (`["shell", "web/web"]`).
      await db.schema
        .createTable('status_events')
        .addColumn('id', 'integer', identity(dialect))
        .addColumn('kind', t, (c) => c.notNull())
        .addColumn('title', t, (c) => c.notNull())
        // minor, major, critical (incidents); maintenance (maintenance).
        .addColumn('impact', t, (c) => c.notNull())
        .addColumn('state', t, (c) => c.notNull())
        .addColumn('components', t, (c) => c.notNull())
        // Maintenance only: the announced window.
        .addColumn('scheduled_start', t)
        .addColumn('scheduled_end', t)
        // When it began (an incident when opened, a maintenance when started) and ended (resolved, completed).
        .addColumn('started_at', t)
        .addColumn('ended_at', t)
        .addColumn('created_at', t, (c) => c.notNull())
        .addColumn('created_by', t, (c) => c.notNull())
        .addColumn('updated_at', t, (c) => c.notNull())
        .addCheckConstraint('status_events_kind', sql`kind in ('incident', 'maintenance')`)
        .execute();
      // The page reads what is open, or ended within the history.
      await db.schema.createIndex('status_events_ended').on('status_events').columns(['ended_at']).execute();

      // The timeline: every state change and message, oldest first.
      await db.schema
        .createTable('status_updates')
        .addColumn('id', 'integer', identity(dialect))
        .addColumn('event_id', 'integer', (c) => c.notNull().references('status_events.id').onDelete('cascade'))
        .addColumn('at', t, (c) => c.notNull())
        .addColumn('state', t, (c) => c.notNull())
        .addColumn('message', t, (c) => c.notNull())
        .addColumn('author', t, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('status_updates_event').on('status_updates').columns(['event_id', 'id']).execute();
      // The feed reads the newest updates.
      await db.schema.createIndex('status_updates_at').on('status_updates').columns(['at']).execute();

      // An admin's word on a component, in force until cleared (kept after, for the history).
      await db.schema
        .createTable('status_overrides')
        .addColumn('id', 'integer', identity(dialect))
        .addColumn('component', t, (c) => c.notNull())
        .addColumn('state', t, (c) => c.notNull())
        .addColumn('note', t, (c) => c.notNull())
        .addColumn('set_at', t, (c) => c.notNull())
        .addColumn('set_by', t, (c) => c.notNull())
        .addColumn('cleared_at', t)
        .addColumn('cleared_by', t)
        .execute();
      await db.schema.createIndex('status_overrides_component').on('status_overrides').columns(['component', 'cleared_at']).execute();

      // The worst state the agents' reports and calls put a component in, per calendar day (in roster.yaml's timeZone).
      await db.schema
        .createTable('status_days')
        .addColumn('component', t, (c) => c.notNull())
        .addColumn('day', t, (c) => c.notNull())
        // 0 operational … 4 major outage (domain/component-state.ts), so the worst is a max().
        .addColumn('level', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('status_days_pkey', ['component', 'day'])
        .execute();
      await db.schema.createIndex('status_days_day').on('status_days').columns(['day']).execute();

      // When each host's agent last asked for its desired state or reported: a host that stops calling shows degraded.
      await db.schema
        .createTable('status_contacts')
        .addColumn('host', t, (c) => c.primaryKey())
        .addColumn('last_seen_at', t, (c) => c.notNull())
        .execute();

      // E-mail subscribers. Only hashes of the confirmation link's token are
      // stored; the unsubscribe link is an HMAC of `secret` under the
      // server's key, so every message can carry it without storing it.
      await db.schema
        .createTable('status_subscribers')
        .addColumn('id', 'integer', identity(dialect))
        // Lower case.
        .addColumn('address', t, (c) => c.notNull())
        .addColumn('secret', t, (c) => c.notNull())
        .addColumn('created_at', t, (c) => c.notNull())
        .addColumn('confirm_hash', t)
        .addColumn('confirm_expires_at', t)
        .addColumn('confirmed_at', t)
        .addUniqueConstraint('status_subscribers_address_key', ['address'])
        .addUniqueConstraint('status_subscribers_confirm_hash_key', ['confirm_hash'])
        .execute();
      await db.schema.createIndex('status_subscribers_confirmed').on('status_subscribers').columns(['confirmed_at', 'id']).execute();
    },
  };
}
