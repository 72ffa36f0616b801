import { RosterError } from '../../domain/errors.js';

/**
 * Connection URLs, as both node-postgres and libpq (pg_dump, pg_restore)
 * read them: `postgres://user:password@host:port/database?host=/socket/dir`.
 * Roster rewrites only the user, password and database of the configured
 * URL, at the text level, so whatever else it says (a socket dir, sslmode)
 * reaches both clients unchanged.
 */

const URL_SHAPE = /^(postgres(?:ql)?:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?$/;

interface Parts {
  readonly scheme: string;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly hostPort: string;
  readonly path: string;
  readonly query: string;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RosterError('bad_config', `the postgres url has a malformed %-escape in "${text}"`);
  }
}

function split(url: string): Parts {
  const m = URL_SHAPE.exec(url);
  if (m === null) throw new RosterError('bad_config', 'the postgres url must look like postgres://user@host:port/database (without a #fragment)');
  const [, scheme = '', authority = '', path = '', query = ''] = m;
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : authority.slice(0, at);
  const hostPort = at < 0 ? authority : authority.slice(at + 1);
  const colon = userinfo?.indexOf(':') ?? -1;
  const user = userinfo === undefined ? undefined : decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = userinfo === undefined || colon < 0 ? undefined : decode(userinfo.slice(colon + 1));
  return { scheme, user: user === '' ? undefined : user, password, hostPort, path, query };
}

function join(p: Parts): string {
  const userinfo = p.user === undefined ? '' : `${encodeURIComponent(p.user)}${p.password === undefined ? '' : `:${encodeURIComponent(p.password)}`}@`;
  return `${p.scheme}${userinfo}${p.hostPort}${p.path}${p.query}`;
}

/** Why `url` is not a postgres URL Roster can use, or null. */
export function urlProblem(url: string): string | null {
  try {
    split(url);
    return null;
  } catch (e) {
    return e instanceof RosterError ? e.message : String(e);
  }
}

export interface UrlChange {
  /** Replaces the user (and drops the URL's password, which was the other user's). */
  readonly user?: string;
  /** Replaces the password; `null` removes it. */
  readonly password?: string | null;
  readonly database?: string;
}

/** The URL with its user, password or database replaced. */
export function postgresUrl(url: string, change: UrlChange): string {
  const p = split(url);
  const user = change.user ?? p.user;
  const password = change.password === null ? undefined : (change.password ?? (change.user === undefined ? p.password : undefined));
  const path = change.database === undefined ? p.path : `/${encodeURIComponent(change.database)}`;
  return join({ ...p, user, password, path });
}

/** The user the URL connects as, if it names one. */
export function urlUser(url: string): string | undefined {
  return split(url).user;
}

/** The password written in the URL, if any. */
export function urlPassword(url: string): string | undefined {
  return split(url).password;
}

/** The URL for messages and logs: its password, if any, replaced by `***`. */
export function redactedUrl(url: string): string {
  try {
    const p = split(url);
    return join({ ...p, password: p.password === undefined ? undefined : '***' });
  } catch {
    return '(an unreadable url)';
  }
}
