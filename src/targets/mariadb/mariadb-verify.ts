import type { Connection } from 'mariadb';
import type { ChangeResult, VerifyFailure } from '../target.js';
import { sqlErrno } from './admin-session.js';
import { dataOf, type MariadbChangeData } from './mariadb-change.js';
import type { SocketLogin } from './mariadb-tools.js';
import { accountName, grantDatabase } from './sql-quote.js';

// What SHOW CREATE USER answers for a user that does not exist.
const NO_SUCH_USER = new Set([1133, 1141, 1396]);

/**
 * Whether the server locks the user now, from SHOW CREATE USER: it reads the
 * server's in-memory account, the one a login is checked against (error
 * 4151, ER_ACCOUNT_HAS_BEEN_LOCKED), not the table beneath it. Null when
 * there is no such user.
 */
export async function serverLock(c: Connection, user: string, host: string): Promise<boolean | null> {
  try {
    const rows = await c.query<Array<Record<string, string>>>('SHOW CREATE USER ?@?', [user, host]);
    const text = Object.values(rows[0] ?? {})[0] ?? '';
    return / ACCOUNT LOCK\b/.test(text);
  } catch (e) {
    if (NO_SUCH_USER.has(sqlErrno(e) ?? 0)) return null;
    throw e;
  }
}

/** The user's connections still listed after a kill; a killed thread may take a moment to leave the list. */
async function remainingConnections(c: Connection, user: string): Promise<number[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const rows = await c.query<Array<{ id: number }>>('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()', [user]);
    if (rows.length === 0 || Date.now() > deadline) return rows.map((r) => r.id);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function databaseExists(c: Connection, name: string): Promise<boolean> {
  const rows = await c.query<unknown[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
  return rows.length > 0;
}

/** The host patterns of `hosts` whose user lacks a privilege on the database (ALL, as mysql.db keeps it). */
async function missingGrants(c: Connection, name: string, user: string, hosts: readonly string[]): Promise<string[]> {
  const rows = await c.query<Array<Record<string, unknown>>>('SELECT * FROM mysql.db WHERE Db = ? AND User = ?', [grantDatabase(name), user]);
  const complete = new Set(rows.filter((row) => Object.entries(row).every(([k, v]) => !k.endsWith('_priv') || k === 'Grant_priv' || v === 'Y')).map((row) => String(row.Host)));
  return hosts.filter((h) => !complete.has(h));
}

function lockProblem(user: string, host: string, state: boolean | null, want: boolean): string | null {
  const name = accountName(user, host);
  if (state === null) return `${name} does not exist on the server`;
  if (state === want) return null;
  return want ? `${name} is not locked: the server lets it log in` : `${name} is still locked: a login is refused with error 4151`;
}

/** A login as the member over the socket (the `localhost` user), where one can be made. */
export type LoginProbe = (user: string) => Promise<SocketLogin>;

/** The socket is how a client reaches the account's `localhost` user. */
const SOCKET_HOST = 'localhost';

/** What is wrong with the server after the change, or null when it is in effect. */
async function probe(c: Connection, data: MariadbChangeData, loginAs: LoginProbe | undefined): Promise<string | null> {
  const problems: string[] = [];
  switch (data.kind) {
    case 'lock': {
      for (const h of data.hosts) {
        const p = lockProblem(data.user, h.host, await serverLock(c, data.user, h.host), true);
        if (p !== null) problems.push(p);
      }
      if (loginAs !== undefined && data.hosts.some((h) => h.host === SOCKET_HOST) && (await loginAs(data.user)) === 'in') problems.push(`a login over the socket as ${data.user} was let in`);
      const open = await remainingConnections(c, data.user);
      if (open.length > 0) problems.push(`${data.user} still has ${open.length} connection${open.length === 1 ? '' : 's'} (id ${open.join(', ')})`);
      break;
    }
    case 'unlock':
      for (const h of data.hosts) {
        const p = lockProblem(data.user, h.host, await serverLock(c, data.user, h.host), h.lockedBefore);
        if (p !== null) problems.push(p);
      }
      if (loginAs !== undefined && data.hosts.some((h) => h.host === SOCKET_HOST && !h.lockedBefore) && (await loginAs(data.user)) === 'locked') problems.push(`a login over the socket as ${data.user} is still refused with error 4151`);
      break;
    case 'create-user': {
      const p = lockProblem(data.user, data.host, await serverLock(c, data.user, data.host), data.lock);
      if (p !== null) problems.push(p);
      break;
    }
    case 'create-database':
    case 'restore-database': {
      const db = data.database;
      if (!(await databaseExists(c, db.name))) problems.push(`database ${db.name} does not exist on the server`);
      const missing = await missingGrants(c, db.name, db.owner, db.grantees);
      if (missing.length > 0) problems.push(`${missing.map((h) => accountName(db.owner, h)).join(', ')} lacks privileges on ${db.name}`);
      break;
    }
    case 'grant': {
      const missing = await missingGrants(c, data.name, data.user, data.hosts);
      if (missing.length > 0) problems.push(`${missing.map((h) => accountName(data.user, h)).join(', ')} lacks privileges on ${data.name}`);
      break;
    }
    case 'drop-database':
      if (await databaseExists(c, data.name)) problems.push(`database ${data.name} is still on the server`);
      break;
    case 'drop-users': {
      for (const host of data.hosts) if ((await serverLock(c, data.user, host)) !== null) problems.push(`${accountName(data.user, host)} is still on the server`);
      if (data.kill) {
        const open = await remainingConnections(c, data.user);
        if (open.length > 0) problems.push(`${data.user} still has ${open.length} connection${open.length === 1 ? '' : 's'} (id ${open.join(', ')})`);
      }
      break;
    }
    case 'refuse':
    case 'set-auth':
    case 'drop-user':
    case 'archive-database':
    case 'forget-database':
      break;
  }
  return problems.length === 0 ? null : problems.join('; ');
}

/**
 * Probes each applied change on the server (issue 12 item 6): a lock not in
 * force, a login let in or a connection left open is a failed change. With
 * `loginAs`, a freeze and an unfreeze are also checked by logging in as the
 * member over the socket.
 */
export async function verifyOnServer(c: Connection, results: readonly ChangeResult[], loginAs?: LoginProbe): Promise<VerifyFailure[]> {
  const failures: VerifyFailure[] = [];
  for (const { change } of results) {
    const error = await probe(c, dataOf(change), loginAs);
    if (error !== null) failures.push({ change, error });
  }
  return failures;
}
