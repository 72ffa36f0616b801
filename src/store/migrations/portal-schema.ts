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
 * Version 6: what the member portal keeps (issue 14): sign-in sessions
 * (only the SHA-256 of the cookie's secret is stored), failed attempts per
 * throttle key (a client address, a username, a person), and e-mail changes
 * waiting for their confirmation link (only the link token's SHA-256).
 */
export function portalSchema(dialect: Dialect): Migration {
  const t = text(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('portal_sessions')
        // SHA-256 of the cookie's secret, hex: a stolen database gives no usable session.
        .addColumn('id_hash', t, (c) => c.primaryKey())
        .addColumn('person_id', t, (c) => c.notNull().references('people.id').onDelete('cascade'))
        // The account the member signed in with.
        .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('created_at', t, (c) => c.notNull())
        .addColumn('last_seen_at', t, (c) => c.notNull())
        // created_at plus the absolute timeout: the session ends then, used or not.
        .addColumn('expires_at', t, (c) => c.notNull())
        .addColumn('address', t)
        .addColumn('user_agent', t)
        .execute();
      await db.schema.createIndex('portal_sessions_person').on('portal_sessions').columns(['person_id']).execute();
      await db.schema.createIndex('portal_sessions_expires').on('portal_sessions').columns(['expires_at']).execute();

      // One row per failed attempt; the throttle counts a key's rows in its window.
      await db.schema
        .createTable('portal_attempts')
        .addColumn('id', 'integer', identity(dialect))
        // `address:192.0.2.1`, `username:alice`, `person:P1`, with the flow first: `login:address:192.0.2.1`.
        .addColumn('key', t, (c) => c.notNull())
        .addColumn('at', t, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('portal_attempts_key_at').on('portal_attempts').columns(['key', 'at']).execute();

      await db.schema
        .createTable('portal_email_changes')
        .addColumn('id', 'integer', identity(dialect))
        // SHA-256 of the confirmation link's token, hex.
        .addColumn('token_hash', t, (c) => c.notNull())
        .addColumn('person_id', t, (c) => c.notNull().references('people.id').onDelete('cascade'))
        .addColumn('new_address', t, (c) => c.notNull())
        // The address the person had when asking, told of the change.
        .addColumn('old_address', t)
        .addColumn('created_at', t, (c) => c.notNull())
        .addColumn('expires_at', t, (c) => c.notNull())
        .addColumn('used_at', t)
        .addUniqueConstraint('portal_email_changes_token_hash_key', ['token_hash'])
        .execute();
      await db.schema.createIndex('portal_email_changes_person').on('portal_email_changes').columns(['person_id']).execute();

      // The member page lists the messages sent to the member's addresses (newest first).
      await db.schema.createIndex('outbox_recipient').on('outbox').columns(['recipient', 'id']).execute();

      // P2 (sign-up, RATS steps 1-7): one row per sign-up in progress, found
      // by the SHA-256 of its cookie's secret. It holds what the steps have
      // settled so far: the person once identified, the type, the username;
      // then the account made (the done page reads it).
      await db.schema
        .createTable('portal_signups')
        .addColumn('id_hash', t, (c) => c.primaryKey())
        .addColumn('person_id', t, (c) => c.references('people.id').onDelete('cascade'))
        .addColumn('type', t)
        .addColumn('username', t)
        .addColumn('account_id', 'integer', (c) => c.references('accounts.id').onDelete('cascade'))
        .addColumn('created_at', t, (c) => c.notNull())
        // created_at plus the flow's lifetime: an abandoned sign-up ends then.
        .addColumn('expires_at', t, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('portal_signups_expires').on('portal_signups').columns(['expires_at']).execute();
    },
  };
}
