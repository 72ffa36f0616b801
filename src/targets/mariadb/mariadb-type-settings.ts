import * as z from 'zod';

/**
 * How an account's MariaDB users authenticate. Roster never sets or resets a
 * password: `unix_socket` lets the Unix user of the same name in over the
 * socket, with no password at all; `password` adds a password the member
 * sets (SET PASSWORD) after logging in over the socket, none working until
 * then, as Debian sets up root.
 */
export const MARIADB_AUTH = ['unix_socket', 'password'] as const;
export type MariadbAuth = (typeof MARIADB_AUTH)[number];

/** roster.yaml `types.<type>.targets.mariadb`: the MariaDB users of the type's accounts. */
export const mariadbTypeSettingsSchema = z
  .strictObject({
    auth: z
      .enum(MARIADB_AUTH)
      .default('unix_socket')
      .describe('unix_socket: the Unix user of the same name logs in over the socket, no password; password: a password the member sets (SET PASSWORD, after a first login over the socket), none until then'),
  })
  .describe("the MariaDB users of the type's accounts: how they authenticate");

export type MariadbEntry = z.output<typeof mariadbTypeSettingsSchema>;

/** The mariadb entry of an account as it crosses the wire to an agent. */
export const mariadbEntrySchema = z.object({ auth: z.enum(MARIADB_AUTH) }) satisfies z.ZodType<MariadbEntry>;
