import { posix } from 'node:path';
import * as z from 'zod';

const listPath = z.string().superRefine((p, ctx) => {
  if (!posix.isAbsolute(p) || p.split('/').includes('..')) ctx.addIssue({ code: 'custom', message: `must be an absolute path without '..', got "${p}"` });
});

/**
 * roster.yaml `hosts.<host>.targets.login` (seed 000 §1.7 "add username to
 * /etc/frozen.users … not being mentioned in that file as a prerequisite for
 * PAM success"). The PAM side is in docs/pam-login.md.
 */
export const loginConfigSchema = z
  .strictObject({
    /** pam_listfile file of accounts whose login a hold disables. */
    path: listPath.default('/etc/security/roster-frozen.users').describe('the pam_listfile file listing accounts whose login a hold disables'),
    /** Optional second file: accounts living here whose type may not log into this host (type.hosts.login). */
    noLoginPath: listPath.optional().describe("a second file: accounts living here whose type may not log into this host (the type's hosts.login)"),
  })
  .superRefine((c, ctx) => {
    if (c.noLoginPath !== undefined && c.noLoginPath === c.path) {
      ctx.addIssue({ code: 'custom', path: ['noLoginPath'], message: 'must differ from path (each file is rewritten on its own)' });
    }
  })
  .describe('the PAM list file for pam_listfile: accounts whose login a hold disables (see docs/pam-login.md for the PAM line)');

export type LoginConfig = z.output<typeof loginConfigSchema>;
