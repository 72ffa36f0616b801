import { posix } from 'node:path';
import * as z from 'zod';

const listPath = z.string().superRefine((p, ctx) => {
  if (!posix.isAbsolute(p) || p.split('/').includes('..')) ctx.addIssue({ code: 'custom', message: `must be an absolute path without '..', got "${p}"` });
});

/** A service name as `freeze.keep` writes it (`ftp`, `webmin`, `domtool`). */
const serviceName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'must be a lower-case name: letters, digits and -, starting with a letter (at most 32)' });

const listSchema = z
  .strictObject({
    path: listPath.describe("the tool's user list file (vsftpd's user_list, a Webmin deny list …): one username per line; lines Roster does not manage are kept"),
    mode: z.enum(['allow', 'deny']).describe("deny: the file lists the accounts whose service is disabled (frozen or retired); allow: it lists the accounts living here whose service is not disabled"),
    service: serviceName.describe('the service the file stands for (ftp, webmin …): freeze.keep may name it to keep it through a freeze'),
  })
  .describe('one allow or deny list of another tool');

/**
 * roster.yaml `hosts.<host>.targets.user-list` (seed MemberFreezing 1.2
 * "remove tool access"): other tools' one-name-per-line user files, so that
 * taking a tool away from a frozen member is one line of config.
 */
export const userListConfigSchema = z
  .strictObject({
    lists: z.array(listSchema).min(1, { error: 'name at least one list' }).describe('the user list files Roster keeps, each with its mode and service'),
  })
  .superRefine((c, ctx) => {
    // Two entries rewriting one file would undo each other at every apply.
    const seen = new Map<string, number>();
    c.lists.forEach((list, i) => {
      const first = seen.get(list.path);
      if (first === undefined) seen.set(list.path, i);
      else ctx.addIssue({ code: 'custom', path: ['lists', i, 'path'], message: `${list.path} is already lists[${first}]; each file is one list` });
    });
  })
  .describe("other tools' allow and deny user lists (FTP user_list, Webmin and Usermin deny lists, a domain tool's ACL), each kept by the holds of its service");

export type UserListConfig = z.output<typeof userListConfigSchema>;
export type UserListEntry = UserListConfig['lists'][number];
