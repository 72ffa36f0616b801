import type { DesiredHost } from '../../desired/desired-host.js';
import type { TargetContext, UsageItem } from '../target.js';
import { DATABASE_KIND } from './postgres-change.js';
import type { PostgresConfig } from './postgres-config.js';
import { parseDatabaseMarker } from './postgres-marker.js';
import { openAdminSession } from './postgres-session.js';

/**
 * Issue 12 item 7: the size of each database Roster manages for an account
 * of the desired state (pg_database_size: its files on disk, indexes and
 * TOAST included), one item per database.
 */
export async function postgresUsage(ctx: TargetContext, config: PostgresConfig, desired: DesiredHost): Promise<readonly UsageItem[]> {
  const uids = new Map(desired.accounts.map((a) => [a.username, a.uid]));
  const session = await openAdminSession(ctx.root, config);
  try {
    const r = await session.client.query<{ name: string; comment: string | null; bytes: string }>(
      `select d.datname as name, shobj_description(d.oid, 'pg_database') as comment, pg_database_size(d.oid)::text as bytes
         from pg_database d where shobj_description(d.oid, 'pg_database') like '{"roster":%' order by d.datname`,
    );
    const items: UsageItem[] = [];
    for (const row of r.rows) {
      const m = parseDatabaseMarker(row.comment);
      if (m === null || m.host !== desired.host || uids.get(m.owner) !== m.uid) continue;
      items.push({ account: m.owner, subject: `${DATABASE_KIND}:${row.name}`, bytes: Number(row.bytes) });
    }
    return items;
  } finally {
    await session.close();
  }
}
