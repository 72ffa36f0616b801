import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A file's permission bits and owner. */
export interface FileOwnership {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface AtomicWriteOptions {
  /** Mode of a new file; an existing file keeps its own (DESIGN.md §7 "keep mode and owner"). */
  readonly mode?: number;
  /** The mode and owner the file gets whatever is there now: to put back a file exactly as it was before an edit. */
  readonly ownership?: FileOwnership;
}

/**
 * Replaces `path` with `content` so that a crash at any point leaves either
 * the old or the new file, never a torn one (DESIGN.md §7): write a temp file
 * beside it, fsync it, give it the old file's mode and owner, rename it over
 * the old one, then fsync the directory so the rename itself is durable.
 * A symlink at `path` is replaced, never followed.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const keep = options.ownership ?? (await regularFileOwnership(path));
  const mode = keep === null ? (options.mode ?? 0o644) : keep.mode;
  const temp = join(dir, `.${basename(path)}.roster-${process.pid}-${randomBytes(6).toString('hex')}`);
  // 'wx': the temp name must be new, so a planted file or symlink there is never written through.
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    if (keep !== null) await handle.chown(keep.uid, keep.gid);
    // chmod after chown: chown clears setuid/setgid bits.
    await handle.chmod(mode);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await rm(temp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  await syncDirectory(dir);
}

/** The mode and owner of the regular file at `path`; null if there is none (or a symlink, a directory...). */
async function regularFileOwnership(path: string): Promise<FileOwnership | null> {
  const old = await lstat(path).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  });
  return old !== null && old.isFile() ? { mode: old.mode & 0o7777, uid: old.uid, gid: old.gid } : null;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
