import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { readTextIfExists } from '../../system/read-text-if-exists.js';

/** sssd.conf sections by name (`sssd`, `domain/LDAP`), each option by name. */
export type SssdConf = ReadonlyMap<string, ReadonlyMap<string, string>>;

/**
 * Parses sssd.conf text (sssd.conf(5): INI, `#` and `;` comments, option
 * names case-sensitive) into `into`, a later value of an option replacing an
 * earlier one, as SSSD merges conf.d snippets over the main file.
 */
export function parseSssdConf(text: string, into = new Map<string, Map<string, string>>()): Map<string, Map<string, string>> {
  let section: Map<string, string> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      const name = (header[1] ?? '').trim();
      section = into.get(name) ?? new Map<string, string>();
      into.set(name, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (section === null || eq < 0) continue;
    section.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return into;
}

/** Reads `<root>/etc/sssd/sssd.conf` and then `conf.d/*.conf` in name order; null when sssd.conf is missing. */
export async function readSssdConf(root: string): Promise<SssdConf | null> {
  const main = await readTextIfExists(posix.join(root, '/etc/sssd/sssd.conf'));
  if (main === null) return null;
  const conf = parseSssdConf(main);
  let snippets: string[] = [];
  try {
    snippets = (await readdir(posix.join(root, '/etc/sssd/conf.d'))).filter((n) => n.endsWith('.conf') && !n.startsWith('.')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  for (const name of snippets) parseSssdConf((await readTextIfExists(posix.join(root, '/etc/sssd/conf.d', name))) ?? '', conf);
  return conf;
}

/** A comma-separated option (`domains`, `ldap_access_order`) as its trimmed, non-empty items. */
export function sssdList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
