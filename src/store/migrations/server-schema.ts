import { sql, type ColumnDefinitionBuilder, type Kysely, type Migration, type RawBuilder } from 'kysely';

type Dialect = 'sqlite' | 'postgres';

/** Bytewise text on both dialects, as in the initial schema (ISO times sort as time; lower() folds ASCII only). */
function text(dialect: Dialect): 'text' | RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`text collate "C"` : 'text';
}

function identity(dialect: Dialect): (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  return dialect === 'postgres' ? (col) => col.primaryKey().generatedByDefaultAsIdentity() : (col) => col.primaryKey().autoIncrement();
}

/**
 * Version 3: what `roster serve` keeps (DESIGN.md §5 "HTTP"): API tokens
 * (only their SHA-256 is stored), the SCIM identity of accounts and groups
 * (the IdP's userName, externalId and the attributes it sent), mass changes
 * waiting for a second admin's approval, and the reports agents send about
 * their hosts.
 */
export function serverSchema(dialect: Dialect): Migration {
  const t = text(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'integer', identity(dialect))
        .addColumn('role', t, (c) => c.notNull())
        // Only for agent tokens: the one host they may read and report on.
        .addColumn('host', t)
        // SHA-256 of the token, hex: a stolen database gives no usable token.
        .addColumn('hash', t, (c) => c.notNull())
        .addColumn('note', t)
        .addColumn('created_at', t, (c) => c.notNull())
        .addColumn('created_by', t, (c) => c.notNull())
        .addColumn('expires_at', t)
        .addColumn('revoked_at', t)
        .addUniqueConstraint('api_tokens_hash_key', ['hash'])
        .addCheckConstraint('api_tokens_role', sql`role in ('admin', 'operator', 'auditor', 'scim', 'agent')`)
        .execute();

      // One row per account that SCIM has named; other accounts show their
      // Unix username as userName. The row outlives a SCIM DELETE
      // (deleted_at) so that a POST with the same userName before the purge
      // brings the same account (and UID) back.
      await db.schema
        .createTable('scim_users')
        .addColumn('account_id', 'integer', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
        .addColumn('user_name', t, (c) => c.notNull())
        .addColumn('external_id', t)
        .addColumn('deleted_at', t)
        // JSON object: the attributes the IdP sent that Roster does not model (displayName, phoneNumbers, …), returned as sent.
        .addColumn('attributes', t, (c) => c.notNull())
        .addColumn('created_at', t, (c) => c.notNull())
        .addColumn('updated_at', t, (c) => c.notNull())
        .execute();
      // SCIM userName is unique without regard to case (RFC 7643 §4.1.1, caseExact false).
      await db.schema.createIndex('scim_users_user_name_lower').on('scim_users').unique().expression(sql`lower(user_name)`).execute();
      await db.schema.createIndex('scim_users_external_id').on('scim_users').column('external_id').execute();

      await db.schema
        .createTable('scim_groups')
        .addColumn('group_name', t, (c) => c.primaryKey().references('groups.name').onDelete('cascade'))
        .addColumn('display_name', t, (c) => c.notNull())
        .addColumn('external_id', t)
        // JSON object: what the IdP sent that the group does not model (members' display names), returned as sent.
        .addColumn('attributes', t, (c) => c.notNull())
        .addColumn('created_at', t, (c) => c.notNull())
        .addColumn('updated_at', t, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('scim_groups_display_name_lower').on('scim_groups').expression(sql`lower(display_name)`).execute();

      // A run refused by the circuit breaker, recorded so that a second admin can approve it.
      await db.schema
        .createTable('mass_changes')
        .addColumn('id', t, (c) => c.primaryKey())
        .addColumn('action', t, (c) => c.notNull())
        // JSON object: what the run was asked to do (never secrets).
        .addColumn('params', t, (c) => c.notNull())
        // JSON object: affected, total and limit at the time of the refusal.
        .addColumn('summary', t, (c) => c.notNull())
        .addColumn('requested_by', t, (c) => c.notNull())
        .addColumn('requested_token', 'integer')
        .addColumn('requested_at', t, (c) => c.notNull())
        .addColumn('expires_at', t, (c) => c.notNull())
        .addColumn('approved_by', t)
        .addColumn('approved_token', 'integer')
        .addColumn('approved_at', t)
        // JSON object: what the approved run reported.
        .addColumn('result', t)
        .execute();

      await db.schema
        .createTable('host_reports')
        .addColumn('id', 'integer', identity(dialect))
        .addColumn('host', t, (c) => c.notNull())
        .addColumn('received_at', t, (c) => c.notNull())
        .addColumn('actor', t, (c) => c.notNull())
        // The revision of the desired state the agent applied.
        .addColumn('revision', t)
        .addColumn('ok', 'integer', (c) => c.notNull())
        // JSON object: the report as the agent sent it (validated).
        .addColumn('report', t, (c) => c.notNull())
        .addCheckConstraint('host_reports_ok_bool', sql`ok in (0, 1)`)
        .execute();
      await db.schema.createIndex('host_reports_host').on('host_reports').columns(['host', 'id']).execute();
    },
  };
}
