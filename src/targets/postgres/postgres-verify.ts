import type pg from 'pg';
import type { DesiredHost } from '../../desired/desired-host.js';
import { errorMessage } from '../../domain/errors.js';
import { archiveSettings } from '../archive-settings.js';
import { archivedFile } from '../resource-archive.js';
import type { ChangeResult, TargetContext, VerifyFailure } from '../target.js';
import { DATABASE_KIND, POSTGRES, type PostgresChangeData } from './postgres-change.js';
import type { PostgresConfig } from './postgres-config.js';
import { parseDatabaseMarker, parseRoleMarker, type DatabaseMarker, type RoleMarker } from './postgres-marker.js';
import { adminUrl, newClient, openAdminSession } from './postgres-session.js';
import { postgresUrl } from './postgres-url.js';

/** What a connection attempt as the role showed. */
type Probe =
  | { readonly kind: 'connected' }
  | { readonly kind: 'refused'; readonly message: string }
  /** Authentication itself failed (no password, peer mismatch): the server never got to check LOGIN. */
  | { readonly kind: 'inconclusive'; readonly message: string };

/**
 * A real connection attempt as the role, with the configured URL's host and
 * database and no password. PostgreSQL checks LOGIN only after
 * authentication, so the answer is conclusive where pg_hba lets Roster's
 * host authenticate as the role (trust on a loopback line, or a peer map);
 * elsewhere it is inconclusive and the catalog (rolcanlogin, sessions)
 * decides alone.
 */
async function probeLogin(url: string, role: string): Promise<Probe> {
  const client = await newClient(postgresUrl(url, { user: role, password: null }));
  try {
    await client.connect();
    return { kind: 'connected' };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const message = errorMessage(e);
    // 28000 with this text is the server's LOGIN check (miscinit.c), not pg_hba's.
    if (code === '28000' && message.includes('is not permitted to log in')) return { kind: 'refused', message };
    return { kind: 'inconclusive', message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface RoleNow {
  readonly canLogin: boolean;
  readonly validUntil: string | null;
  readonly marker: RoleMarker | null;
}

interface DatabaseNow {
  readonly owner: string;
  readonly marker: DatabaseMarker | null;
}

/** The catalog rows of every role and database the changes name, in two queries (a first apply verifies thousands of changes). */
async function catalog(client: pg.Client, data: readonly PostgresChangeData[]): Promise<{ readonly roles: ReadonlyMap<string, RoleNow>; readonly databases: ReadonlyMap<string, DatabaseNow> }> {
  const roleNames = [...new Set(data.flatMap((d) => ('role' in d ? [d.role] : [])))];
  const dbNames = [...new Set(data.flatMap((d) => ('database' in d ? [d.database] : [])))];
  const r = await client.query<{ name: string; can_login: boolean; valid_until: string | null; comment: string | null }>(
    "select rolname as name, rolcanlogin as can_login, rolvaliduntil::text as valid_until, shobj_description(oid, 'pg_authid') as comment from pg_roles where rolname = any($1::text[])",
    [roleNames],
  );
  const d = await client.query<{ name: string; owner: string; comment: string | null }>(
    "select datname as name, pg_get_userbyid(datdba) as owner, shobj_description(oid, 'pg_database') as comment from pg_database where datname = any($1::text[])",
    [dbNames],
  );
  return {
    roles: new Map(r.rows.map((x) => [x.name, { canLogin: x.can_login, validUntil: x.valid_until, marker: parseRoleMarker(x.comment) }])),
    databases: new Map(d.rows.map((x) => [x.name, { owner: x.owner, marker: parseDatabaseMarker(x.comment) }])),
  };
}

/** The role's sessions once they are gone, or those still there after `graceMs`. */
async function remainingSessions(client: pg.Client, role: string, graceMs: number): Promise<number[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const r = await client.query<{ pid: number }>('select pid from pg_stat_activity where usename = $1 and pid <> pg_backend_pid() order by pid', [role]);
    const pids = r.rows.map((x) => x.pid);
    if (pids.length === 0 || Date.now() >= deadline) return pids;
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now()))));
  }
}

function canLoginProblem(role: string, now: RoleNow | undefined, expected: boolean): string | null {
  if (now === undefined) return `role ${role} does not exist`;
  return now.canLogin === expected ? null : `role ${role} has ${now.canLogin ? 'LOGIN' : 'NOLOGIN'}, expected ${expected ? 'LOGIN' : 'NOLOGIN'}`;
}

/** A real login as the role against what the change promised. */
async function probeProblem(url: string, role: string, expected: boolean): Promise<string | null> {
  const probe = await probeLogin(url, role);
  if (!expected && probe.kind === 'connected') return `a connection as ${role} was accepted`;
  if (expected && probe.kind === 'refused') return `a connection as ${role} was refused: ${probe.message}`;
  return null;
}

function databaseProblem(database: string, now: DatabaseNow | undefined, expected: { readonly owner: string; readonly resource: number } | null): string | null {
  if (expected === null) return now === undefined ? null : `database ${database} is still there`;
  if (now === undefined) return `database ${database} does not exist`;
  if (now.owner !== expected.owner) return `database ${database} is owned by ${now.owner}, not ${expected.owner}`;
  if (now.marker?.resource !== expected.resource || now.marker.restoring === true) return `database ${database} does not carry its marker for resource #${expected.resource}`;
  return null;
}

interface VerifyEnv {
  readonly ctx: TargetContext;
  readonly config: PostgresConfig;
  readonly desired: DesiredHost;
  readonly client: pg.Client;
  readonly url: string;
  readonly roles: ReadonlyMap<string, RoleNow>;
  readonly databases: ReadonlyMap<string, DatabaseNow>;
}

async function problemOf(env: VerifyEnv, data: PostgresChangeData): Promise<string | null> {
  switch (data.kind) {
    case 'refuse':
      return null;
    case 'create-role':
      // The catalog only: a first apply makes a role per account, and a login probe each would cost a connection each.
      return canLoginProblem(data.role, env.roles.get(data.role), data.canLogin) ?? (env.roles.get(data.role)?.marker === null ? `role ${data.role} does not carry its marker` : null);
    case 'freeze': {
      const problem = canLoginProblem(data.role, env.roles.get(data.role), false) ?? (await probeProblem(env.url, data.role, false));
      if (problem !== null) return problem;
      const left = await remainingSessions(env.client, data.role, env.config.backendGrace);
      return left.length === 0 ? null : `role ${data.role} still has ${left.length === 1 ? 'a session' : `${left.length} sessions`} ${env.config.backendGrace} ms after they were ended (PID ${left.join(', ')})`;
    }
    case 'unfreeze': {
      const now = env.roles.get(data.role);
      if (now?.marker?.frozen !== undefined) return `role ${data.role} still carries its freeze record`;
      if (data.restore.validUntil !== null && now?.validUntil !== data.restore.validUntil) return `role ${data.role} is valid until ${now?.validUntil ?? 'unset'}, not ${data.restore.validUntil} as before the freeze`;
      return canLoginProblem(data.role, now, data.restore.canLogin) ?? (await probeProblem(env.url, data.role, data.restore.canLogin));
    }
    case 'mark-role':
      return env.roles.get(data.role)?.marker?.login === data.marker.login ? null : `role ${data.role} does not carry its marker`;
    case 'create-database':
    case 'restore-database':
    case 'update-database':
      return databaseProblem(data.database, env.databases.get(data.database), { owner: data.owner, resource: data.marker.resource });
    case 'archive-database': {
      const { dir } = archiveSettings(env.config, env.desired.purge);
      return (await archivedFile(env.ctx.root, dir, POSTGRES, data.archiveOwner, DATABASE_KIND, data.database)) === null ? `the dump of ${data.database} is not listed in the archive's manifest` : null;
    }
    case 'drop-database':
      return databaseProblem(data.database, env.databases.get(data.database), null);
    case 'drop-role':
      return env.roles.has(data.role) ? `role ${data.role} is still there` : null;
  }
}

/**
 * Issue 12 item 6: after a freeze a connection as the role is refused and it
 * has no session left; after an unfreeze it logs in again (or stays NOLOGIN
 * if it was so before); what was created is there with its owner and
 * marker, what was dropped is gone, what was dumped is in the manifest.
 */
export async function verifyPostgres(ctx: TargetContext, config: PostgresConfig, results: readonly ChangeResult[], desired: DesiredHost): Promise<readonly VerifyFailure[]> {
  const session = await openAdminSession(ctx.root, config);
  const failures: VerifyFailure[] = [];
  try {
    const data = results.map((r) => r.change.data as PostgresChangeData);
    const env: VerifyEnv = { ctx, config, desired, client: session.client, url: await adminUrl(ctx.root, config), ...(await catalog(session.client, data)) };
    for (const { change } of results) {
      const problem = await problemOf(env, change.data as PostgresChangeData);
      if (problem !== null) failures.push({ change, error: problem });
    }
  } finally {
    await session.close();
  }
  return failures;
}
