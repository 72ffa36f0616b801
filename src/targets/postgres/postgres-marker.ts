/**
 * What marks a role or database as Roster's: its COMMENT is a JSON object
 * `{"roster": {...}}` naming the host whose roster.yaml manages it, the
 * owning account (username and UID) and, for a database, the resource id.
 * Anything without such a comment is someone else's and is never altered
 * (issue 12: "Unmanaged roles … are never touched"). A frozen role's marker
 * also keeps what the freeze found (LOGIN or not, VALID UNTIL), so the
 * unfreeze restores exactly that and nothing Roster did not write.
 */

/** What a freeze found on the role and the unfreeze puts back. */
export interface FrozenRecord {
  readonly canLogin: boolean;
  /** `rolvaliduntil` as text in UTC (`2030-01-01 00:00:00+00`, `infinity`), or null when unset. */
  readonly validUntil: string | null;
}

export interface RoleMarker {
  readonly host: string;
  readonly owner: string;
  readonly uid: number;
  readonly login: 'peer' | 'password';
  /** Present while the role is frozen by Roster. */
  readonly frozen?: FrozenRecord;
}

export interface DatabaseMarker {
  readonly host: string;
  readonly owner: string;
  readonly uid: number;
  readonly resource: number;
  /** Set while a restore runs: a database left so by a crash is restored again, not taken as complete. */
  readonly restoring?: true;
}

function body(comment: string | null): Record<string, unknown> | null {
  if (comment === null || !comment.startsWith('{')) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(comment);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const inner = (parsed as { roster?: unknown }).roster;
  if (typeof inner !== 'object' || inner === null) return null;
  const m = inner as Record<string, unknown>;
  return typeof m.host === 'string' && typeof m.owner === 'string' && typeof m.uid === 'number' ? m : null;
}

function frozenOf(value: unknown): FrozenRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const f = value as Record<string, unknown>;
  if (typeof f.canLogin !== 'boolean' || !(f.validUntil === null || typeof f.validUntil === 'string')) return undefined;
  return { canLogin: f.canLogin, validUntil: f.validUntil };
}

export function parseRoleMarker(comment: string | null): RoleMarker | null {
  const m = body(comment);
  if (m === null) return null;
  const login = m.login === 'password' ? 'password' : 'peer';
  const frozen = frozenOf(m.frozen);
  return { host: m.host as string, owner: m.owner as string, uid: m.uid as number, login, ...(frozen === undefined ? {} : { frozen }) };
}

export function parseDatabaseMarker(comment: string | null): DatabaseMarker | null {
  const m = body(comment);
  if (m === null || typeof m.resource !== 'number') return null;
  return { host: m.host as string, owner: m.owner as string, uid: m.uid as number, resource: m.resource, ...(m.restoring === true ? { restoring: true as const } : {}) };
}

export function renderRoleMarker(m: RoleMarker): string {
  return JSON.stringify({ roster: { host: m.host, owner: m.owner, uid: m.uid, login: m.login, ...(m.frozen === undefined ? {} : { frozen: { canLogin: m.frozen.canLogin, validUntil: m.frozen.validUntil } }) } });
}

export function renderDatabaseMarker(m: DatabaseMarker): string {
  return JSON.stringify({ roster: { host: m.host, owner: m.owner, uid: m.uid, resource: m.resource, ...(m.restoring === true ? { restoring: true } : {}) } });
}
