import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { RosterError } from '../../domain/errors.js';

/** One entry of a home, as archived and as checked after a restore. */
export interface ManifestEntry {
  /** `.` for the home itself, else `./a/b`. */
  readonly path: string;
  readonly type: 'directory' | 'file' | 'symlink' | 'other';
  /** Permission bits including setuid/setgid/sticky. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Regular files only. */
  readonly size?: number;
  readonly sha256?: string;
  /** Symlinks only: the link text (never followed). */
  readonly target?: string;
}

function typeOf(st: Stats): ManifestEntry['type'] {
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/**
 * Hashes a regular file opened with O_NOFOLLOW, and checks it is still the
 * inode lstat saw: a file swapped for a symlink or another file in between is
 * an error, never a hash of something outside the home.
 */
async function sha256Of(path: string, seen: Stats): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (st.ino !== seen.ino || st.dev !== seen.dev) throw new RosterError('conflict', `${path} changed while it was being read`);
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/**
 * Every entry under `dir` (which must be a real directory), in a stable
 * order, with type, mode, owner, and for files size and SHA-256. Symlinks are
 * recorded, never followed; the walk stays on `dir`'s file system, as the
 * archive does (`tar --one-file-system`).
 */
export async function homeManifest(dir: string): Promise<ManifestEntry[]> {
  const top = await lstat(dir);
  if (!top.isDirectory()) throw new RosterError('conflict', `${dir} is not a directory`);
  const entries: ManifestEntry[] = [];
  const visit = async (rel: string, st: Stats): Promise<void> => {
    const abs = rel === '.' ? dir : posix.join(dir, rel);
    const type = typeOf(st);
    const base = { path: rel === '.' ? '.' : `./${rel}`, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    if (type === 'file') entries.push({ ...base, size: st.size, sha256: await sha256Of(abs, st) });
    else if (type === 'symlink') entries.push({ ...base, target: await readlink(abs) });
    else entries.push(base);
    if (type !== 'directory' || st.dev !== top.dev) return;
    const names = (await readdir(abs)).sort();
    for (const name of names) {
      const childRel = rel === '.' ? name : `${rel}/${name}`;
      await visit(childRel, await lstat(posix.join(dir, childRel)));
    }
  };
  await visit('.', top);
  return entries;
}

/** Differences between two manifests, as readable lines (empty when identical). */
export function manifestDifferences(expected: readonly ManifestEntry[], actual: readonly ManifestEntry[]): string[] {
  const key = (e: ManifestEntry): string => JSON.stringify([e.type, e.mode, e.uid, e.gid, e.size ?? null, e.sha256 ?? null, e.target ?? null]);
  const have = new Map(actual.map((e) => [e.path, e]));
  const out: string[] = [];
  for (const e of expected) {
    const a = have.get(e.path);
    if (a === undefined) out.push(`${e.path}: missing`);
    else if (key(a) !== key(e)) out.push(`${e.path}: expected ${key(e)}, found ${key(a)}`);
    have.delete(e.path);
  }
  for (const path of have.keys()) out.push(`${path}: not in the archive`);
  return out;
}
