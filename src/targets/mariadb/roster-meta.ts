import type { Connection } from 'mariadb';
import { sqlErrno } from './admin-session.js';
import { META_DATABASE } from './mariadb-database-kind.js';
import { inList, quoteIdentifier } from './sql-quote.js';

/**
 * What Roster manages on a MariaDB server, kept on the server itself in the
 * database `roster_meta` (MariaDB users carry no COMMENT to mark them, and a
 * record beside the server would drift from it). A user or database not
 * recorded here is never touched; a record is written before the object is
 * made and removed after it is dropped, so a run cut short leaves a record
 * without its object (made or forgotten next time), never an object Roster
 * made but no longer knows.
 */

/** A user Roster made: `frozen` while a hold locks it, with whether it was locked before (restored exactly on unfreeze). */
export interface MetaUser {
  readonly user: string;
  readonly host: string;
  readonly frozen: boolean;
  /** Whether the user was already locked when Roster froze it; null while not frozen. */
  readonly lockedBefore: boolean | null;
}

/** A database Roster made for a resource. */
export interface MetaDatabase {
  readonly name: string;
  readonly owner: string;
  readonly resourceId: number;
}

export interface RosterMeta {
  readonly users: readonly MetaUser[];
  readonly databases: readonly MetaDatabase[];
}

const DB = quoteIdentifier(META_DATABASE);
export const META_USERS = `${DB}.\`users\``;
export const META_DATABASES = `${DB}.\`databases\``;

// 1049: unknown database; 1146: no such table. Before Roster's first apply there is nothing recorded.
const ABSENT = new Set([1049, 1146]);

/** The records of some owners only: theirs, and those of the databases named (a name recorded for another owner is a collision the plan must see). */
export interface MetaScope {
  readonly owners: readonly string[];
  readonly databases: readonly string[];
}

/**
 * The records, empty when `roster_meta` does not exist yet (observe never
 * creates it: a plan writes nothing); with `scope`, only those it names.
 */
export async function readMeta(c: Connection, scope?: MetaScope): Promise<RosterMeta> {
  const users = scope === undefined ? null : inList('user', scope.owners);
  const owners = scope === undefined ? null : inList('owner', scope.owners);
  const names = scope === undefined ? null : inList('name', scope.databases);
  try {
    const userRows = await c.query<Array<{ user: string; host: string; frozen: number; locked_before: number | null }>>(
      `SELECT user, host, frozen, locked_before FROM ${META_USERS}${users === null ? '' : ` WHERE ${users.sql}`}`,
      users?.values ?? [],
    );
    const databaseRows = await c.query<Array<{ name: string; owner: string; resource_id: number }>>(
      `SELECT name, owner, resource_id FROM ${META_DATABASES}${owners === null || names === null ? '' : ` WHERE ${owners.sql} OR ${names.sql}`}`,
      owners === null || names === null ? [] : [...owners.values, ...names.values],
    );
    return {
      users: userRows.map((u) => ({ user: u.user, host: u.host, frozen: u.frozen !== 0, lockedBefore: u.locked_before === null ? null : u.locked_before !== 0 })),
      databases: databaseRows.map((d) => ({ name: d.name, owner: d.owner, resourceId: d.resource_id })),
    };
  } catch (e) {
    if (ABSENT.has(sqlErrno(e) ?? 0)) return { users: [], databases: [] };
    throw e;
  }
}

/**
 * Creates `roster_meta` and its tables when missing. Binary collation:
 * names compare as the server's own (case-sensitive user and database
 * names on Linux).
 */
export async function ensureMeta(c: Connection): Promise<void> {
  await c.query(`CREATE DATABASE IF NOT EXISTS ${DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT 'what Roster manages on this server: do not edit'`);
  await c.query(
    `CREATE TABLE IF NOT EXISTS ${META_USERS} (
       user VARCHAR(128) NOT NULL,
       host VARCHAR(255) NOT NULL,
       frozen BOOLEAN NOT NULL DEFAULT FALSE,
       locked_before BOOLEAN NULL,
       PRIMARY KEY (user, host)
     ) ENGINE=InnoDB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT 'users Roster made, and their lock state before a freeze'`,
  );
  await c.query(
    `CREATE TABLE IF NOT EXISTS ${META_DATABASES} (
       name VARCHAR(64) NOT NULL PRIMARY KEY,
       owner VARCHAR(128) NOT NULL,
       resource_id BIGINT NOT NULL
     ) ENGINE=InnoDB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT 'databases Roster made for owned resources'`,
  );
}
