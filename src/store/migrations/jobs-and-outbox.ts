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
 * Version 2: job runs (DESIGN.md §5 scheduler: start, end, result, counts of
 * every run of purge, billing, notify and roster sync) and the notification
 * outbox. Messages are queued in the transaction of the change they report
 * and delivered after commit, so a mail server that is down never blocks or
 * undoes a lifecycle change, and every attempt is recorded.
 */
export function jobsAndOutbox(dialect: Dialect): Migration {
  const t = text(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('job_runs')
        .addColumn('id', 'integer', identity(dialect))
        .addColumn('job', t, (c) => c.notNull())
        // The scheduled instant this run covers; "due" compares it with the schedule's latest slot.
        .addColumn('slot', t, (c) => c.notNull())
        .addColumn('started_at', t, (c) => c.notNull())
        .addColumn('finished_at', t)
        .addColumn('result', t, (c) => c.notNull())
        // `host:pid` of the process running it, to tell a live run from an interrupted one.
        .addColumn('owner', t, (c) => c.notNull())
        .addColumn('started_by', t, (c) => c.notNull())
        .addColumn('forced', 'integer', (c) => c.notNull().defaultTo(0))
        // JSON object of counts.
        .addColumn('counts', t, (c) => c.notNull())
        .addColumn('message', t)
        .addCheckConstraint('job_runs_result', sql`result in ('running', 'ok', 'partial', 'failed', 'refused', 'interrupted')`)
        .execute();
      await db.schema.createIndex('job_runs_job').on('job_runs').columns(['job', 'id']).execute();

      await db.schema
        .createTable('outbox')
        .addColumn('id', 'integer', identity(dialect))
        .addColumn('kind', t, (c) => c.notNull())
        .addColumn('recipient', t)
        // JSON object: what the template is filled with (never secrets).
        .addColumn('data', t, (c) => c.notNull())
        // "Never twice the same notice": a second enqueue with the same key does nothing.
        .addColumn('dedupe_key', t)
        .addColumn('status', t, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', t)
        .addColumn('queued_at', t, (c) => c.notNull())
        .addColumn('next_attempt_at', t)
        .addColumn('sent_at', t)
        .addColumn('subject', t)
        .addUniqueConstraint('outbox_dedupe_key', ['dedupe_key'])
        .addCheckConstraint('outbox_status', sql`status in ('queued', 'sent', 'failed', 'unaddressed')`)
        .execute();
      // Delivery asks for queued messages whose next attempt is due, oldest first.
      await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at', 'id']).execute();
    },
  };
}
