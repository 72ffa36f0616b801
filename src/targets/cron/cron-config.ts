import { posix } from 'node:path';
import * as z from 'zod';

const listPath = z.string().superRefine((p, ctx) => {
  if (!posix.isAbsolute(p) || p.split('/').includes('..')) ctx.addIssue({ code: 'custom', message: `must be an absolute path without '..', got "${p}"` });
});

/**
 * roster.yaml `hosts.<host>.targets.cron` (seed 000 §1.3 "remove crontab
 * access"). `deny`: disabled accounts are listed in cron.deny. `allow`:
 * accounts that may log into the host and are not disabled are listed in
 * cron.allow (crontab(1): when cron.allow exists only the users it lists may
 * use crontab, and cron.deny is not consulted).
 */
export const cronConfigSchema = z
  .strictObject({
    mode: z.enum(['deny', 'allow']).default('deny').describe('deny: disabled accounts are listed in cron.deny; allow: accounts that may log in and are not disabled are listed in cron.allow'),
    path: listPath.optional().describe('the list file; /etc/cron.deny or /etc/cron.allow by mode'),
  })
  .transform((c) => ({ mode: c.mode, path: c.path ?? (c.mode === 'deny' ? '/etc/cron.deny' : '/etc/cron.allow') }))
  .describe('crontab access through cron.allow or cron.deny');

export type CronConfig = z.output<typeof cronConfigSchema>;
