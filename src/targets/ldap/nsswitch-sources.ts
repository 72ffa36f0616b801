/**
 * The sources of one database in an nsswitch.conf (nsswitch.conf(5)):
 * `passwd: files ldap` gives `['files', 'ldap']`; `[NOTFOUND=return]`
 * actions are left out, and a missing line gives null (glibc then uses its
 * built-in default, which never includes ldap or sss).
 */
export function nsswitchSources(text: string, database: string): string[] | null {
  let found: string[] | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() !== database) continue;
    // glibc reads the first line for a database; later ones are ignored.
    found ??= line
      .slice(colon + 1)
      .replace(/\[[^\]]*\]/g, ' ')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '');
  }
  return found;
}
