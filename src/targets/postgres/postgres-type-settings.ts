import * as z from 'zod';

/**
 * roster.yaml `types.<type>.targets.postgres`: how the type's accounts log
 * into PostgreSQL. Roster never sets nor resets a role's password either
 * way; the method is kept in the role's marker and shown in plans, and it
 * tells the login probe of `verify` what a refused password means.
 */
export const postgresTypeSettingsSchema = z
  .strictObject({
    login: z
      .enum(['peer', 'password'])
      .default('peer')
      .describe("how the type's accounts log in: peer (pg_hba maps the Unix user to the role; no password is set) or password (the member sets it with \\password; Roster never sets or resets it)"),
  })
  .describe("the PostgreSQL roles of the type's accounts");

export type PostgresEntry = z.output<typeof postgresTypeSettingsSchema>;

/** The postgres entry as it crosses the wire to an agent. */
export const postgresEntrySchema = z.object({ login: z.enum(['peer', 'password']) }) satisfies z.ZodType<PostgresEntry>;
