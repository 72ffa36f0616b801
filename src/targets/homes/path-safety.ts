import { lstatSync, mkdirSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { RosterError } from '../../domain/errors.js';

/**
 * Paths are handled as the host sees them (`/home/alice`) and touched under
 * the root prefix (`<root>/home/alice`), like `useradd -R`. Nothing here
 * follows a symbolic link: a home, or any directory above it inside the
 * root, that is a symlink is an error (DESIGN.md §7), because following one
 * would let whoever controls the link point Roster's chown, archive or
 * delete at /etc.
 */

export function underRoot(root: string, hostPath: string): string {
  return root === '/' ? hostPath : posix.join(root, hostPath);
}

export type PathState =
  | { readonly kind: 'missing' }
  | { readonly kind: 'directory'; readonly mode: number; readonly uid: number; readonly gid: number }
  | { readonly kind: 'symlink' }
  | { readonly kind: 'other' }
  | { readonly kind: 'unsafe'; readonly problem: string };

/** Why `home` may not be managed, or null: absolute, normalised, strictly inside one of `bases`. */
export function homeProblem(home: string, bases: readonly string[]): string | null {
  if (!posix.isAbsolute(home) || posix.normalize(home) !== home || home.endsWith('/')) return `home ${JSON.stringify(home)} is not a normalised absolute path`;
  if (!bases.some((b) => home.startsWith(`${b}/`))) return `home ${home} is outside the allowed bases (${bases.join(', ')})`;
  return null;
}

/** What a parent directory turned out to be, cached for one pass (`null` = a real directory). */
export type ParentCache = Map<string, string | null>;

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/**
 * lstat, with `undefined` for a path that does not exist: a first apply
 * looks at 100,000 homes that are not there yet, and an exception for each
 * (an Error with its stack) costs more than the system call.
 */
function lstatIfAny(path: string): Stats | undefined {
  return lstatSync(path, { throwIfNoEntry: false });
}

/**
 * Checks every directory between the root and `hostPath` (exclusive) with
 * lstat: `null` when all are real directories, 'missing' when one does not
 * exist yet (so neither does the path), else the problem.
 */
export function parentsState(root: string, hostPath: string, cache?: ParentCache): string | null {
  const parts = hostPath.split('/').filter((p) => p !== '');
  let prefix = '';
  for (const part of parts.slice(0, -1)) {
    prefix += `/${part}`;
    const known = cache?.get(prefix);
    let state: string | null;
    if (known !== undefined) state = known;
    else {
      const st = lstatIfAny(underRoot(root, prefix));
      state = st === undefined ? 'missing' : st.isSymbolicLink() ? `${prefix} is a symbolic link` : st.isDirectory() ? null : `${prefix} is not a directory`;
      cache?.set(prefix, state);
    }
    if (state !== null) return state;
  }
  return null;
}

/** lstat of `hostPath` under the root, after checking its parents. */
export function inspectPath(root: string, hostPath: string, cache?: ParentCache): PathState {
  const parents = parentsState(root, hostPath, cache);
  if (parents === 'missing') return { kind: 'missing' };
  if (parents !== null) return { kind: 'unsafe', problem: parents };
  const st = lstatIfAny(underRoot(root, hostPath));
  if (st === undefined) return { kind: 'missing' };
  if (st.isSymbolicLink()) return { kind: 'symlink' };
  if (!st.isDirectory()) return { kind: 'other' };
  return { kind: 'directory', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/**
 * Creates the missing directories of `hostPath` (root-owned, 0755), refusing
 * any existing component that is a symlink or not a directory. mkdir(2)
 * never follows a symlink at the last component, and each existing one is
 * checked with lstat before the next step goes below it. An existing one
 * (the base of every home) costs that one lstat, no failing mkdir.
 */
export function ensureDirectory(root: string, hostPath: string): void {
  const parts = hostPath.split('/').filter((p) => p !== '');
  let prefix = '';
  for (const part of parts) {
    prefix += `/${part}`;
    const path = underRoot(root, prefix);
    let st = lstatIfAny(path);
    if (st === undefined) {
      try {
        mkdirSync(path, { mode: 0o755 });
      } catch (e) {
        if (errnoOf(e) !== 'EEXIST') throw e;
      }
      st = lstatSync(path);
    }
    if (st.isSymbolicLink()) throw new RosterError('conflict', `${prefix} is a symbolic link`);
    if (!st.isDirectory()) throw new RosterError('conflict', `${prefix} is not a directory`);
  }
}
