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
 * Version 4: owned resources (a database, a mailing list, a vhost), each
 * owned by one account and managed on one host by the target that declares
 * its kind. Settings are the JSON the kind's schema accepted.
 */
export function resourcesSchema(dialect: Dialect): Migration {
  const t = text(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('resources')
        .addColumn('id', 'integer', identity(dialect))
        // A purged account's tombstone may be deleted (reservations prune); its resources go with it.
        .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('kind', t, (c) => c.notNull())
        .addColumn('name', t, (c) => c.notNull())
        .addColumn('host', t, (c) => c.notNull())
        // JSON object: the settings its kind's schema accepted.
        .addColumn('settings', t, (c) => c.notNull())
        .addColumn('created_at', t, (c) => c.notNull())
        .addColumn('updated_at', t, (c) => c.notNull())
        // One database (or list, or vhost) of a name per host, whoever owns it.
        .addUniqueConstraint('resources_kind_host_name_key', ['kind', 'host', 'name'])
        .execute();
      await db.schema.createIndex('resources_account').on('resources').columns(['account_id', 'id']).execute();
      await db.schema.createIndex('resources_host').on('resources').columns(['host', 'id']).execute();
    },
  };
}
