import * as z from 'zod';
import type { ResourceKind } from '../target.js';

/** Where Roster records what it manages on the server: a database of its own, never a member's. */
export const META_DATABASE = 'roster_meta';

/** Databases that belong to the server or to Roster: never a member's resource. */
const RESERVED = new Set(['mysql', 'information_schema', 'performance_schema', 'sys', META_DATABASE]);

/**
 * A database name: a letter, then letters, digits and `_`, at most 64 (the
 * server's limit), so it needs no quoting anywhere (a file name, a grant).
 * Case matters on Linux servers, as it does to MariaDB there.
 */
export const mariadbDatabaseName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, { error: 'must start with a letter and hold only letters, digits and _, at most 64' })
  .refine((name) => !RESERVED.has(name.toLowerCase()), { error: `must not be one of the server's own databases or Roster's (${[...RESERVED].join(', ')})` });

const charsetName = z.string().regex(/^[a-z0-9_]{1,32}$/, { error: 'must be a character set or collation name such as utf8mb4 or utf8mb4_unicode_ci' });

/** `roster resource add alice --kind mariadb-database --name alice_blog --host db [--set charset=… --set collation=…]`. */
export const mariadbDatabaseSettings = z.strictObject({
  charset: charsetName.default('utf8mb4').describe('the character set the database is created with'),
  collation: charsetName.optional().describe("the collation it is created with; default the character set's own"),
});

export type MariadbDatabaseSettings = z.output<typeof mariadbDatabaseSettings>;

export const MARIADB_DATABASE = 'mariadb-database';

export const mariadbDatabaseKind: ResourceKind = {
  description: 'a MariaDB database owned by the account: its users get all privileges on it and on nothing else',
  settings: mariadbDatabaseSettings,
  name: mariadbDatabaseName,
};
