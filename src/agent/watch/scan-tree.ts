import { createHash, createHmac } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { anyMatches, type GlobPattern } from '../../domain/glob-pattern.js';
import { sha256, type ObjectStore } from './object-store.js';
import type { TreeEntry } from './tree-entry.js';

/** Names of uids and gids as the watched system has them. */
export interface IdNames {
  user(uid: number): string;
  group(gid: number): string;
}

/** The `name:x:id:` lines of `<root>/etc/passwd` and `group`; unknown ids are shown as numbers. */
export function idNames(root: string): IdNames {
  const read = (file: string): Map<number, string> => {
    const map = new Map<number, string>();
    let text: string;
    try {
      text = readFileSync(posix.join(root, 'etc', file), 'utf8');
    } catch {
      return map;
    }
    for (const line of text.split('\n')) {
      const [name, , id] = line.split(':', 3);
      if (name !== undefined && name !== '' && id !== undefined && /^\d+$/.test(id) && !map.has(Number(id))) map.set(Number(id), name);
    }
    return map;
  };
  const users = read('passwd');
  const groups = read('group');
  return { user: (uid) => users.get(uid) ?? String(uid), group: (gid) => groups.get(gid) ?? String(gid) };
}

export interface ScanOptions {
  /** The resolved root prefix (`/` on a real host). */
  readonly root: string;
  /** Absolute directories as on the host. */
  readonly dirs: readonly string[];
  readonly exclude: readonly GlobPattern[];
  readonly secrets: readonly GlobPattern[];
  /** Regular files without the other-read bit are secrets too. */
  readonly privateFilesSecret: boolean;
  readonly maxFileBytes: number;
  /** Host paths never entered: the watch directory itself, should a watched directory hold it. */
  readonly skip: readonly string[];
  /** The entries of the last snapshot: an unchanged stat reuses their hash. */
  readonly previous: ReadonlyMap<string, TreeEntry> | null;
  /**
   * The names in each directory of the last snapshot, when it was taken with
   * the same exclusions: a directory whose stat did not change (no entry
   * added, removed or renamed) is not read again (git's untracked cache).
   */
  readonly previousChildren: ReadonlyMap<string, readonly string[]> | null;
  readonly objects: ObjectStore;
  /** Keys the hash of secrets. */
  readonly secretKey: Buffer;
  readonly names: IdNames;
  /** Wall-clock milliseconds now, for the racy check (file times are wall-clock, whatever the injected clock says). */
  readonly wallNow: number;
}

export interface ScanResult {
  /** Sorted by path. */
  readonly entries: TreeEntry[];
  /** Files read and hashed (the rest came from the stat cache). */
  readonly hashed: number;
  /** Entries not taken as they were from the last snapshot (their stat moved, or they are new): its manifest is worth rewriting when nothing else changed. */
  readonly refreshed: number;
  /** Paths that could not be read (listed, with why). */
  readonly problems: ReadonlyArray<{ readonly path: string; readonly message: string }>;
}

const CHUNK = 1024 * 1024;

/** The hex digest of a file read in chunks of 1 MiB, its content never held whole. */
function hashFile(path: string, hash: { update(data: Uint8Array): unknown; digest(encoding: 'hex'): string }): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Changes within this long of the scan may be followed by another in the same clock tick: not cached. */
const RACY_MS = 2_000;

function typeOf(st: Stats): TreeEntry['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/**
 * Walks the watched directories under the root without following symlinks
 * and records every entry (TreeEntry). Synchronous on purpose: a turn over
 * an /etc of 2,000 files is 2,000 lstat calls, several times faster one
 * after the other than through the thread pool, and nothing else runs
 * meanwhile. Only files whose inode, size, mtime or ctime changed since the
 * last snapshot are read again; their content goes into the object store
 * (not for secrets, large or unreadable files).
 */
export function scanTree(o: ScanOptions): ScanResult {
  const entries: TreeEntry[] = [];
  const problems: Array<{ path: string; message: string }> = [];
  let hashed = 0;
  let refreshed = 0;
  const skip = new Set(o.skip);
  const prefix = o.root === '/' ? '' : o.root.replace(/\/+$/, '');

  const record = (path: string, st: Stats): TreeEntry['type'] => {
    const type = typeOf(st);
    const stat = o.wallNow - Math.max(st.mtimeMs, st.ctimeMs) < RACY_MS ? '' : `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const owner = o.names.user(st.uid);
    const group = o.names.group(st.gid);
    const before = o.previous?.get(path);
    const secret = type === 'file' && ((o.privateFilesSecret && (st.mode & 0o004) === 0) || anyMatches(o.secrets, path));
    // The same stat (ctime moves with every write, chmod, chown and rename) and the same treatment: the entry as it was,
    // content, mode, owner and symlink target included, without reading anything.
    if (stat !== '' && before !== undefined && before.stat === stat && before.type === type && before.owner === owner && before.group === group && before.withheld !== 'unreadable' && (before.withheld === 'secret') === secret) {
      entries.push(before);
      return type;
    }
    refreshed++;
    const base = { path, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, owner, group, size: type === 'dir' ? 0 : st.size };
    const fsPath = prefix + path;
    if (type === 'symlink') {
      let target = '';
      try {
        target = readlinkSync(fsPath);
      } catch (e) {
        problems.push({ path, message: (e as Error).message });
      }
      entries.push({ ...base, hash: null, target, stat });
      return type;
    }
    if (type !== 'file') {
      entries.push({ ...base, hash: null, stat });
      return type;
    }
    const unreadable = (e: unknown): TreeEntry['type'] => {
      problems.push({ path, message: (e as Error).message });
      entries.push({ ...base, hash: null, withheld: 'unreadable', stat: `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` });
      return type;
    };
    // Secrets and large files are hashed in chunks: never held whole in memory, never stored.
    if (secret || st.size > o.maxFileBytes) {
      let digest: string;
      try {
        digest = hashFile(fsPath, secret ? createHmac('sha256', o.secretKey) : createHash('sha256'));
      } catch (e) {
        return unreadable(e);
      }
      hashed++;
      entries.push(secret ? { ...base, hash: `hmac:${digest}`, withheld: 'secret', stat } : { ...base, hash: digest, withheld: 'large', stat });
      return type;
    }
    let content: Buffer;
    try {
      content = readFileSync(fsPath);
    } catch (e) {
      return unreadable(e);
    }
    hashed++;
    const hash = sha256(content);
    if (content.length > o.maxFileBytes) {
      // Grown between lstat and read.
      entries.push({ ...base, hash, withheld: 'large', stat });
      return type;
    }
    o.objects.put(hash, content);
    entries.push({ ...base, hash, stat });
    return type;
  };

  const walk = (dir: string, dirStat: string): void => {
    let names: readonly string[] | undefined;
    const before = o.previous?.get(dir);
    // The same directory with the same entries: the names it had (excluded ones were left out then too).
    if (dirStat !== '' && before?.type === 'dir' && before.stat === dirStat) names = o.previousChildren?.get(dir);
    const cached = names !== undefined;
    if (names === undefined) {
      try {
        names = readdirSync(prefix + dir).sort();
      } catch (e) {
        problems.push({ path: dir, message: (e as Error).message });
        return;
      }
    }
    for (const name of names) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (!cached && (skip.has(path) || anyMatches(o.exclude, path))) continue;
      let st: Stats;
      try {
        st = lstatSync(prefix + path);
      } catch (e) {
        // Gone between readdir and lstat: the next turn sees it as removed.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ path, message: (e as Error).message });
        continue;
      }
      if (record(path, st) === 'dir') walk(path, entries[entries.length - 1]?.stat ?? '');
    }
  };

  for (const dir of o.dirs) {
    if (o.skip.some((s) => dir === s || dir.startsWith(`${s}/`))) continue;
    let st: Stats;
    try {
      st = lstatSync(prefix + dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ path: dir, message: (e as Error).message });
      continue;
    }
    if (record(dir, st) === 'dir') walk(dir, entries[entries.length - 1]?.stat ?? '');
  }
  // Overlapping directories (/etc and /etc/nginx) list an entry once.
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const unique = entries.filter((e, i) => i === 0 || entries[i - 1]?.path !== e.path);
  return { entries: unique, hashed, refreshed, problems };
}
