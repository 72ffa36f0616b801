/**
 * The exact host names a config file serves (nginx `server_name`, Apache
 * `ServerName`/`ServerAlias`), lower-cased, to find a vhost whose name an
 * administrator's own file already answers for. Wildcards and regular
 * expressions are left out: both servers prefer an exact name over them, so
 * they do not take a name away from a member's vhost.
 */
export function serverNames(server: 'nginx' | 'apache', text: string): string[] {
  const lines = text.split('\n').map((l) => l.replace(/(^|\s)#.*$/, ''));
  const found: string[] = [];
  if (server === 'nginx') {
    for (const m of lines.join('\n').matchAll(/(?:^|[\s;{}])server_name\s+([^;]*);/g)) found.push(...(m[1] ?? '').split(/\s+/));
  } else {
    for (const line of lines) {
      const m = /^\s*Server(?:Name|Alias)\s+(.*)$/i.exec(line);
      // ServerName may be written as scheme://name:port.
      if (m !== null) found.push(...(m[1] ?? '').split(/\s+/).map((n) => n.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/:\d+$/, '')));
    }
  }
  // nginx's `.example.org` serves example.org itself as well as its subdomains.
  const exact = found.map((n) => n.replace(/^["']|["']$/g, '').replace(/^\./, '').toLowerCase()).filter((n) => n !== '' && !n.startsWith('~') && !n.includes('*'));
  return [...new Set(exact)];
}
