import type { Connection } from 'mariadb';
import type { DesiredHost } from '../../desired/desired-host.js';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { archiveSettings } from '../archive-settings.js';
import { archivedFile, archiveResourceFile, markRestored, verifiedArchivePath } from '../resource-archive.js';
import type { Change, ChangeResult, TargetContext } from '../target.js';
import { adminLogin, sqlErrno, withAdmin, type AdminLogin } from './admin-session.js';
import { AUTH_CLAUSE, dataOf, type MariadbChangeData, type NewDatabase } from './mariadb-change.js';
import type { MariadbConfig } from './mariadb-config.js';
import { MARIADB_DATABASE } from './mariadb-database-kind.js';
import { TARGET } from './mariadb-observed.js';
import { dumpDatabase, loadDump } from './mariadb-tools.js';
import { ensureMeta, META_DATABASES, META_USERS } from './roster-meta.js';
import { accountName, grantDatabase, quoteIdentifier } from './sql-quote.js';

// Server error numbers the apply expects.
const ER_CANNOT_USER = 1396; // CREATE USER of an existing user, DROP USER of a missing one
const ER_DB_CREATE_EXISTS = 1007;
const ER_NO_SUCH_THREAD = 1094; // the connection ended before KILL reached it
const ER_NONEXISTING_GRANT = 1141;

interface Applying {
  readonly ctx: TargetContext;
  readonly c: Connection;
  readonly login: AdminLogin;
  readonly archive: { readonly enabled: boolean; readonly dir: string };
}

/**
 * Applies the plan's changes in order, one result each. Once a change of an
 * account fails, that account's later changes are skipped (a failed dump
 * must not be followed by the drop). A server that cannot be reached fails
 * every change; nothing throws half-way.
 */
export async function applyMariadb(ctx: TargetContext, config: MariadbConfig, changes: readonly Change[], desired: DesiredHost): Promise<readonly ChangeResult[]> {
  const results: ChangeResult[] = [];
  try {
    const login = await adminLogin(ctx, config);
    await withAdmin(login, async (c) => {
      await ensureMeta(c);
      const a: Applying = { ctx, c, login, archive: archiveSettings(config, desired.purge) };
      const failed = new Set<string>();
      for (const change of changes) {
        try {
          if (change.account !== undefined && failed.has(change.account)) throw new RosterError('conflict', `skipped: an earlier change for ${change.account} failed`);
          const detail = await applyOne(a, dataOf(change));
          results.push({ change, ok: true, ...(detail === undefined ? {} : { detail }) });
        } catch (e) {
          if (change.account !== undefined) failed.add(change.account);
          results.push({ change, ok: false, error: errorMessage(e) });
        }
      }
    });
  } catch (e) {
    const done = new Set(results.map((r) => r.change));
    for (const change of changes) if (!done.has(change)) results.push({ change, ok: false, error: errorMessage(e) });
  }
  return results;
}

async function applyOne(a: Applying, data: MariadbChangeData): Promise<unknown> {
  const { c } = a;
  switch (data.kind) {
    case 'refuse':
      throw new RosterError('conflict', data.problem);
    case 'lock': {
      for (const h of data.hosts) {
        // The state before the freeze is written once, before the lock, so a run cut short re-locks without overwriting it.
        if (h.record) await c.query(`UPDATE ${META_USERS} SET frozen = TRUE, locked_before = ? WHERE user = ? AND host = ? AND NOT frozen`, [h.lockedBefore, data.user, h.host]);
        await c.query('ALTER USER ?@? ACCOUNT LOCK', [data.user, h.host]);
      }
      const locked = data.hosts.map((h) => accountName(data.user, h.host));
      if (!data.kill) throw new RosterError('conflict', `locked ${locked.join(', ')}, but ${data.user}'s connections were not ended: ${data.unmanaged.join(', ')} is not Roster's and connects under the same name`);
      // Locked first, so no new session can start while the open ones are ended (ACCOUNT LOCK alone leaves them running).
      return { locked, killed: await killConnections(c, data.user) };
    }
    case 'unlock': {
      for (const h of data.hosts) {
        if (!h.lockedBefore) await c.query('ALTER USER ?@? ACCOUNT UNLOCK', [data.user, h.host]);
        await c.query(`UPDATE ${META_USERS} SET frozen = FALSE, locked_before = NULL WHERE user = ? AND host = ?`, [data.user, h.host]);
      }
      return { unlocked: data.hosts.filter((h) => !h.lockedBefore).map((h) => accountName(data.user, h.host)), keptLocked: data.hosts.filter((h) => h.lockedBefore).map((h) => accountName(data.user, h.host)) };
    }
    case 'create-user': {
      const inserted = await recordUser(c, data.user, data.host, data.lock);
      try {
        await c.query(`CREATE USER ?@? ${AUTH_CLAUSE[data.auth]}${data.lock ? ' ACCOUNT LOCK' : ''}`, [data.user, data.host]);
      } catch (e) {
        if (sqlErrno(e) !== ER_CANNOT_USER) throw e;
        if (inserted) await c.query(`DELETE FROM ${META_USERS} WHERE user = ? AND host = ?`, [data.user, data.host]);
        throw new RosterError('conflict', `${accountName(data.user, data.host)} appeared on the server while Roster was making it for account ${data.user}; Roster does not manage it`, [], { cause: e });
      }
      return undefined;
    }
    case 'set-auth':
      await c.query(`ALTER USER ?@? ${AUTH_CLAUSE[data.auth]}`, [data.user, data.host]);
      return undefined;
    case 'drop-user':
      if (data.exists) await c.query('DROP USER IF EXISTS ?@?', [data.user, data.host]);
      await c.query(`DELETE FROM ${META_USERS} WHERE user = ? AND host = ?`, [data.user, data.host]);
      return undefined;
    case 'create-database':
      await createDatabase(c, data.database, async () => undefined);
      return { grantees: data.database.grantees.map((h) => accountName(data.database.owner, h)) };
    case 'restore-database': {
      // Checked against its manifest before anything is made: a damaged or swapped dump is never loaded.
      const path = await verifiedArchivePath(a.ctx.root, a.archive.dir, data.archive);
      await createDatabase(c, data.database, async () => {
        await loadDump(a.login, data.database.name, path);
        await markRestored(a.ctx.root, a.archive.dir, TARGET, data.archive, a.ctx.clock.now());
      });
      return { restoredFrom: data.archive.file.file, sha256: data.archive.file.sha256 };
    }
    case 'grant':
      for (const host of data.hosts) await grantAll(c, data.name, data.user, host);
      return undefined;
    case 'archive-database': {
      const archived = await archiveResourceFile({
        root: a.ctx.root,
        archiveDir: a.archive.dir,
        target: TARGET,
        host: a.ctx.host,
        owner: data.owner,
        kind: MARIADB_DATABASE,
        name: data.name,
        ext: 'sql',
        now: a.ctx.clock.now(),
        write: (path) => dumpDatabase(a.login, data.name, path),
      });
      return { manifest: archived.manifest, file: archived.file.file, sha256: archived.file.sha256, bytes: archived.file.bytes, reused: archived.reused };
    }
    case 'drop-database': {
      // Belt and braces: never drop a database whose dump the manifest does not list.
      if (data.archived !== null && (await archivedFile(a.ctx.root, a.archive.dir, TARGET, data.archived, MARIADB_DATABASE, data.name)) === null) {
        throw new RosterError('conflict', `the archive of database ${data.name} is not complete; not dropping it`);
      }
      for (const host of data.revoke) {
        // Dropping a database leaves its grants behind; a later database of that name must not inherit them.
        await c.query(`REVOKE ALL PRIVILEGES ON ${quoteIdentifier(grantDatabase(data.name))}.* FROM ?@?`, [data.owner, host]).catch((e: unknown) => {
          if (sqlErrno(e) !== ER_NONEXISTING_GRANT) throw e;
        });
      }
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(data.name)}`);
      await c.query(`DELETE FROM ${META_DATABASES} WHERE name = ?`, [data.name]);
      return undefined;
    }
    case 'forget-database':
      await c.query(`DELETE FROM ${META_DATABASES} WHERE name = ?`, [data.name]);
      return undefined;
    case 'drop-users': {
      for (const host of data.hosts) await c.query('DROP USER IF EXISTS ?@?', [data.user, host]);
      // A dropped user's sessions go on running: they are ended too, unless another user of the name may own them.
      const killed = data.kill ? await killConnections(c, data.user) : [];
      for (const host of [...data.hosts, ...data.missing]) await c.query(`DELETE FROM ${META_USERS} WHERE user = ? AND host = ?`, [data.user, host]);
      return { dropped: data.hosts.map((h) => accountName(data.user, h)), killed };
    }
  }
}

/** Records a user before it is made; true when the record is new (so a failed CREATE USER takes it back). */
async function recordUser(c: Connection, user: string, host: string, frozen: boolean): Promise<boolean> {
  const r = await c.query<{ affectedRows: number }>(
    `INSERT INTO ${META_USERS} (user, host, frozen, locked_before) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE frozen = VALUES(frozen), locked_before = VALUES(locked_before)`,
    [user, host, frozen, frozen ? false : null],
  );
  return r.affectedRows === 1;
}

/**
 * Records the database, creates it, runs `fill` (a restore's load), then
 * grants it to the owner's users. A name taken meanwhile by someone else is
 * a conflict; a fill that fails drops what was made, so the next run starts
 * over rather than finding half a database.
 */
async function createDatabase(c: Connection, db: NewDatabase, fill: () => Promise<void>): Promise<void> {
  const r = await c.query<{ affectedRows: number }>(`INSERT INTO ${META_DATABASES} (name, owner, resource_id) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE resource_id = VALUES(resource_id)`, [db.name, db.owner, db.resourceId]);
  const forget = async (): Promise<void> => {
    if (r.affectedRows === 1) await c.query(`DELETE FROM ${META_DATABASES} WHERE name = ?`, [db.name]);
  };
  // charset and collation are plain words (the kind's schema), so they are written as they are.
  const options = `CHARACTER SET ${db.charset}${db.collation === undefined ? '' : ` COLLATE ${db.collation}`}`;
  try {
    await c.query(`CREATE DATABASE ${quoteIdentifier(db.name)} ${options}`);
  } catch (e) {
    if (sqlErrno(e) !== ER_DB_CREATE_EXISTS) throw e;
    await forget();
    throw new RosterError('conflict', `database ${db.name} appeared on the server while Roster was making it for ${db.owner}; Roster does not manage it`, [], { cause: e });
  }
  try {
    await fill();
  } catch (e) {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(db.name)}`);
    await forget();
    throw e;
  }
  for (const host of db.grantees) await grantAll(c, db.name, db.owner, host);
}

async function grantAll(c: Connection, name: string, user: string, host: string): Promise<void> {
  await c.query(`GRANT ALL PRIVILEGES ON ${quoteIdentifier(grantDatabase(name))}.* TO ?@?`, [user, host]);
}

/** Ends every connection of the user name; returns the ids it killed. */
export async function killConnections(c: Connection, user: string): Promise<number[]> {
  const rows = await c.query<Array<{ id: number }>>('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()', [user]);
  const killed: number[] = [];
  for (const { id } of rows) {
    try {
      await c.query(`KILL CONNECTION ${id}`);
      killed.push(id);
    } catch (e) {
      if (sqlErrno(e) !== ER_NO_SUCH_THREAD) throw e;
    }
  }
  return killed;
}
