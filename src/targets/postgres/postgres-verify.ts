import type pg from 'pg';
import { errorMessage } from '../../domain/errors.js';
import { archiveSettings } from '../archive-settings.js';
import { archivedFile } from '../resource-archive.js';
import type { ChangeResult, TargetContext, VerifyFailure } from '../target.js';
import type { DesiredHost } from '../../desired/desired-host.js';
import { DATABASE_KIND, POSTGRES, type PostgresChangeData } from './postgres-change.js';
import type { PostgresConfig } from './postgres-config.js';
import { parseDatabaseMarker, parseRoleMarker } from './postgres-marker.js';
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
  const client = newClient(postgresUrl(url, { user: role, password: null }));
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

async function roleRow(client: pg.Client, role: string): Promise<{ readonly canLogin: boolean; readonly validUntil: string | null; readonly comment: string | null } | null> {
  const r = await client.query<{ can_login: boolean; valid_until: string | null; comment: string | null }>(
    "select rolcanlogin as can_login, rolvaliduntil::text as valid_until, shobj_description(oid, 'pg_authid') as comment from pg_roles where rolname = $1",
    [role],
  );
  const row = r.rows[0];
  return row === undefined ? null : { canLogin: row.can_login, validUntil: row.valid_until, comment: row.comment };
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

/** Whether the role can log in now, as the catalog and a real connection say; the problem, or null. */
async function loginProblem(client: pg.Client, url: string, role: string, expected: boolean): Promise<string | null> {
  const row = await roleRow(client, role);
  if (row === null) return `role ${role} does not exist`;
  if (row.canLogin !== expected) return `role ${role} has ${row.canLogin ? 'LOGIN' : 'NOLOGIN'}, expected ${expected ? 'LOGIN' : 'NOLOGIN'}`;
  const probe = await probeLogin(url, role);
  if (!expected && probe.kind === 'connected') return `a connection as ${role} was accepted`;
  if (expected && probe.kind === 'refused') return `a connection as ${role} was refused: ${probe.message}`;
  return null;
}

async function databaseProblem(client: pg.Client, database: string, expected: { readonly owner: string; readonly resource: number } | null): Promise<string | null> {
  const r = await client.query<{ owner: string; comment: string | null }>("select pg_get_userbyid(datdba) as owner, shobj_description(oid, 'pg_database') as comment from pg_database where datname = $1", [database]);
  const row = r.rows[0];
  if (expected === null) return row === undefined ? null : `database ${database} is still there`;
  if (row === undefined) return `database ${database} does not exist`;
  if (row.owner !== expected.owner) return `database ${database} is owned by ${row.owner}, not ${expected.owner}`;
  const m = parseDatabaseMarker(row.comment);
  if (m?.resource !== expected.resource || m.restoring === true) return `database ${database} does not carry its marker for resource #${expected.resource}`;
  return null;
}

async function problemOf(client: pg.Client, ctx: TargetContext, config: PostgresConfig, url: string, desired: DesiredHost, data: PostgresChangeData): Promise<string | null> {
  switch (data.kind) {
    case 'refuse':
      return null;
    case 'create-role':
      return loginProblem(client, url, data.role, data.canLogin);
    case 'freeze': {
      const problem = await loginProblem(client, url, data.role, false);
      if (problem !== null) return problem;
      const left = await remainingSessions(client, data.role, config.backendGrace);
      return left.length === 0 ? null : `role ${data.role} still has ${left.length === 1 ? 'a session' : `${left.length} sessions`} ${config.backendGrace} ms after they were ended (PID ${left.join(', ')})`;
    }
    case 'unfreeze': {
      const row = await roleRow(client, data.role);
      const record = parseRoleMarker(row?.comment ?? null)?.frozen;
      if (record !== undefined) return `role ${data.role} still carries its freeze record`;
      if (data.restore.validUntil !== null && row?.validUntil !== data.restore.validUntil) return `role ${data.role} is valid until ${row?.validUntil ?? 'unset'}, not ${data.restore.validUntil} as before the freeze`;
      return loginProblem(client, url, data.role, data.restore.canLogin);
    }
    case 'mark-role': {
      const row = await roleRow(client, data.role);
      return parseRoleMarker(row?.comment ?? null)?.login === data.marker.login ? null : `role ${data.role} does not carry its marker`;
    }
    case 'create-database':
    case 'restore-database':
    case 'update-database':
      return databaseProblem(client, data.database, { owner: data.owner, resource: data.marker.resource });
    case 'archive-database': {
      const { dir } = archiveSettings(config, desired.purge);
      return (await archivedFile(ctx.root, dir, POSTGRES, data.archiveOwner, DATABASE_KIND, data.database)) === null ? `the dump of ${data.database} is not listed in the archive's manifest` : null;
    }
    case 'drop-database':
      return databaseProblem(client, data.database, null);
    case 'drop-role':
      return (await roleRow(client, data.role)) === null ? null : `role ${data.role} is still there`;
  }
}

/**
 * Issue 12 item 6: after a freeze a connection as the role is refused and it
 * has no session left; after an unfreeze it logs in again; what was created
 * is there with its owner and marker, what was dropped is gone.
 */
export async function verifyPostgres(ctx: TargetContext, config: PostgresConfig, results: readonly ChangeResult[], desired: DesiredHost): Promise<readonly VerifyFailure[]> {
  const session = await openAdminSession(ctx.root, config);
  const url = await adminUrl(ctx.root, config);
  const failures: VerifyFailure[] = [];
  try {
    for (const { change } of results) {
      const problem = await problemOf(session.client, ctx, config, url, desired, change.data as PostgresChangeData);
      if (problem !== null) failures.push({ change, error: problem });
    }
  } finally {
    await session.close();
  }
  return failures;
}
