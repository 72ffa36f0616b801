import { posix } from 'node:path';
import * as z from 'zod';

const CONTROL = /[\u0000-\u001f\u007f]/;

const stateFile = z.string().superRefine((p, ctx) => {
  if (!posix.isAbsolute(p) || posix.normalize(p) !== p || p.endsWith('/')) ctx.addIssue({ code: 'custom', message: `must be a normalised absolute file path, got "${p}"` });
  else if (CONTROL.test(p)) ctx.addIssue({ code: 'custom', message: 'must not contain control characters or newlines' });
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name (letters, digits and _)' }).refine((n) => !n.startsWith('ROSTER_'), {
  error: 'must not start with ROSTER_ (those describe the account and are set by Roster)',
});

/**
 * roster.yaml `hosts.<host>.targets.hooks`: the account types name the hook
 * programs (`types.<t>.targets.hooks`); this section says how they run on the host.
 */
export const hooksConfigSchema = z.strictObject({
  /**
   * Per-host record of the accounts whose creation the hooks target has
   * handled (onCreate ran, or there was none), under the root. An account
   * not in it is new; deleting it makes Roster adopt the accounts already in
   * /etc/passwd rather than run every onCreate again.
   */
  stateFile: stateFile.default('/var/lib/roster/hooks-created.tsv').describe('the record of accounts whose creation the hooks have handled; deleting it adopts the accounts in /etc/passwd instead of running every onCreate again'),
  /** PATH of the hook processes (they start with a clean environment). */
  path: z.string().refine((p) => !CONTROL.test(p) && p !== '', { error: 'must be a non-empty PATH' }).default('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').describe('PATH of the hook processes (they start with a clean environment)'),
  /** Extra variables for every hook, e.g. { SITE: example }. */
  environment: z.record(envName, z.string().refine((v) => !v.includes('\u0000'), { error: 'must not contain NUL' })).default(() => ({})).describe('extra environment variables for every hook, e.g. { SITE: example }'),
  /** Bytes of stdout and of stderr kept for the audit record (the rest is cut). */
  maxOutputBytes: z.int().min(0).max(1024 * 1024).default(4096).describe('bytes of stdout and of stderr kept in the audit record'),
})
  .describe("how the account types' admin hooks run on this host");

export type HooksConfig = z.output<typeof hooksConfigSchema>;
