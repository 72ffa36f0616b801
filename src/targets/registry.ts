import type * as z from 'zod';
import { RosterError } from '../domain/errors.js';
import { targetOrderOrThrow } from '../domain/target-order.js';
import { cronTarget } from './cron/cron-target.js';
import { homesTarget } from './homes/homes-target.js';
import { hooksTarget } from './hooks/hooks-target.js';
import { limitsTarget } from './limits/limits-target.js';
import { loginTarget } from './login/login-target.js';
import { mailListsTarget } from './mail-lists/mail-lists-target.js';
import { kerberosTarget } from './kerberos/kerberos-target.js';
import { ldapTarget } from './ldap/ldap-target.js';
import { mariadbTarget } from './mariadb/mariadb-target.js';
import { postgresTarget } from './postgres/postgres-target.js';
import { processesTarget } from './processes/processes-target.js';
import { quotaTarget } from './quota/quota-target.js';
import type { Target } from './target.js';
import { unixTarget } from './unix/unix-target.js';
import { userListTarget } from './user-list/user-list-target.js';
import { vhostsTarget } from './vhosts/vhosts-target.js';

/** A target whose config and observation types are its own business; the pipeline only passes them along. */
export type AnyTarget = Target;

/**
 * The host targets, in the order the pipeline applies them: computed from
 * each target's `after` (DESIGN.md §10 "Targets are plugins"); where the
 * constraints leave a choice, the earlier line here goes first. Adding a
 * target is its folder and one line here. The core never switches on a
 * target's kind (§9.8): this list is the only place that names them.
 */
export const targetRegistry: readonly AnyTarget[] = orderedTargets([
  loginTarget,
  cronTarget,
  processesTarget,
  homesTarget,
  // Before unix, as homes: a purge's dumps come first, and a failed dump stops the rest of that account's purge.
  postgresTarget,
  // Before unix, as postgres: a purged principal is recorded in the archive first, and a failed record stops that account's later removals.
  kerberosTarget,
  // Before unix too: a purged entry's LDIF goes to the archive before the account's other removals.
  ldapTarget,
  unixTarget,
  quotaTarget,
  limitsTarget,
  userListTarget,
  mariadbTarget,
  mailListsTarget,
  vhostsTarget,
  hooksTarget,
]);

/** Targets in apply order; a constraint naming no target, or a cycle, is an error naming the `after` at fault. */
export function orderedTargets(targets: readonly AnyTarget[]): readonly AnyTarget[] {
  return targetOrderOrThrow(targets, (problems) => new RosterError('bad_config', `the targets cannot be ordered: ${problems[0]?.target ?? ''}: ${problems[0]?.message ?? ''}`, problems.map((p) => ({ where: `target ${p.target}`, message: p.message }))));
}

/** Name → host settings schema (`hosts.<host>.targets.<name>`), for the roster.yaml(5) page. */
export function targetSchemas(registry: readonly AnyTarget[] = targetRegistry): Readonly<Record<string, z.ZodType>> {
  return Object.fromEntries(registry.map((t) => [t.name, t.hostSettings]));
}

/** Name → per-type settings schema (`types.<type>.targets.<name>`) of the targets that take them, for the roster.yaml(5) page. */
export function typeTargetSchemas(registry: readonly AnyTarget[] = targetRegistry): Readonly<Record<string, z.ZodType>> {
  return Object.fromEntries(registry.flatMap((t) => (t.typeSettings === undefined ? [] : [[t.name, t.typeSettings]])));
}
