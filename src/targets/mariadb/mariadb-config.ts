import { posix } from 'node:path';
import * as z from 'zod';
import { serverAddress } from './server-address.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

const hostPath = z.string().superRefine((p, ctx) => {
  if (!posix.isAbsolute(p) || p.split('/').includes('..') || CONTROL.test(p)) ctx.addIssue({ code: 'custom', message: `must be an absolute path without '..' or control characters, got "${p}"` });
});

const url = z.string().superRefine((u, ctx) => {
  const problem = serverAddress(u);
  if (typeof problem === 'string') ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * The host part of a MariaDB account: a name, an address, a `%`/`_` pattern
 * or a netmask (`10.0.0.0/255.0.0.0`), at most 255 characters. Quotes,
 * backslashes and spaces are refused, so a pattern is always plain text.
 */
const hostPattern = z
  .string()
  .regex(/^[a-z0-9.%_:/-]{1,255}$/, { error: 'must be a host name, an address, a pattern with % or _, or a netmask: lower-case letters (MariaDB keeps host names in lower case), digits and . % _ : / -, at most 255' });

/**
 * roster.yaml `hosts.<host>.targets.mariadb` (issue 12 item 2): the server
 * Roster manages users and databases on, through an admin account allowed
 * to create users and databases, grant, read `mysql.global_priv` and kill
 * other users' connections (`GRANT ALL PRIVILEGES ON *.* TO … WITH GRANT
 * OPTION`).
 */
export const mariadbConfigSchema = z
  .strictObject({
    url: url.describe(
      'the admin account Roster connects as: mariadb://USER@HOST[:PORT]/ over TCP, or mariadb://USER@localhost/?socket=/run/mysqld/mysqld.sock over the socket; it must be allowed to create users and databases, grant, and kill connections (GRANT ALL PRIVILEGES ON *.* ... WITH GRANT OPTION)',
    ),
    passwordFile: hostPath.optional().describe("a file holding the admin account's password (its first line), read on every run, rather than a password in url"),
    hostPatterns: z
      .array(hostPattern)
      .min(1)
      .default(() => ['localhost'])
      .refine((list) => new Set(list).size === list.length, { error: 'must not repeat a pattern' })
      .describe("each account gets one user 'username'@'pattern' per pattern: localhost (the socket), a host name, an address, a pattern with % or a netmask"),
    archive: z.boolean().optional().describe('dump databases into the archive before a purge drops them; default purge.archive'),
    archiveDir: hostPath.optional().describe('where the dumps go (mode 0700, root); default purge.archiveDir'),
  })
  .describe("MariaDB users of the accounts living on the host and the databases they own: locked and their connections ended while the account's databases service is disabled, dumped to the archive before a purge drops them");

export type MariadbConfig = z.output<typeof mariadbConfigSchema>;
