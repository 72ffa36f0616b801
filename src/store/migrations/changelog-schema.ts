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
 * Version 7: the changelog of interventions per host (seed GlobeNet: time,
 * who, what, so information spreads without meetings). An entry comes from
 * an admin (CLI, API), from Roster's own applies, or from the host's
 * `/root/changelog` file, where an admin may append one by hand.
 */
export function changelogSchema(dialect: Dialect): Migration {
  const t = text(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('changelog')
        .addColumn('id', 'integer', identity(dialect))
        .addColumn('host', t, (c) => c.notNull())
        // When the intervention happened (a hand-written entry says so itself), ISO 8601 UTC.
        .addColumn('at', t, (c) => c.notNull())
        // Who: the invoking person (`alice`), a token (`token:3(admin)`), or `roster` for its own applies.
        .addColumn('author', t, (c) => c.notNull())
        .addColumn('text', t, (c) => c.notNull())
        // 0 or 1: shown on the public status page.
        .addColumn('public', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('source', t, (c) => c.notNull())
        // The host report of an apply, or the hash of a hand-written entry (a re-upload finds it).
        .addColumn('ref', t)
        .addColumn('created_at', t, (c) => c.notNull())
        .addCheckConstraint('changelog_public_bool', sql`public in (0, 1)`)
        .addCheckConstraint('changelog_source_known', sql`source in ('cli', 'api', 'apply', 'host-file')`)
        // NULL refs are distinct on both dialects: only entries that carry a ref are kept unique.
        .addUniqueConstraint('changelog_host_source_ref_key', ['host', 'source', 'ref'])
        .execute();
      await db.schema.createIndex('changelog_host_at').on('changelog').columns(['host', 'at', 'id']).execute();
      await db.schema.createIndex('changelog_at').on('changelog').columns(['at', 'id']).execute();
      // An agent asks at every poll whether its host has entries newer than the last it holds.
      await db.schema.createIndex('changelog_host_id').on('changelog').columns(['host', 'id']).execute();
    },
  };
}
