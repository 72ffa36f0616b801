/**
 * One file, directory or symlink of a watched tree as a snapshot records it
 * (etckeeper's metadata: mode, owner and group besides the content).
 */
export interface TreeEntry {
  /** As on the host (`/etc/passwd`), whatever the root prefix. */
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits with setuid, setgid and sticky (`mode & 0o7777`). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Names from the watched system's own passwd and group, else the number. */
  readonly owner: string;
  readonly group: string;
  readonly size: number;
  /**
   * Files: the SHA-256 of the content in hex, which names its object; a
   * secret's is `hmac:` and a keyed hash (the key stays in the watch
   * directory), so that even a weak secret cannot be guessed from it.
   * Null for directories, symlinks, other types and unreadable files.
   */
  readonly hash: string | null;
  readonly target?: string;
  /** Why the content is not kept for diffs, when it is not. */
  readonly withheld?: 'secret' | 'large' | 'unreadable';
  /**
   * inode, size, mtime and ctime when it was read: unchanged, the next turn
   * takes the hash from here instead of reading the file (git's index).
   * Empty when the file was modified too recently to trust (git's "racy" case).
   */
  readonly stat: string;
}

/** Whether two entries of the same path differ in anything a report shows. */
export function entryChanged(a: TreeEntry, b: TreeEntry): boolean {
  return a.type !== b.type || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || contentChanged(a, b) || a.target !== b.target;
}

/** Whether the content differs (for files whose content could not be read: their stat). */
export function contentChanged(a: TreeEntry, b: TreeEntry): boolean {
  if (a.type !== 'file' || b.type !== 'file') return a.type !== b.type || a.target !== b.target;
  if (a.hash === null || b.hash === null) return a.hash !== b.hash || a.size !== b.size || a.stat !== b.stat;
  return a.hash !== b.hash;
}

/** The entries by path. */
export function entryMap(entries: readonly TreeEntry[]): Map<string, TreeEntry> {
  const map = new Map<string, TreeEntry>();
  for (const e of entries) map.set(e.path, e);
  return map;
}
