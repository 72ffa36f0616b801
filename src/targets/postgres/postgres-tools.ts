import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { posix } from 'node:path';
import { RosterError } from '../../domain/errors.js';
import type { PostgresConfig } from './postgres-config.js';
import { postgresUrl, urlPassword } from './postgres-url.js';

const INSTALLED = '/usr/lib/postgresql';

/**
 * Where pg_dump and pg_restore are: the configured dir, else the newest
 * major version Debian installed side by side (pg_dump refuses a server
 * newer than itself, and the newest reads every older one), else the PATH.
 */
export function toolPath(config: Pick<PostgresConfig, 'binDir'>, tool: 'pg_dump' | 'pg_restore'): string {
  if (config.binDir !== undefined) return posix.join(config.binDir, tool);
  const majors = existsSync(INSTALLED) ? readdirSync(INSTALLED).filter((v) => /^\d+$/.test(v) && existsSync(posix.join(INSTALLED, v, 'bin', tool))) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? tool : posix.join(INSTALLED, newest, 'bin', tool);
}

/**
 * The tools' environment: the password goes in PGPASSWORD, never on the
 * command line (where `ps` shows it), and no PG* variable of Roster's own
 * environment may point them at another server.
 */
function toolEnv(password: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LC_ALL: 'C', PGAPPNAME: 'roster', PGCONNECT_TIMEOUT: '10' };
  for (const key of ['PATH', 'HOME'] as const) if (process.env[key] !== undefined) env[key] = process.env[key];
  if (password !== undefined) env.PGPASSWORD = password;
  return env;
}

function run(argv: readonly string[], password: string | undefined): Promise<void> {
  const [program = '', ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(program, args, { env: toolEnv(password), timeout: 6 * 60 * 60 * 1000, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error === null) return resolve();
      const said = stderr.trim().split('\n').filter((l) => l.trim() !== '').slice(-4).join('; ');
      const code: unknown = (error as { code?: unknown }).code;
      const how = typeof code === 'number' ? `exit ${code}` : code === 'ENOENT' ? 'not found (install postgresql-client, or set binDir)' : error.message;
      reject(new RosterError('conflict', `${posix.basename(program)} of ${argv.at(-1) ?? ''}: ${how}${said === '' ? '' : `: ${said}`}`));
    });
  });
}

/** The URL (without its password) for a tool to reach `database` as the configured role. */
function databaseUrl(url: string, database: string): { readonly url: string; readonly password: string | undefined } {
  return { url: postgresUrl(url, { database, password: null }), password: urlPassword(url) };
}

/**
 * `pg_dump --format=custom` of one database into `file`: a consistent
 * snapshot of everything in it (tables, functions, grants, comments),
 * restorable with pg_restore into an empty database.
 */
export async function dumpDatabase(config: PostgresConfig, adminUrl: string, database: string, file: string): Promise<void> {
  const { url, password } = databaseUrl(adminUrl, database);
  await run([toolPath(config, 'pg_dump'), '--format=custom', '--no-password', `--file=${file}`, `--dbname=${url}`], password);
}

/**
 * `pg_restore` of a dump into the (new, empty) database, all or nothing
 * (one transaction, stop at the first error). Every object is created as
 * the owning role (`--role`, `--no-owner`), so the restored database
 * belongs to the account whoever owned its objects in the dump.
 */
export async function restoreDatabase(config: PostgresConfig, adminUrl: string, database: string, role: string, file: string): Promise<void> {
  const { url, password } = databaseUrl(adminUrl, database);
  await run([toolPath(config, 'pg_restore'), '--no-password', '--single-transaction', '--exit-on-error', '--no-owner', `--role=${role}`, `--dbname=${url}`, file], password);
}
