import { sql, type Kysely, type Migration, type RawBuilder } from 'kysely';

type Dialect = 'sqlite' | 'postgres';

/** Bytewise text on both dialects, as in the initial schema (ISO times sort as time). */
function text(dialect: Dialect): 'text' | RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`text collate "C"` : 'text';
}

/**
 * Version 10: what the admin console keeps (issue 16): its sign-in sessions
 * (only the SHA-256 of the cookie's secret; a session is complete only once
 * the second factor was given), and each admin's second factor: the TOTP
 * secret sealed with a key derived from the server's HMAC key, the last time
 * step used (a code works once), and the SHA-256 of each unused recovery code.
 */
export function consoleSchema(dialect: Dialect): Migration {
  const t = text(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('console_sessions')
        .addColumn('id_hash', t, (c) => c.primaryKey())
        .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        // password: the password was right, the second factor is still to come; enrol: it must be set up first; done: signed in.
        .addColumn('stage', t, (c) => c.notNull())
        .addColumn('created_at', t, (c) => c.notNull())
        .addColumn('last_seen_at', t, (c) => c.notNull())
        .addColumn('expires_at', t, (c) => c.notNull())
        .addColumn('address', t)
        .addColumn('user_agent', t)
        .execute();
      await db.schema.createIndex('console_sessions_account').on('console_sessions').columns(['account_id']).execute();
      await db.schema.createIndex('console_sessions_expires').on('console_sessions').columns(['expires_at']).execute();

      await db.schema
        .createTable('console_second_factors')
        .addColumn('account_id', 'integer', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
        // AES-256-GCM of the base32 secret: iv.tag.ciphertext, base64url.
        .addColumn('sealed_secret', t, (c) => c.notNull())
        .addColumn('created_at', t, (c) => c.notNull())
        // Null while set-up waits for its first code.
        .addColumn('confirmed_at', t)
        // The TOTP time step of the last code accepted: a code is good once.
        .addColumn('last_step', 'integer', (c) => c.notNull().defaultTo(0))
        // JSON array of the SHA-256 (hex) of the recovery codes not used yet.
        .addColumn('recovery_hashes', t, (c) => c.notNull())
        .execute();

      // --- Account search (the console's search page): the indexes its word
      // prefixes and rare states read, and each person's e-mail addresses
      // (lower-cased) as rows, since people keep them in a JSON column.
      await db.schema
        .createTable('person_emails')
        .addColumn('address', t, (c) => c.notNull())
        .addColumn('person_id', t, (c) => c.notNull().references('people.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('person_emails_pkey', ['address', 'person_id'])
        .execute();
      await db.schema.createIndex('person_emails_person').on('person_emails').column('person_id').execute();
      const fill =
        dialect === 'postgres'
          ? sql`insert into person_emails (address, person_id) select distinct lower(j.value collate "C"), p.id from people p, json_each_text(p.emails::json) j`
          : sql`insert into person_emails (address, person_id) select distinct lower(j.value), p.id from people p, json_each(p.emails) j`;
      await fill.execute(db);
      await db.schema.createIndex('accounts_person_id_lower').on('accounts').expression(sql`lower(person_id)`).execute();
      // With the id: a name's range lists its people from the index alone.
      await db.schema.createIndex('people_first_name_lower').on('people').expression(sql`lower(first_name), id`).execute();
      await db.schema.createIndex('people_last_name_lower').on('people').expression(sql`lower(last_name), id`).execute();
      await db.schema.createIndex('holds_kind_reason').on('holds').columns(['kind', 'reason', 'since']).execute();
      await db.schema.createIndex('accounts_pending').on('accounts').column('id').where(sql<boolean>`pending = 1`).execute();
      await db.schema.createIndex('accounts_purged').on('accounts').column('id').where(sql<boolean>`purged_at is not null`).execute();
      // --- End of account search.
    },
  };
}
