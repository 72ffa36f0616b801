import { defineTarget } from '../target.js';
import { DATABASE_KIND, DATABASES_SERVICE, POSTGRES } from './postgres-change.js';
import { postgresConfigSchema, type PostgresConfig } from './postgres-config.js';
import { applyPostgres } from './postgres-apply.js';
import { postgresCheck } from './postgres-check.js';
import { postgresDatabaseKind } from './postgres-database-kind.js';
import { observePostgres, type PostgresObserved } from './postgres-observe.js';
import { planPostgres } from './postgres-plan.js';
import { postgresEntrySchema, postgresTypeSettingsSchema, type PostgresEntry } from './postgres-type-settings.js';
import { postgresUsage } from './postgres-usage.js';
import { verifyPostgres } from './postgres-verify.js';

/**
 * PostgreSQL (issue 12 item 1, DESIGN.md §4 and §10): every account living
 * on the host gets a role named after it, and its databases (owned
 * resources of kind postgres-database) are created owned by that role.
 * While a hold disables `databases` the role is NOLOGIN and its sessions
 * are ended; the unfreeze gives back exactly what the freeze recorded in the
 * role's marker. A database no longer desired is dumped into the archive,
 * then dropped, and a purged account's role follows; a desired database
 * that is missing comes back from its newest dump. Roles and databases
 * without Roster's marker are never altered: one in the way is a failed
 * change naming both.
 */
export const postgresTarget = defineTarget<PostgresConfig, PostgresObserved, PostgresEntry>({
  name: POSTGRES,
  hostSettings: postgresConfigSchema,
  doctor: postgresCheck,
  typeSettings: postgresTypeSettingsSchema,
  entry: postgresEntrySchema,
  // Touches only its own service: applied at the same time as the other service targets next to it.
  concurrent: true,
  services: [DATABASES_SERVICE],
  resourceKinds: { [DATABASE_KIND]: postgresDatabaseKind },
  observe: observePostgres,
  plan: planPostgres,
  apply: applyPostgres,
  verify: verifyPostgres,
  usage: postgresUsage,
});
