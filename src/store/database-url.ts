import { RosterError } from '../domain/errors.js';

/** Where a store lives: a SQLite file (or `:memory:`) or a PostgreSQL connection URL. */
export type DatabaseLocation =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly url: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * Reads `--db` / `DATABASE_URL`: `postgres://` and `postgresql://` are
 * PostgreSQL; `sqlite:PATH`, `sqlite://PATH` and a bare path are SQLite. Any
 * other scheme is refused rather than taken for a file name, so a typo such as
 * `postgress://…` never silently creates a SQLite file called that.
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  const trimmed = url.trim();
  if (trimmed === '') throw new RosterError('bad_config', 'the database location is empty');
  const scheme = SCHEME.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { dialect: 'postgres', url: trimmed };
  if (scheme === 'sqlite') {
    const rest = trimmed.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new RosterError('bad_config', `the database URL ${trimmed} names no file`);
    return { dialect: 'sqlite', path };
  }
  // `C:` style drive letters are one character; real schemes used here are longer.
  if (scheme !== undefined && scheme.length > 1 && trimmed.slice(scheme.length + 1).startsWith('//')) {
    throw new RosterError('bad_config', `unsupported database URL scheme "${scheme}:" (use a SQLite file path, sqlite:PATH or postgres://…)`);
  }
  return { dialect: 'sqlite', path: trimmed };
}

/**
 * The database location as it may appear in logs and output: the password of
 * a URL (user-info or a `password=` query parameter) is replaced by `***`.
 */
export function describeDatabase(url: string): string {
  const trimmed = url.trim();
  const scheme = SCHEME.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined || !trimmed.slice(scheme.length + 1).startsWith('//')) return trimmed;
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    // Unparseable: still never print what could be a password.
    return trimmed.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
  }
  if (parsed.password !== '') parsed.password = '***';
  for (const key of [...parsed.searchParams.keys()]) {
    if (/^(password|passwd|pass|sslpassword)$/i.test(key)) parsed.searchParams.set(key, '***');
  }
  // URL encodes `*`; keep the mask readable.
  return parsed.toString().replaceAll('%2A%2A%2A', '***');
}
