import { readFile } from 'node:fs/promises';
import type { Connection } from 'mariadb';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { rootedPath } from '../../system/rooted-path.js';
import type { TargetContext } from '../target.js';
import type { MariadbConfig } from './mariadb-config.js';
import { serverAddress, type ServerAddress } from './server-address.js';

/** The admin account's address with its password, as the tools and the connector need them. */
export interface AdminLogin extends ServerAddress {
  /** Where it connects, for messages: the socket, else host:port. */
  readonly where: string;
}

/** The URL's address with the password from `passwordFile` (its first line) when one is configured. */
export async function adminLogin(ctx: Pick<TargetContext, 'root'>, config: Pick<MariadbConfig, 'url' | 'passwordFile'>): Promise<AdminLogin> {
  const address = serverAddress(config.url);
  // The schema checked the URL when roster.yaml was loaded.
  if (typeof address === 'string') throw new RosterError('bad_config', `hosts.<host>.targets.mariadb.url: ${address}`);
  const where = address.socket ?? `${address.host}:${address.port}`;
  if (config.passwordFile === undefined) return { ...address, where };
  let text: string;
  try {
    text = await readFile(rootedPath(ctx.root, config.passwordFile), 'utf8');
  } catch (e) {
    throw new RosterError('unavailable', `mariadb at ${where}: cannot read the password file ${config.passwordFile}: ${errorMessage(e)}`, [], { cause: e });
  }
  return { ...address, password: text.split('\n')[0] ?? '', where };
}

/**
 * A connection as the admin account. Numbers come back as numbers (thread
 * ids and byte counts fit in 2^53), and a server that does not answer is
 * `unavailable`, so the host is reported as such and nothing is planned.
 */
export async function openAdmin(login: AdminLogin): Promise<Connection> {
  // Loaded on first use: the connector is a large part of the bundle, and every roster command would otherwise pay for it at start.
  const { createConnection } = await import('mariadb');
  try {
    return await createConnection({
      user: login.user,
      ...(login.password === undefined ? {} : { password: login.password }),
      ...(login.socket === undefined ? { host: login.host, port: login.port } : { socketPath: login.socket }),
      connectTimeout: 10_000,
      bigIntAsNumber: true,
      decimalAsNumber: true,
    });
  } catch (e) {
    throw new RosterError('unavailable', `mariadb at ${login.where} as ${login.user}: ${errorMessage(e)}`, [], { cause: e });
  }
}

/** Runs `fn` with an admin connection and closes it, whatever happens. */
export async function withAdmin<T>(login: AdminLogin, fn: (c: Connection) => Promise<T>): Promise<T> {
  const c = await openAdmin(login);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The server's error number of a failed query (1396: the user exists …), or null for anything else. */
export function sqlErrno(e: unknown): number | null {
  return typeof e === 'object' && e !== null && 'errno' in e && typeof e.errno === 'number' ? e.errno : null;
}
