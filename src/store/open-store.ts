import { parseDatabaseUrl } from './database-url.js';
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
  // Load only the driver in use: every CLI start pays for what it imports.
  if (location.dialect === 'postgres') return (await import('./postgres-store.js')).openPostgresStore(location.url, { busyTimeoutMs });
  return (await import('./sqlite-store.js')).openSqliteStore(location.path, { busyTimeoutMs });
}
