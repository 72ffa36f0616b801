/** What the doctor reads of an nslcd.conf (nslcd.conf(5)); nothing else of it, and never bindpw. */
export interface NslcdConf {
  readonly uris: readonly string[];
  /** `base DN` and `base MAP DN`, the DNs only. */
  readonly bases: readonly string[];
  readonly authzSearches: readonly string[];
  /** `map MAP ATTRIBUTE NEWATTRIBUTE` by `MAP ATTRIBUTE` (the map lower-cased), e.g. `shadow userPassword` → `userPassword`. */
  readonly maps: ReadonlyMap<string, string>;
}

const MAPS = new Set(['aliases', 'ethers', 'group', 'hosts', 'netgroup', 'networks', 'passwd', 'protocols', 'rpc', 'services', 'shadow']);

/** Parses nslcd.conf: one `keyword value` per line, `#` comments at the start of a line (a `#` inside a filter is data). */
export function parseNslcdConf(text: string): NslcdConf {
  const uris: string[] = [];
  const bases: string[] = [];
  const authzSearches: string[] = [];
  const maps = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const keyword = (m[1] ?? '').toLowerCase();
    const value = (m[2] ?? '').trim();
    if (keyword === 'uri') uris.push(...value.split(/\s+/));
    else if (keyword === 'base') {
      const [first, ...rest] = value.split(/\s+/);
      bases.push(first !== undefined && MAPS.has(first.toLowerCase()) && rest.length > 0 ? rest.join(' ') : value);
    } else if (keyword === 'pam_authz_search') authzSearches.push(value);
    else if (keyword === 'map') {
      const mm = /^(\S+)\s+(\S+)\s+(.+)$/.exec(value);
      if (mm !== null) maps.set(`${(mm[1] ?? '').toLowerCase()} ${mm[2] ?? ''}`, (mm[3] ?? '').trim());
    }
  }
  return { uris, bases, authzSearches, maps };
}

/** Whether a pam_authz_search filter tests authorizedService against the PAM service asked for. */
export function checksAuthorizedService(filter: string): boolean {
  return /authorizedService\s*=\s*\$(\{service\}|service\b)/i.test(filter);
}
