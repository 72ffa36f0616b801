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
    },
  };
}
