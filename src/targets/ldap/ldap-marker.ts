/**
 * What marks an entry as Roster's: a `description` value
 * `roster {"host":…,"owner":…,"uid":…}` (an account) or
 * `roster {"host":…,"group":…}` (a group). `description` is in person,
 * posixGroup and groupOfNames already, so no schema is needed, and an admin
 * sees it in any LDAP browser. An entry without it is someone else's and is
 * never changed; one whose marker names another host or account is refused.
 * The apply sends the marker as an LDAP assertion (RFC 4528) with every
 * modify and delete, so an entry that stopped being Roster's between plan
 * and apply is refused by the server itself.
 */

const PREFIX = 'roster ';

export interface AccountMarker {
  readonly host: string;
  readonly owner: string;
  readonly uid: number;
}

export interface GroupMarker {
  readonly host: string;
  readonly group: string;
}

export function renderAccountMarker(m: AccountMarker): string {
  return `${PREFIX}${JSON.stringify({ host: m.host, owner: m.owner, uid: m.uid })}`;
}

export function renderGroupMarker(m: GroupMarker): string {
  return `${PREFIX}${JSON.stringify({ host: m.host, group: m.group })}`;
}

function body(descriptions: readonly string[]): Record<string, unknown> | null {
  for (const d of descriptions) {
    if (!d.startsWith(PREFIX)) continue;
    try {
      const parsed: unknown = JSON.parse(d.slice(PREFIX.length));
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { host?: unknown }).host === 'string') return parsed as Record<string, unknown>;
    } catch {
      // Not ours: a description that happens to start with the word.
    }
  }
  return null;
}

/** The account marker among an entry's description values, or null. */
export function parseAccountMarker(descriptions: readonly string[]): AccountMarker | null {
  const m = body(descriptions);
  return m !== null && typeof m.owner === 'string' && typeof m.uid === 'number' ? { host: m.host as string, owner: m.owner, uid: m.uid } : null;
}

/** The group marker among an entry's description values, or null. */
export function parseGroupMarker(descriptions: readonly string[]): GroupMarker | null {
  const m = body(descriptions);
  return m !== null && typeof m.group === 'string' ? { host: m.host as string, group: m.group } : null;
}
