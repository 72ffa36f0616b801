import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RosterError } from '../../domain/errors.js';
import { SEARCHES_BEFORE_INDEX } from './etc-table.js';
import { replaceFile } from './replace-file.js';

/**
 * What Roster owns in the four files: the names of the users and groups
 * (continuation groups included) whose lines it wrote. Only these are ever
 * rewritten or removed; a line with a desired name that is not in here is a
 * collision, never silently adopted (DESIGN.md §4). Kept beside the root's
 * own state so the root stays self-contained, like `useradd -R`.
 */
export interface OwnedState {
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

export const OWNED_STATE_PATH = 'var/lib/roster/unix-owned.json';

export const emptyOwnedState: OwnedState = { users: [], groups: [] };

export function ownedStatePath(root: string): string {
  return join(root, OWNED_STATE_PATH);
}

export async function readOwnedState(root: string): Promise<OwnedState> {
  const path = ownedStatePath(root);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyOwnedState;
    throw e;
  }
  return OwnedStateFile.ifCanonical(bytes, path) ?? parseOwnedState(bytes.toString('utf8'), path);
}

function parseOwnedState(text: string, path: string): OwnedState {
  const problem = (what: string): RosterError =>
    new RosterError('bad_input', `${path}: ${what}; Roster cannot tell which passwd/group lines it owns (restore it from ${path}- or remove it to own nothing)`, [{ where: path, message: what }]);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw problem('not valid JSON');
  }
  if (typeof data !== 'object' || data === null) throw problem('not an object');
  const { version, users, groups } = data as Record<string, unknown>;
  if (version !== 1) throw problem(`unknown version ${JSON.stringify(version)}`);
  const names = (v: unknown, key: string): readonly string[] => {
    if (!Array.isArray(v) || !v.every((n): n is string => typeof n === 'string')) throw problem(`"${key}" is not a list of names`);
    return v;
  };
  return { users: names(users, 'users'), groups: names(groups, 'groups') };
}

const NEWLINE = Buffer.from('\n');
const USERS_AT = '{"version":1,"users":[';
const GROUPS_AT = '],"groups":[';
const END = ']}\n';

/**
 * The ownership file as `writeOwnedState` writes it, parsed on first use of
 * `users` or `groups`: a freeze among 100,000 accounts asks whether it owns
 * one user, which a substring search of the text answers without building
 * 200,000 strings. A file of any other shape is parsed (and checked) at once.
 */
export class OwnedStateFile implements OwnedState {
  /** The file as read: searched as bytes, decoded only to be parsed. */
  readonly #bytes: Buffer;
  readonly #path: string;
  readonly #groupsAt: number;
  #parsed: OwnedState | undefined;
  #sets: { readonly users: ReadonlySet<string>; readonly groups: ReadonlySet<string> } | undefined;
  #searches = 0;
  /** Single names already searched for (plan and apply ask again). */
  readonly #answers = new Map<string, boolean>();

  private constructor(bytes: Buffer, path: string, groupsAt: number) {
    this.#bytes = bytes;
    this.#path = path;
    this.#groupsAt = groupsAt;
  }

  static ifCanonical(bytes: Buffer, path: string): OwnedStateFile | null {
    const groupsAt = bytes.indexOf(GROUPS_AT);
    const starts = bytes.subarray(0, USERS_AT.length).toString('latin1') === USERS_AT;
    const ends = bytes.subarray(bytes.length - END.length).toString('latin1') === END;
    if (!starts || !ends || groupsAt < 0 || bytes.indexOf(GROUPS_AT, groupsAt + 1) >= 0) return null;
    return new OwnedStateFile(bytes, path, groupsAt);
  }

  #parse(): OwnedState {
    this.#parsed ??= parseOwnedState(this.#bytes.toString('utf8'), this.#path);
    return this.#parsed;
  }

  get users(): readonly string[] {
    return this.#parse().users;
  }

  get groups(): readonly string[] {
    return this.#parse().groups;
  }

  ownsUser(name: string): boolean {
    return this.#owns(name, 'users', USERS_AT.length - 1, this.#groupsAt + 1);
  }

  ownsGroup(name: string): boolean {
    return this.#owns(name, 'groups', this.#groupsAt + GROUPS_AT.length - 1, this.#bytes.length - END.length + 1);
  }

  /** Owned group names starting with `prefix`, found in the text. */
  groupsStartingWith(prefix: string): string[] {
    if (this.#parsed !== undefined) return this.#parsed.groups.filter((n) => n.startsWith(prefix));
    const token = Buffer.from(JSON.stringify(prefix).slice(0, -1));
    const found: string[] = [];
    const end = this.#bytes.length - END.length;
    for (let i = this.#bytes.indexOf(token, this.#groupsAt); i >= 0 && i < end; i = this.#bytes.indexOf(token, i + 1)) {
      const before = this.#bytes[i - 1];
      if (before !== 0x5b && before !== 0x2c) continue;
      const close = this.#bytes.indexOf(0x22, i + token.length);
      found.push(JSON.parse(this.#bytes.toString('utf8', i, close + 1)) as string);
    }
    return found;
  }

  /** Whether `name` is in the list between `from` (its `[`) and `to` (one past its `]`). */
  #owns(name: string, list: 'users' | 'groups', from: number, to: number): boolean {
    if (this.#sets === undefined && !this.#answers.has(`${list}\0${name}`) && ++this.#searches > SEARCHES_BEFORE_INDEX) {
      const parsed = this.#parse();
      this.#sets = { users: new Set(parsed.users), groups: new Set(parsed.groups) };
    }
    if (this.#sets !== undefined) return this.#sets[list].has(name);
    const key = `${list}\0${name}`;
    let owned = this.#answers.get(key);
    if (owned === undefined) {
      owned = this.#search(name, from, to);
      this.#answers.set(key, owned);
    }
    return owned;
  }

  #search(name: string, from: number, to: number): boolean {
    const token = Buffer.from(JSON.stringify(name));
    for (let i = this.#bytes.indexOf(token, from); i >= 0 && i < to; i = this.#bytes.indexOf(token, i + 1)) {
      const before = this.#bytes[i - 1];
      const after = this.#bytes[i + token.length];
      // '[' or ',' before, ',' or ']' after.
      if ((before === 0x5b || before === 0x2c) && (after === 0x2c || after === 0x5d)) return true;
    }
    return false;
  }
}

/** Written atomically (temp, fsync, rename, fsync dir), readable by root only, with the previous version kept as `-`. */
export async function writeOwnedState(root: string, state: OwnedState): Promise<void> {
  const path = ownedStatePath(root);
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const body = JSON.stringify({ version: 1, users: sorted(state.users), groups: sorted(state.groups) });
  // The newline as a piece of its own: `${body}\n` would be a second string of 2.6 MB (200,000 names), copied whole to be encoded.
  await replaceFile(path, [Buffer.from(body, 'utf8'), NEWLINE], { fallback: { mode: 0o600, uid: 0, gid: 0 }, backup: true });
}

/** The names in code-unit order; a list already in order (as a plan of sorted accounts claims them) is taken as it is. */
function sorted(names: readonly string[]): readonly string[] {
  for (let i = 1; i < names.length; i++) if ((names[i] ?? '') < (names[i - 1] ?? '')) return [...names].sort();
  return names;
}
