import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RosterError } from '../../domain/errors.js';
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
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyOwnedState;
    throw e;
  }
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

export function sameOwnedState(a: OwnedState, b: OwnedState): boolean {
  const same = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((n, i) => n === y[i]);
  return same([...a.users].sort(), [...b.users].sort()) && same([...a.groups].sort(), [...b.groups].sort());
}

/** Written atomically (temp, fsync, rename, fsync dir), readable by root only, with the previous version kept as `-`. */
export async function writeOwnedState(root: string, state: OwnedState): Promise<void> {
  const path = ownedStatePath(root);
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const body = `${JSON.stringify({ version: 1, users: [...state.users].sort(), groups: [...state.groups].sort() })}\n`;
  await replaceFile(path, Buffer.from(body, 'utf8'), { fallback: { mode: 0o600, uid: 0, gid: 0 }, backup: true });
}
