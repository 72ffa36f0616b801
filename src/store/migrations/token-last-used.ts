import { sql, type Kysely, type Migration } from 'kysely';

type Dialect = 'sqlite' | 'postgres';

/**
 * Version 11: when each API token was last used (issue 16 item 5: the
 * console's token list), so an admin can tell a token still in use from
 * one to revoke. Written at most every few minutes per token, not on every
 * request (src/app/api-tokens.ts recordTokenUse).
 */
export function tokenLastUsedSchema(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('api_tokens')
        .addColumn('last_used_at', dialect === 'postgres' ? sql`text collate "C"` : 'text')
        .execute();
    },
  };
}
