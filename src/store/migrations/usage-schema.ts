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
 * Version 5: what each account uses of the services on each host, in bytes,
 * as the targets last measured it (seed SoftwareArchitecturePlans 3.5:
 * charge members for what daemons store for them). One measurement of a
 * host's target replaces that host and target's figures.
 */
export function usageSchema(dialect: Dialect): Migration {
  const t = text(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('usage_figures')
        .addColumn('id', 'integer', identity(dialect))
        // A purged account's tombstone may be deleted (reservations prune); its figures go with it.
        .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('host', t, (c) => c.notNull())
        .addColumn('target', t, (c) => c.notNull())
        // What was measured, in the target's words: `home:/home/alice`, `postgres-database:alice_blog`.
        .addColumn('subject', t, (c) => c.notNull())
        // Terabytes overflow a 32-bit integer.
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('measured_at', t, (c) => c.notNull())
        .addUniqueConstraint('usage_figures_host_target_account_subject_key', ['host', 'target', 'account_id', 'subject'])
        .execute();
      await db.schema.createIndex('usage_figures_account').on('usage_figures').columns(['account_id']).execute();
    },
  };
}
