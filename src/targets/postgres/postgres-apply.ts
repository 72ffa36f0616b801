import type pg from 'pg';
import type { DesiredHost } from '../../desired/desired-host.js';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { archiveSettings } from '../archive-settings.js';
import { archivedFile, archiveResourceFile, markRestored, verifiedArchivePath } from '../resource-archive.js';
import type { Change, ChangeResult, TargetContext } from '../target.js';
import { DATABASE_KIND, POSTGRES, type PostgresChangeData } from './postgres-change.js';
import type { PostgresConfig } from './postgres-config.js';
import type { PostgresDatabaseSettings } from './postgres-database-kind.js';
import { parseDatabaseMarker, parseRoleMarker, renderDatabaseMarker, renderRoleMarker, type DatabaseMarker, type FrozenRecord, type RoleMarker } from './postgres-marker.js';
import { adminUrl, ident, literal, openAdminSession, type AdminSession } from './postgres-session.js';
import { dumpDatabase, restoreDatabase } from './postgres-tools.js';

/** A server error with its DETAIL (a DROP ROLE names what still depends on the role there). */
export function pgMessage(e: unknown): string {
  const detail = (e as { detail?: unknown }).detail;
  return typeof detail === 'string' && detail !== '' ? `${errorMessage(e)} (${detail.replace(/\n/g, '; ')})` : errorMessage(e);
}

async function inTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const out = await work();
    await client.query('commit');
    return out;
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  }
}

interface RoleRow {
  readonly canLogin: boolean;
  readonly validUntil: string | null;
  readonly marker: RoleMarker | null;
}

async function readRole(client: pg.Client, role: string): Promise<RoleRow | null> {
  const r = await client.query<{ can_login: boolean; valid_until: string | null; comment: string | null }>(
    "select rolcanlogin as can_login, rolvaliduntil::text as valid_until, shobj_description(oid, 'pg_authid') as comment from pg_roles where rolname = $1",
    [role],
  );
  const row = r.rows[0];
  return row === undefined ? null : { canLogin: row.can_login, validUntil: row.valid_until, marker: parseRoleMarker(row.comment) };
}

/** The role, re-read at apply time, after checking its marker still names this host and account (it may have changed since the plan). */
async function ourRole(client: pg.Client, role: string, expected: { readonly host: string; readonly owner: string; readonly uid: number }): Promise<RoleRow & { readonly marker: RoleMarker }> {
  const row = await readRole(client, role);
  if (row === null) throw new RosterError('conflict', `role ${role} no longer exists`);
  const m = row.marker;
  if (m === null || m.host !== expected.host || m.owner !== expected.owner || m.uid !== expected.uid) throw new RosterError('conflict', `role ${role} is no longer marked as Roster's for ${expected.owner} (UID ${expected.uid}) on ${expected.host}; not touching it`);
  return { ...row, marker: m };
}

async function databaseMarker(client: pg.Client, database: string): Promise<{ readonly exists: boolean; readonly owner: string | null; readonly marker: DatabaseMarker | null }> {
  const r = await client.query<{ owner: string; comment: string | null }>("select pg_get_userbyid(datdba) as owner, shobj_description(oid, 'pg_database') as comment from pg_database where datname = $1", [database]);
  const row = r.rows[0];
  return row === undefined ? { exists: false, owner: null, marker: null } : { exists: true, owner: row.owner, marker: parseDatabaseMarker(row.comment) };
}

/** The database's marker, re-read at apply time, after checking it still names this host and account and that account's role still owns it. */
async function ourDatabase(client: pg.Client, database: string, expected: { readonly host: string; readonly owner: string; readonly uid: number }): Promise<DatabaseMarker> {
  const { exists, owner, marker: m } = await databaseMarker(client, database);
  if (!exists) throw new RosterError('conflict', `database ${database} no longer exists`);
  if (m === null || m.host !== expected.host || m.owner !== expected.owner || m.uid !== expected.uid || owner !== expected.owner) {
    throw new RosterError('conflict', `database ${database} is no longer Roster's for ${expected.owner} (UID ${expected.uid}) on ${expected.host} (owner ${owner ?? '?'}); not touching it`);
  }
  return m;
}

/** Ends every session of the role but Roster's own; the PIDs it signalled. */
async function terminateSessions(client: pg.Client, role: string): Promise<number[]> {
  // In the select list, not the WHERE clause: the planner may order quals as it
  // likes, and the signal must only ever reach rows already filtered to the role.
  const r = await client.query<{ pid: number; signalled: boolean }>('select pid, pg_terminate_backend(pid) as signalled from pg_stat_activity where usename = $1 and pid <> pg_backend_pid() order by pid', [role]);
  return r.rows.filter((x) => x.signalled).map((x) => x.pid);
}

function createDatabaseSql(database: string, owner: string, settings: PostgresDatabaseSettings): string {
  const options = [
    `owner ${ident(owner)}`,
    // An encoding or locale other than template1's needs the pristine template.
    ...(settings.encoding === undefined && settings.locale === undefined ? [] : ['template template0']),
    ...(settings.encoding === undefined ? [] : [`encoding ${literal(settings.encoding)}`]),
    ...(settings.locale === undefined ? [] : [`locale ${literal(settings.locale)}`]),
  ];
  return `create database ${ident(database)} ${options.join(' ')}`;
}

/** A database this change just created, dropped again so a failed change leaves nothing half made. */
async function undoCreate(client: pg.Client, database: string): Promise<void> {
  await client.query(`drop database if exists ${ident(database)} with (force)`).catch(() => undefined);
}

interface Applied {
  readonly detail?: unknown;
  readonly warnings?: readonly string[];
}

interface ApplyEnv {
  readonly ctx: TargetContext;
  readonly config: PostgresConfig;
  readonly session: AdminSession;
  readonly url: string;
  readonly archive: { readonly enabled: boolean; readonly dir: string };
  /** The host whose markers these are (the desired state's). */
  readonly host: string;
}

async function createRole(env: ApplyEnv, role: string, marker: RoleMarker, canLogin: boolean): Promise<Applied> {
  const { client } = env.session;
  await inTransaction(client, async () => {
    if ((await readRole(client, role)) !== null) throw new RosterError('conflict', `role ${role} appeared since the plan; not touching it`);
    await client.query(`create role ${ident(role)} ${canLogin ? 'login' : 'nologin'}`);
    await client.query(`comment on role ${ident(role)} is ${literal(renderRoleMarker(marker))}`);
    // A role that is not a superuser may only create databases owned by, dump
    // and restore as, roles it is a member of.
    if (!env.session.superuser) await client.query(`grant ${ident(role)} to ${ident(env.session.user)}`);
  });
  return { detail: { role, login: canLogin } };
}

async function freeze(env: ApplyEnv, role: string, marker: RoleMarker): Promise<Applied> {
  const { client } = env.session;
  const recorded = await inTransaction(client, async (): Promise<FrozenRecord> => {
    const row = await ourRole(client, role, marker);
    // Recorded once, from what the role is now: a second freeze (or a re-freeze
    // after someone gave it LOGIN by hand) keeps the first record.
    const frozen = row.marker.frozen ?? { canLogin: row.canLogin, validUntil: row.validUntil };
    await client.query(`comment on role ${ident(role)} is ${literal(renderRoleMarker({ ...marker, frozen }))}`);
    if (row.canLogin) await client.query(`alter role ${ident(role)} nologin`);
    return frozen;
  });
  // After the commit: a session ended now cannot log in again.
  const terminated = await terminateSessions(client, role);
  return { detail: { role, recorded, terminated } };
}

async function unfreeze(env: ApplyEnv, role: string, marker: RoleMarker): Promise<Applied> {
  const { client } = env.session;
  return inTransaction(client, async (): Promise<Applied> => {
    const row = await ourRole(client, role, marker);
    const record = row.marker.frozen;
    if (record === undefined) return { detail: { role, restored: null } };
    const warnings: string[] = [];
    if (row.canLogin !== record.canLogin) await client.query(`alter role ${ident(role)} ${record.canLogin ? 'login' : 'nologin'}`);
    if (row.validUntil !== record.validUntil) {
      if (record.validUntil === null) {
        // PostgreSQL has no way back to an unset VALID UNTIL; infinity is what an unset one means.
        await client.query(`alter role ${ident(role)} valid until 'infinity'`);
        warnings.push(`role ${role} had no VALID UNTIL before the freeze and was given ${row.validUntil ?? 'one'} since; PostgreSQL cannot unset it, so it is now infinity`);
      } else {
        await client.query(`alter role ${ident(role)} valid until ${literal(record.validUntil)}`);
      }
    }
    await client.query(`comment on role ${ident(role)} is ${literal(renderRoleMarker(marker))}`);
    return { detail: { role, restored: record }, warnings };
  });
}

async function markRole(env: ApplyEnv, role: string, marker: RoleMarker): Promise<Applied> {
  const { client } = env.session;
  await inTransaction(client, async () => {
    const row = await ourRole(client, role, marker);
    const frozen = row.marker.frozen;
    await client.query(`comment on role ${ident(role)} is ${literal(renderRoleMarker({ ...marker, ...(frozen === undefined ? {} : { frozen }) }))}`);
  });
  return { detail: { role, login: marker.login } };
}

async function createDatabase(env: ApplyEnv, database: string, owner: string, marker: DatabaseMarker, settings: PostgresDatabaseSettings): Promise<void> {
  const { client } = env.session;
  const there = await databaseMarker(client, database);
  if (there.exists) throw new RosterError('conflict', `database ${database} appeared since the plan; not touching it`);
  // CREATE DATABASE cannot run in a transaction: the marker follows at once,
  // and a database this change created is dropped again if marking it fails.
  await client.query(createDatabaseSql(database, owner, settings));
  try {
    await client.query(`comment on database ${ident(database)} is ${literal(renderDatabaseMarker(marker))}`);
  } catch (e) {
    await undoCreate(client, database);
    throw e;
  }
}

async function restore(env: ApplyEnv, data: Extract<PostgresChangeData, { kind: 'restore-database' }>): Promise<Applied> {
  const { client } = env.session;
  // The SHA-256 first: a damaged dump is refused before anything is created.
  const path = await verifiedArchivePath(env.ctx.root, env.archive.dir, data.archive);
  if (data.replace) {
    const m = await ourDatabase(client, data.database, data.marker);
    if (m.restoring !== true) throw new RosterError('conflict', `database ${data.database} is no longer a restore that did not finish; not replacing it`);
    await client.query(`drop database ${ident(data.database)} with (force)`);
  }
  // Marked as a restore in progress: a crash leaves a database the next run restores again.
  await createDatabase(env, data.database, data.owner, { ...data.marker, restoring: true }, data.settings);
  try {
    await restoreDatabase(env.config, env.url, data.database, data.owner, path);
    await client.query(`comment on database ${ident(data.database)} is ${literal(renderDatabaseMarker(data.marker))}`);
  } catch (e) {
    await undoCreate(client, data.database);
    throw e;
  }
  await markRestored(env.ctx.root, env.archive.dir, POSTGRES, data.archive, env.ctx.clock.now());
  return { detail: { database: data.database, from: data.archive.file.file, sha256: data.archive.file.sha256, bytes: data.archive.file.bytes } };
}

async function applyOne(env: ApplyEnv, data: PostgresChangeData): Promise<Applied> {
  const { client } = env.session;
  const host = env.host;
  switch (data.kind) {
    case 'refuse':
      throw new RosterError('conflict', data.problem);
    case 'create-role':
      return createRole(env, data.role, data.marker, data.canLogin);
    case 'freeze':
      return freeze(env, data.role, data.marker);
    case 'unfreeze':
      return unfreeze(env, data.role, data.marker);
    case 'mark-role':
      return markRole(env, data.role, data.marker);
    case 'create-database':
      await createDatabase(env, data.database, data.owner, data.marker, data.settings);
      return { detail: { database: data.database, owner: data.owner } };
    case 'restore-database':
      return restore(env, data);
    case 'update-database': {
      await ourDatabase(client, data.database, data.marker);
      await client.query(`comment on database ${ident(data.database)} is ${literal(renderDatabaseMarker(data.marker))}`);
      return { detail: { database: data.database, owner: data.owner, resource: data.marker.resource } };
    }
    case 'archive-database': {
      const o = data.archiveOwner;
      await ourDatabase(client, data.database, { host, owner: o.username, uid: o.uid });
      const done = await archiveResourceFile({
        root: env.ctx.root,
        archiveDir: env.archive.dir,
        target: POSTGRES,
        host,
        owner: o,
        kind: DATABASE_KIND,
        name: data.database,
        ext: 'dump',
        now: env.ctx.clock.now(),
        write: (file) => dumpDatabase(env.config, env.url, data.database, file),
      });
      return { detail: { database: data.database, manifest: done.manifest, file: done.file.file, sha256: done.file.sha256, bytes: done.file.bytes, reused: done.reused } };
    }
    case 'drop-database': {
      const o = data.archiveOwner;
      await ourDatabase(client, data.database, { host, owner: data.markerOwner.owner, uid: data.markerOwner.uid });
      // Belt and braces: never drop a database whose dump the manifest does not list.
      if (env.archive.enabled && (await archivedFile(env.ctx.root, env.archive.dir, POSTGRES, o, DATABASE_KIND, data.database)) === null) {
        throw new RosterError('conflict', `the dump of database ${data.database} is not in the archive; not dropping it`);
      }
      await client.query(`drop database ${ident(data.database)} with (force)`);
      return { detail: { database: data.database } };
    }
    case 'drop-role': {
      await ourRole(client, data.role, { host, owner: data.role, uid: data.uid });
      await client.query(`drop role ${ident(data.role)}`);
      return { detail: { role: data.role } };
    }
  }
}

/**
 * Applies the plan's changes in order over one session as the configured
 * role; one result per change, never a throw (DESIGN.md §9.4). Once a change
 * of an account fails, that account's destructive changes are skipped (no
 * DROP after a failed dump, no DROP ROLE while its databases remain); its
 * other changes go on, so a collision on one database does not stop the
 * freeze of the role.
 */
export async function applyPostgres(ctx: TargetContext, config: PostgresConfig, changes: readonly Change[], desired: DesiredHost): Promise<readonly ChangeResult[]> {
  let session: AdminSession;
  let url: string;
  try {
    url = await adminUrl(ctx.root, config);
    session = await openAdminSession(ctx.root, config);
  } catch (e) {
    const error = errorMessage(e);
    return changes.map((change) => ({ change, ok: false, error }));
  }
  const env: ApplyEnv = { ctx, config, session, url, archive: archiveSettings(config, desired.purge), host: desired.host };
  const failed = new Set<string>();
  const results: ChangeResult[] = [];
  try {
    for (const change of changes) {
      try {
        if (change.destructive && change.account !== undefined && failed.has(change.account)) throw new RosterError('conflict', `skipped: an earlier change for ${change.account} failed`);
        const done = await applyOne(env, change.data as PostgresChangeData);
        results.push({ change, ok: true, ...(done.detail === undefined ? {} : { detail: done.detail }), ...(done.warnings === undefined || done.warnings.length === 0 ? {} : { warnings: done.warnings }) });
      } catch (e) {
        if (change.account !== undefined) failed.add(change.account);
        results.push({ change, ok: false, error: pgMessage(e) });
      }
    }
  } finally {
    await session.close();
  }
  return results;
}
