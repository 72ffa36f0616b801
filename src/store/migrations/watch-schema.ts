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
 * Version 8: change reports of `roster watch` (seed GlobeNet, after
 * metche): what changed on a host once its watched directories stayed
 * quiet — files, packages, changelog entries, unexplained changes. Names
 * and metadata only: the diffs stay on the host. A host's report id is
 * unique, so a report sent again after a lost answer is stored once.
 */
export function watchSchema(dialect: Dialect): Migration {
  const t = text(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('watch_reports')
        .addColumn('id', 'integer', identity(dialect))
        .addColumn('host', t, (c) => c.notNull())
        // The id the host gave it (`roster watch diff ID` there shows the diffs).
        .addColumn('report_id', t, (c) => c.notNull())
        .addColumn('made_at', t, (c) => c.notNull())
        .addColumn('received_at', t, (c) => c.notNull())
        // Who sent it: the host's agent token, or the admin who ran roster watch on the server's machine.
        .addColumn('actor', t, (c) => c.notNull())
        .addColumn('files', 'integer', (c) => c.notNull())
        .addColumn('unexplained', 'integer', (c) => c.notNull())
        .addColumn('packages', 'integer', (c) => c.notNull())
        // JSON: the report as the host made it (no contents, no hashes).
        .addColumn('report', t, (c) => c.notNull())
        .addUniqueConstraint('watch_reports_host_report_key', ['host', 'report_id'])
        .execute();
      await db.schema.createIndex('watch_reports_host_id').on('watch_reports').columns(['host', 'id']).execute();
    },
  };
}
