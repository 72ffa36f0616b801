import { parseDatabaseUrl } from './database-url.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /**
   * How long a transaction waits for another writer before failing with
   * `lock_timeout`: SQLite busy_timeout, PostgreSQL lock_timeout. Default 15 s.
   */
  readonly busyTimeoutMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 15_000;

/**
 * Opens the store at `url` and brings its schema up to date: a file path,
 * `sqlite:PATH` or `:memory:` is SQLite; `postgres://` or `postgresql://` is
 * PostgreSQL. An unreachable database is RosterError('unavailable') naming
 * it (password hidden); an unsupported URL is 'bad_config'.
 */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const location = parseDatabaseUrl(url);
  return location.dialect === 'postgres' ? openPostgresStore(location.url, { busyTimeoutMs }) : openSqliteStore(location.path, { busyTimeoutMs });
}
