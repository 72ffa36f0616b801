import type { DesiredHost } from '../../desired/desired-host.js';
import { archiveSettings } from '../archive-settings.js';
import { newestResourceArchive, type FoundArchive } from '../resource-archive.js';
import type { TargetContext } from '../target.js';
import { DATABASE_KIND, POSTGRES } from './postgres-change.js';
import type { PostgresConfig } from './postgres-config.js';
import { parseDatabaseMarker, parseRoleMarker, type DatabaseMarker, type RoleMarker } from './postgres-marker.js';
import { openAdminSession } from './postgres-session.js';

export interface ObservedRole {
  readonly name: string;
  readonly canLogin: boolean;
  /** In UTC, as text (`infinity` included); null when unset. */
  readonly validUntil: string | null;
  readonly marker: RoleMarker | null;
  /** PIDs of its sessions (pg_stat_activity.usename). */
  readonly backends: readonly number[];
}

export interface ObservedDatabase {
  readonly name: string;
  /** The owning role's name. */
  readonly owner: string;
  readonly marker: DatabaseMarker | null;
}

export interface PostgresObserved {
  /** The roles named after the desired and the purged accounts. */
  readonly roles: ReadonlyMap<string, ObservedRole>;
  readonly databases: ReadonlyMap<string, ObservedDatabase>;
  /** The newest archive not yet restored of each desired database that is missing or half restored, by database name. */
  readonly archives: ReadonlyMap<string, FoundArchive>;
}

/** Reads the server's roles, databases and sessions in three queries, and the archive dir for desired databases that are missing. */
export async function observePostgres(ctx: TargetContext, config: PostgresConfig, desired: DesiredHost): Promise<PostgresObserved> {
  const session = await openAdminSession(ctx.root, config);
  try {
    // A role is only ever planned for by its account's name: a living account's, or a purged one's to drop.
    const names = [...desired.accounts.map((a) => a.username), ...desired.removed.map((r) => r.username)];
    const roleRows = await session.client.query<{ name: string; can_login: boolean; valid_until: string | null; comment: string | null }>(
      "select r.rolname as name, r.rolcanlogin as can_login, r.rolvaliduntil::text as valid_until, shobj_description(r.oid, 'pg_authid') as comment from pg_roles r where r.rolname = any($1::text[])",
      [names],
    );
    const sessions = await session.client.query<{ usename: string; pid: number }>('select usename, pid from pg_stat_activity where usename is not null and pid <> pg_backend_pid() order by pid');
    const backends = new Map<string, number[]>();
    for (const s of sessions.rows) backends.set(s.usename, [...(backends.get(s.usename) ?? []), s.pid]);
    const roles = new Map<string, ObservedRole>();
    for (const r of roleRows.rows) {
      roles.set(r.name, { name: r.name, canLogin: r.can_login, validUntil: r.valid_until, marker: parseRoleMarker(r.comment), backends: backends.get(r.name) ?? [] });
    }
    const dbRows = await session.client.query<{ name: string; owner: string; comment: string | null }>(
      "select d.datname as name, pg_get_userbyid(d.datdba) as owner, shobj_description(d.oid, 'pg_database') as comment from pg_database d",
    );
    const databases = new Map<string, ObservedDatabase>(dbRows.rows.map((d) => [d.name, { name: d.name, owner: d.owner, marker: parseDatabaseMarker(d.comment) }]));
    const archives = new Map<string, FoundArchive>();
    const { dir } = archiveSettings(config, desired.purge);
    const uids = new Map(desired.accounts.map((a) => [a.username, a.uid]));
    for (const r of desired.resources?.[POSTGRES] ?? []) {
      const uid = uids.get(r.owner);
      const there = databases.get(r.name);
      if (r.kind !== DATABASE_KIND || uid === undefined) continue;
      // Only a database that is not there as this resource's (missing, half restored, or another's to be dropped first) may come from an archive.
      const m = there?.marker;
      if (there !== undefined && (m === null || m?.host !== desired.host || m.owner !== there.owner)) continue;
      if (m !== undefined && m !== null && m.owner === r.owner && m.uid === uid && m.restoring !== true) continue;
      const found = await newestResourceArchive(ctx.root, dir, { target: POSTGRES, username: r.owner, uid, kind: DATABASE_KIND, name: r.name });
      if (found !== null) archives.set(r.name, found);
    }
    return { roles, databases, archives };
  } finally {
    await session.close();
  }
}
