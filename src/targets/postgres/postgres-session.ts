import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { rootedPath } from '../../system/rooted-path.js';
import type { PostgresConfig } from './postgres-config.js';
import { postgresUrl, redactedUrl } from './postgres-url.js';

/**
 * pg is loaded when the target first connects, not when roster starts:
 * loading it touches Node's fetch globals (pg checks for Cloudflare's
 * runtime), which load undici, tens of milliseconds of every command,
 * PostgreSQL or not. The quoting below is pg's own (escapeIdentifier,
 * escapeLiteral, ported from libpq), written here so planning needs no pg.
 */
async function loadPg(): Promise<typeof pg> {
  return (await import('pg')).default;
}

/** Quotes an identifier (a role or database name) as PostgreSQL's quote_ident/format('%I') does: every name Roster writes into SQL goes through it. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Quotes a string literal (a COMMENT, a VALID UNTIL, an encoding): quotes and backslashes doubled, and an E'' string when there is a backslash. */
export function literal(text: string): string {
  const escaped = text.replace(/'/g, "''").replace(/\\/g, '\\\\');
  return text.includes('\\') ? ` E'${escaped}'` : `'${escaped}'`;
}

/**
 * The password of the configured role: the first line of `passwordFile`
 * (under the root), else whatever the url says. Kept out of roster.yaml,
 * which is readable by more people than root.
 */
export async function configuredPassword(root: string, config: PostgresConfig): Promise<string | undefined> {
  if (config.passwordFile === undefined) return undefined;
  try {
    const text = await readFile(rootedPath(root, config.passwordFile), 'utf8');
    return text.split('\n')[0] ?? '';
  } catch (e) {
    throw new RosterError('unavailable', `cannot read the postgres passwordFile ${config.passwordFile}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`, [], { cause: e });
  }
}

/** The url to connect as the configured role, with the password from `passwordFile` when there is one. */
export async function adminUrl(root: string, config: PostgresConfig): Promise<string> {
  const password = await configuredPassword(root, config);
  return password === undefined ? config.url : postgresUrl(config.url, { password });
}

/** A client for `url`; sessions run in UTC so VALID UNTIL reads and writes the same text. */
export async function newClient(url: string): Promise<pg.Client> {
  const { Client } = await loadPg();
  const client = new Client({ connectionString: url, application_name: 'roster', options: '-c TimeZone=UTC', connectionTimeoutMillis: 10_000 });
  // A session ended by the server (a terminated backend, a restart) emits
  // 'error' outside any query; the query in flight, if any, fails on its own.
  client.on('error', () => undefined);
  return client;
}

export interface AdminSession {
  readonly client: pg.Client;
  /** The role Roster connected as, and whether it is a superuser (else it must be a member of the roles it manages). */
  readonly user: string;
  readonly superuser: boolean;
  /** The server's major version (15 for 15.4). */
  readonly major: number;
  close(): Promise<void>;
}

/** Connects as the configured role; a server that cannot be reached makes the target unavailable (nothing is planned in part). */
export async function openAdminSession(root: string, config: PostgresConfig): Promise<AdminSession> {
  const client = await newClient(await adminUrl(root, config));
  try {
    await client.connect();
    const info = await client.query<{ user: string; superuser: boolean; version: string }>(
      "select current_user as user, (select rolsuper from pg_roles where rolname = current_user) as superuser, current_setting('server_version_num') as version",
    );
    const row = info.rows[0];
    if (row === undefined) throw new Error('no answer to select current_user');
    return { client, user: row.user, superuser: row.superuser, major: Math.floor(Number(row.version) / 10_000), close: () => client.end().catch(() => undefined) };
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new RosterError('unavailable', `cannot connect to PostgreSQL at ${redactedUrl(config.url)}: ${errorMessage(e)}`, [], { cause: e });
  }
}
