import type { Connection } from 'mariadb';
import type { DesiredHost } from '../../desired/desired-host.js';
import { archiveSettings } from '../archive-settings.js';
import { newestResourceArchive, type FoundArchive } from '../resource-archive.js';
import type { TargetContext } from '../target.js';
import type { MariadbConfig } from './mariadb-config.js';
import { MARIADB_DATABASE } from './mariadb-database-kind.js';
import { readMeta, type RosterMeta } from './roster-meta.js';
import { inList } from './sql-quote.js';

/** A user as the server has it: its authentication plugins (sorted) and whether it is locked. */
export interface ServerUser {
  readonly user: string;
  readonly host: string;
  readonly plugins: readonly string[];
  readonly locked: boolean;
}

export interface MariadbObserved {
  /** Users whose name is an account's, a purged account's or a recorded one (others are not Roster's business). */
  readonly users: readonly ServerUser[];
  readonly meta: RosterMeta;
  /** Every database on the server (a collision is with any of them). */
  readonly databases: ReadonlySet<string>;
  /** Complete grants (every database privilege) of those users, as `grantKey` makes them. */
  readonly grants: ReadonlySet<string>;
  /** Open connections (processlist ids) by user name. */
  readonly connections: ReadonlyMap<string, readonly number[]>;
  /** For a desired database missing on the server: its newest archive, by database name. */
  readonly archives: ReadonlyMap<string, FoundArchive>;
}

export const TARGET = 'mariadb';

/** A grant of `db` (as mysql.db stores it: wildcards escaped) to `'user'@'host'`. */
export function grantKey(user: string, host: string, escapedDb: string): string {
  return JSON.stringify([user, host, escapedDb]);
}

interface PrivJson {
  readonly plugin?: string;
  readonly auth_or?: ReadonlyArray<{ readonly plugin?: string }>;
  readonly account_locked?: boolean;
}

/**
 * The plugins of `IDENTIFIED VIA a OR b` as mysql.global_priv keeps them:
 * the first in `plugin`, all of them in `auth_or`, where `{}` stands for the
 * one in `plugin`.
 */
function pluginsOf(priv: PrivJson): string[] {
  const top = priv.plugin ?? 'mysql_native_password';
  const all = priv.auth_or === undefined ? [top] : priv.auth_or.map((a) => a.plugin ?? top);
  return [...new Set(all)].sort();
}

/** The names of the users Roster may have to do with: live accounts, purged ones and those it recorded. */
function relevantNames(desired: DesiredHost, meta: RosterMeta): Set<string> {
  return new Set([...desired.accounts.map((a) => a.username), ...desired.removed.map((r) => r.username), ...meta.users.map((u) => u.user)]);
}

/**
 * Reads what the plan needs, in a handful of queries whatever the number of
 * accounts; writes nothing. A scoped desired state (DesiredHost.scope) reads
 * the rows of its accounts and of the databases they name only, so one
 * member's freeze costs the same among 10 users as among 10,000.
 */
export async function observeServer(c: Connection, ctx: TargetContext, config: MariadbConfig, desired: DesiredHost): Promise<MariadbObserved> {
  const scoped = desired.scope !== undefined;
  const wanted = (desired.resources?.[TARGET] ?? []).filter((r) => r.kind === MARIADB_DATABASE).map((r) => r.name);
  const meta = await readMeta(c, scoped ? { owners: desired.scope ?? [], databases: wanted } : undefined);
  const names = relevantNames(desired, meta);
  // A scoped read names its users and databases; a whole-host one reads every row and keeps those of `names`.
  const where = (column: string, values: Iterable<string>, and = ''): { sql: string; values: readonly string[] } => {
    if (!scoped) return { sql: and === '' ? '' : ` WHERE ${and}`, values: [] };
    const list = inList(column, values);
    return { sql: ` WHERE ${list.sql}${and === '' ? '' : ` AND ${and}`}`, values: list.values };
  };
  const byUser = where('User', names);
  // Priv is JSON; the connector hands it over parsed when the server marks it so, as text otherwise.
  const privs = await c.query<Array<{ user: string; host: string; priv: string | PrivJson }>>(`SELECT User AS user, Host AS host, Priv AS priv FROM mysql.global_priv${byUser.sql}`, byUser.values);
  const users = privs
    .filter((p) => names.has(p.user))
    .map((p) => {
      const priv = typeof p.priv === 'string' ? (JSON.parse(p.priv) as PrivJson) : p.priv;
      return { user: p.user, host: p.host, plugins: pluginsOf(priv), locked: priv.account_locked === true };
    });
  const bySchema = where('SCHEMA_NAME', new Set([...wanted, ...meta.databases.map((d) => d.name)]));
  const schemata = await c.query<Array<{ name: string }>>(`SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA${bySchema.sql}`, bySchema.values);
  const databases = new Set(schemata.map((s) => s.name));
  const rows = await c.query<Array<Record<string, unknown>>>(`SELECT * FROM mysql.db${byUser.sql}`, byUser.values);
  const grants = new Set<string>();
  for (const row of rows) {
    const user = String(row.User);
    if (!names.has(user)) continue;
    // ALL PRIVILEGES on a database is every *_priv column but Grant_priv (GRANT OPTION is never given).
    const complete = Object.entries(row).every(([k, v]) => !k.endsWith('_priv') || k === 'Grant_priv' || v === 'Y');
    if (complete) grants.add(grantKey(user, String(row.Host), String(row.Db)));
  }
  const byProcess = where('USER', names, 'ID <> CONNECTION_ID()');
  const processes = await c.query<Array<{ id: number; user: string | null }>>(`SELECT ID AS id, USER AS user FROM information_schema.PROCESSLIST${byProcess.sql}`, byProcess.values);
  const connections = new Map<string, number[]>();
  for (const p of processes) {
    if (p.user === null || !names.has(p.user)) continue;
    connections.set(p.user, [...(connections.get(p.user) ?? []), p.id]);
  }
  const archive = archiveSettings(config, desired.purge);
  const uids = new Map(desired.accounts.map((a) => [a.username, a.uid]));
  const archives = new Map<string, FoundArchive>();
  for (const r of desired.resources?.[TARGET] ?? []) {
    const uid = uids.get(r.owner);
    if (r.kind !== MARIADB_DATABASE || databases.has(r.name) || uid === undefined) continue;
    const found = await newestResourceArchive(ctx.root, archive.dir, { target: TARGET, username: r.owner, uid, kind: r.kind, name: r.name });
    if (found !== null) archives.set(r.name, found);
  }
  return { users, meta, databases, grants, connections, archives };
}
