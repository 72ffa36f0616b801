import { sql, type ColumnDefinitionBuilder, type Kysely, type Migration, type RawBuilder } from 'kysely';
import { GENESIS_HASH } from '../audit-chain.js';

type Dialect = 'sqlite' | 'postgres';

/**
 * Text compares bytewise on both dialects: PostgreSQL columns use the "C"
 * collation, which is what SQLite does by default. ISO times then sort as
 * time, keyset pagination on text ids pages the same way everywhere, and
 * lower() folds ASCII only on both, which is what the case-insensitive
 * username index relies on.
 */
function text(dialect: Dialect): 'text' | RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`text collate "C"` : 'text';
}

/** UIDs reach 2^32 - 2, beyond PostgreSQL's `integer`; SQLite integers are 64-bit anyway. */
const BIG = 'bigint';

function identity(dialect: Dialect): (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  // AUTOINCREMENT on SQLite: ids of deleted rows are never handed out again.
  return dialect === 'postgres' ? (col) => col.primaryKey().generatedByDefaultAsIdentity() : (col) => col.primaryKey().autoIncrement();
}

/** Version 1: the whole schema of DESIGN.md §3 and §6. */
export function initialSchema(dialect: Dialect): Migration {
  const t = text(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('people')
        .addColumn('id', t, (c) => c.primaryKey())
        .addColumn('source', t, (c) => c.notNull())
        .addColumn('first_name', t, (c) => c.notNull())
        .addColumn('last_name', t, (c) => c.notNull())
        .addColumn('roles', t, (c) => c.notNull())
        .addColumn('classes', t, (c) => c.notNull())
        .addColumn('campuses', t, (c) => c.notNull())
        .addColumn('majors', t, (c) => c.notNull())
        .addColumn('emails', t, (c) => c.notNull())
        .addColumn('verification', t, (c) => c.notNull())
        .addColumn('created_at', t, (c) => c.notNull())
        .addColumn('updated_at', t, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('people_source').on('people').columns(['source', 'id']).execute();

      await db.schema
        .createTable('accounts')
        .addColumn('id', 'integer', identity(dialect))
        .addColumn('person_id', t, (c) => c.notNull().references('people.id'))
        .addColumn('type', t, (c) => c.notNull())
        .addColumn('username', t, (c) => c.notNull())
        .addColumn('uid', BIG, (c) => c.notNull())
        .addColumn('gid', BIG, (c) => c.notNull())
        .addColumn('primary_group', t, (c) => c.notNull())
        .addColumn('gecos', t, (c) => c.notNull())
        .addColumn('shell', t, (c) => c.notNull())
        .addColumn('home', t, (c) => c.notNull())
        .addColumn('password_hash', t)
        .addColumn('principal', t)
        .addColumn('groups', t, (c) => c.notNull())
        .addColumn('expires_at', t)
        .addColumn('purge_at', t)
        .addColumn('purged_at', t)
        .addColumn('pending', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', t, (c) => c.notNull())
        .addColumn('updated_at', t, (c) => c.notNull())
        .addUniqueConstraint('accounts_username_key', ['username'])
        .addUniqueConstraint('accounts_uid_key', ['uid'])
        .addCheckConstraint('accounts_pending_bool', sql`pending in (0, 1)`)
        .execute();
      // Unix tools treat names bytewise, but two accounts differing only in
      // case confuse people, mail and SCIM (whose userName is case-insensitive).
      await db.schema.createIndex('accounts_username_lower').on('accounts').unique().expression(sql`lower(username)`).execute();
      // Partial: only live accounts with a purge date are in it, so the purge
      // job's `purged_at is null and purge_at <= now` never scans the table.
      await db.schema.createIndex('accounts_purge_due').on('accounts').columns(['purge_at', 'id']).where(sql<boolean>`purged_at is null`).execute();
      // (person_id, type): "this person's accounts of this type" must not fall back to the low-selectivity type index.
      await db.schema.createIndex('accounts_person').on('accounts').columns(['person_id', 'type']).execute();
      await db.schema.createIndex('accounts_type').on('accounts').column('type').execute();
      // GID allocation skips primary GIDs of accounts (user-private groups).
      await db.schema.createIndex('accounts_gid').on('accounts').column('gid').execute();

      await db.schema
        .createTable('holds')
        .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('kind', t, (c) => c.notNull())
        .addColumn('reason', t, (c) => c.notNull())
        .addColumn('since', t, (c) => c.notNull())
        .addColumn('note', t)
        .addColumn('set_by', t, (c) => c.notNull())
        .addPrimaryKeyConstraint('holds_pkey', ['account_id', 'kind', 'reason'])
        .execute();

      // No foreign key to people: a reservation outlives its person's record
      // until `roster reservations prune` releases it (RATS internals 1).
      await db.schema
        .createTable('reservations')
        .addColumn('username', t, (c) => c.primaryKey())
        .addColumn('uid', BIG, (c) => c.notNull())
        .addColumn('person_id', t, (c) => c.notNull())
        .addColumn('created_at', t, (c) => c.notNull())
        .addUniqueConstraint('reservations_uid_key', ['uid'])
        .execute();
      await db.schema.createIndex('reservations_person').on('reservations').column('person_id').execute();
      await db.schema.createIndex('reservations_username_lower').on('reservations').expression(sql`lower(username)`).execute();

      await db.schema
        .createTable('counters')
        .addColumn('name', t, (c) => c.primaryKey())
        .addColumn('value', BIG, (c) => c.notNull())
        .execute();
      // The rows exist from the start so allocation can always lock them
      // (SELECT … FOR UPDATE locks nothing when the row is missing).
      await sql`insert into counters (name, value) values ('uid', 0), ('gid', 0)`.execute(db);

      await db.schema
        .createTable('groups')
        .addColumn('name', t, (c) => c.primaryKey())
        .addColumn('gid', BIG, (c) => c.notNull())
        .addColumn('description', t, (c) => c.notNull())
        .addColumn('members', t, (c) => c.notNull())
        .addColumn('created_at', t, (c) => c.notNull())
        .addUniqueConstraint('groups_gid_key', ['gid'])
        .execute();
      await db.schema.createIndex('groups_name_lower').on('groups').expression(sql`lower(name)`).execute();

      await db.schema
        .createTable('ledger')
        .addColumn('id', 'integer', identity(dialect))
        .addColumn('person_id', t, (c) => c.notNull())
        .addColumn('at', t, (c) => c.notNull())
        .addColumn('kind', t, (c) => c.notNull())
        .addColumn('amount_cents', BIG, (c) => c.notNull())
        .addColumn('note', t)
        .addCheckConstraint('ledger_kind', sql`kind in ('charge', 'payment')`)
        .execute();
      await db.schema.createIndex('ledger_person').on('ledger').columns(['person_id', 'at']).execute();

      await db.schema
        .createTable('notices')
        .addColumn('person_id', t, (c) => c.notNull())
        .addColumn('kind', t, (c) => c.notNull())
        .addColumn('run_out_date', t, (c) => c.notNull())
        .addColumn('at', t, (c) => c.notNull())
        .addPrimaryKeyConstraint('notices_pkey', ['person_id', 'kind', 'run_out_date'])
        .execute();

      await db.schema
        .createTable('audit')
        .addColumn('seq', BIG, (c) => c.primaryKey())
        .addColumn('at', t, (c) => c.notNull())
        .addColumn('actor', t, (c) => c.notNull())
        .addColumn('action', t, (c) => c.notNull())
        .addColumn('target', t, (c) => c.notNull())
        .addColumn('before', t, (c) => c.notNull())
        .addColumn('after', t, (c) => c.notNull())
        .addColumn('result', t, (c) => c.notNull())
        .addColumn('prev_hash', t, (c) => c.notNull())
        .addColumn('hash', t, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_target').on('audit').columns(['target', 'seq']).execute();

      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', BIG, (c) => c.notNull())
        .addColumn('hash', t, (c) => c.notNull())
        .addCheckConstraint('audit_head_single_row', sql`id = 1`)
        .execute();
      await sql`insert into audit_head (id, seq, hash) values (1, 0, ${GENESIS_HASH})`.execute(db);
    },
  };
}
