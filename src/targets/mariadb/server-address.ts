/** Where and as whom Roster reaches a MariaDB server, from `hosts.<h>.targets.mariadb.url`. */
export interface ServerAddress {
  readonly user: string;
  /** From the URL, when it carries one (a password file is the better place). */
  readonly password?: string;
  readonly host: string;
  readonly port: number;
  /** The Unix socket; when set, host and port are not used. */
  readonly socket?: string;
}

const DEFAULT_PORT = 3306;

/**
 * `mariadb://USER[:PASSWORD]@HOST[:PORT]/[?socket=PATH]` (or `mysql://`) as
 * a server address, or what is wrong with it. No database in the path: the
 * admin session works on many.
 */
export function serverAddress(text: string): ServerAddress | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be a URL such as mariadb://roster@localhost/?socket=/run/mysqld/mysqld.sock or mariadb://roster@127.0.0.1:3306/';
  }
  if (url.protocol !== 'mariadb:' && url.protocol !== 'mysql:') return `must start with mariadb:// (or mysql://), not ${url.protocol}//`;
  if (url.username === '') return 'must name the admin account before the host: mariadb://USER@HOST/';
  if (url.hostname === '') return 'must name a host (localhost when a socket is given)';
  if (url.pathname !== '' && url.pathname !== '/') return `must not name a database (${url.pathname.slice(1)}): Roster works on many`;
  if (url.hash !== '') return 'must not have a #fragment';
  const keys = [...url.searchParams.keys()];
  const unknown = keys.filter((k) => k !== 'socket');
  if (unknown.length > 0) return `unknown option ${unknown.join(', ')} (the only option is socket=PATH)`;
  const socket = url.searchParams.get('socket');
  if (socket !== null && !socket.startsWith('/')) return `socket must be an absolute path, got "${socket}"`;
  const user = decodeURIComponent(url.username);
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  // WHATWG URL keeps the brackets around an IPv6 literal; the socket layer wants the bare address.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { user, ...(password === undefined ? {} : { password }), host, port: url.port === '' ? DEFAULT_PORT : Number(url.port), ...(socket === null ? {} : { socket }) };
}
