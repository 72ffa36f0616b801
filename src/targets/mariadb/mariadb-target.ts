import type { DesiredHost } from '../../desired/desired-host.js';
import { defineTarget, type Change, type ChangeResult, type TargetContext, type UsageItem, type VerifyFailure } from '../target.js';
import { adminLogin, withAdmin } from './admin-session.js';
import { applyMariadb } from './mariadb-apply.js';
import { mariadbCheck } from './mariadb-check.js';
import { mariadbConfigSchema, type MariadbConfig } from './mariadb-config.js';
import { MARIADB_DATABASE, mariadbDatabaseKind } from './mariadb-database-kind.js';
import { observeServer, TARGET, type MariadbObserved } from './mariadb-observed.js';
import { planMariadb, SERVICE } from './mariadb-plan.js';
import { mariadbEntrySchema, mariadbTypeSettingsSchema, type MariadbEntry } from './mariadb-type-settings.js';
import { databaseUsage } from './mariadb-usage.js';
import { socketLogin } from './mariadb-tools.js';
import { verifyOnServer, type LoginProbe } from './mariadb-verify.js';

/**
 * MariaDB (DESIGN.md §4, issue 12 item 2): each account living on the host
 * gets a user `'username'@'pattern'` per configured host pattern, with its
 * type's authentication; its `mariadb-database` resources are databases it
 * has all privileges on, and on nothing else. While the account's
 * `databases` service is disabled its users are locked (ACCOUNT LOCK) and
 * their open connections killed, since a lock alone leaves sessions running;
 * unfreeze restores the lock state each user had before (one locked by hand
 * stays locked). A purge dumps each database into the archive (SHA-256 in
 * the manifest), drops it, then the users; restoring the account brings the
 * dumps back. What Roster manages is recorded in `roster_meta` on the server
 * and nothing else is ever touched.
 */
export const mariadbTarget = defineTarget<MariadbConfig, MariadbObserved, MariadbEntry>({
  name: TARGET,
  hostSettings: mariadbConfigSchema,
  typeSettings: mariadbTypeSettingsSchema,
  entry: mariadbEntrySchema,
  // Touches only its own service: applied at the same time as the other service targets next to it.
  concurrent: true,
  services: [SERVICE],
  // A socket login (unix_socket) needs the Unix account of the same name.
  after: ['unix'],
  resourceKinds: { [MARIADB_DATABASE]: mariadbDatabaseKind },
  doctor: mariadbCheck,

  async observe(ctx: TargetContext, config: MariadbConfig, desired: DesiredHost): Promise<MariadbObserved> {
    return withAdmin(await adminLogin(ctx, config), (c) => observeServer(c, ctx, config, desired));
  },

  plan(desired: DesiredHost, observed: MariadbObserved, config: MariadbConfig): readonly Change[] {
    return planMariadb(desired, observed, config);
  },

  apply(ctx: TargetContext, config: MariadbConfig, changes: readonly Change[], desired: DesiredHost): Promise<readonly ChangeResult[]> {
    return applyMariadb(ctx, config, changes, desired);
  },

  async verify(ctx: TargetContext, config: MariadbConfig, results: readonly ChangeResult[], desired: DesiredHost): Promise<readonly VerifyFailure[]> {
    const login = await adminLogin(ctx, config);
    const socket = login.socket;
    // Over the socket Roster can log in as the member does (unix_socket); over TCP only the server's own account of the lock is there to read.
    let loginAs: LoginProbe | undefined;
    if (socket !== undefined) {
      const accounts = new Map(desired.accounts.map((a) => [a.username, a]));
      loginAs = async (user) => {
        const a = accounts.get(user);
        return a === undefined ? 'inconclusive' : socketLogin(socket, user, a.uid, a.gid);
      };
    }
    return withAdmin(login, (c) => verifyOnServer(c, results, loginAs));
  },

  async usage(ctx: TargetContext, config: MariadbConfig, desired: DesiredHost): Promise<readonly UsageItem[]> {
    return withAdmin(await adminLogin(ctx, config), (c) => databaseUsage(c, desired));
  },
});
