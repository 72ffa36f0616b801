import type * as z from 'zod';
import { cronTarget } from './cron/cron-target.js';
import { homesTarget } from './homes/homes-target.js';
import { hooksTarget } from './hooks/hooks-target.js';
import { limitsTarget } from './limits/limits-target.js';
import { loginTarget } from './login/login-target.js';
import { processesTarget } from './processes/processes-target.js';
import { quotaTarget } from './quota/quota-target.js';
import type { Target } from './target.js';
import { unixTarget } from './unix/unix-target.js';

/** A target whose config and observation types are its own business; the pipeline only passes them along. */
export type AnyTarget = Target<unknown, unknown>;

/**
 * The host targets, in the order the pipeline applies them. The core never
 * switches on a target's kind (DESIGN.md §9.8): this list is the only place
 * that names them, and the order is the only knowledge it encodes.
 *
 * 1. login, 2. cron: a freeze first closes the doors (pam_listfile, crontab),
 *    so nothing new starts while
 * 3. processes kills what still runs (and nothing restarts it).
 * 4. homes before unix: creating a home needs no passwd entry (chown is by
 *    number), and on a purge the archive must be written — with the
 *    account's passwd, shadow and group lines read from the files — before
 *    unix removes those lines. The pipeline skips an account's later changes
 *    once one failed, so a failed archive also keeps unix from removing it.
 * 5. unix: passwd, shadow, group, gshadow.
 * 6. quota: after the user and the home exist.
 * 7. limits: one file for the host.
 * 8. hooks last: onCreate runs at the end of account creation (RATS step 16),
 *    when home and passwd entry exist.
 */
export const targetRegistry: readonly AnyTarget[] = [
  loginTarget,
  cronTarget,
  processesTarget,
  homesTarget,
  unixTarget,
  quotaTarget,
  limitsTarget,
  hooksTarget,
];

/** Name → config schema, for validating roster.yaml (`roster config check`) without config importing targets. */
export function targetSchemas(registry: readonly AnyTarget[] = targetRegistry): Readonly<Record<string, z.ZodType>> {
  return Object.fromEntries(registry.map((t) => [t.name, t.configSchema as z.ZodType]));
}
