import { constants } from 'node:fs';
import { link, lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RosterError } from '../../domain/errors.js';

/**
 * A file's new bytes: a buffer, pieces written one after the other, or a
 * function giving the pieces as they are written — each piece is written
 * whole before the next is asked for, so a producer may reuse its buffer.
 */
export type FileContent = Buffer | readonly Buffer[] | (() => Iterable<Buffer>);

export interface FileOwnership {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Replaces `path` the way shadow-utils' commonio_close does (DESIGN.md §7):
 * write `<file>+` with the old file's mode and owner (`fallback`'s for a new
 * file, asked only then), fsync it, keep the old
 * version as `<file>-`, rename `<file>+` over the file, then fsync the
 * directory so the rename itself survives a power cut. At every instant the
 * name points at a complete old or complete new file, never a torn one; a
 * crash leaves at most a stray `<file>+`, which the next write truncates.
 *
 * The backup is a hard link to the old inode rather than a copy: the rename
 * detaches that inode from `path`, so `<file>-` then holds exactly the old
 * bytes, at no cost for 100,000-line files.
 */
export async function replaceFile(path: string, content: FileContent, options: { readonly fallback: FileOwnership | (() => FileOwnership); readonly backup: boolean }): Promise<void> {
  const old = await lstat(path).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  });
  if (old !== null && !old.isFile()) throw new RosterError('conflict', `${path} is not a regular file; refusing to replace it`);
  const { fallback } = options;
  const owner = old !== null ? { mode: old.mode & 0o7777, uid: old.uid, gid: old.gid } : typeof fallback === 'function' ? fallback() : fallback;
  const temp = `${path}+`;
  // O_NOFOLLOW: a planted symlink at <file>+ must not redirect the write.
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    // Owner and mode before the first byte, so a shadow file is never readable by others, not even half-written.
    await handle.chown(owner.uid, owner.gid);
    await handle.chmod(owner.mode);
    if (typeof content === 'function') for (const piece of content()) await writeAll(handle, [piece]);
    else await writeAll(handle, Buffer.isBuffer(content) ? [content] : content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (old !== null && options.backup) {
    await unlink(`${path}-`).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    });
    await link(path, `${path}-`);
  }
  await rename(temp, path);
  await syncDirectory(dirname(path));
}

/** Buffers passed to one writev: the kernel takes at most IOV_MAX (1,024 on Linux). */
const BUFFERS_PER_WRITE = 1_024;

/** Writes `pieces` one after the other from the handle's position, however short each write falls. */
async function writeAll(handle: FileHandle, pieces: readonly Buffer[]): Promise<void> {
  let rest = pieces.filter((p) => p.length > 0);
  while (rest.length > 0) {
    const batch = rest.slice(0, BUFFERS_PER_WRITE);
    let { bytesWritten } = await handle.writev(batch);
    let done = 0;
    // Whole pieces written, then what is left of a piece written in part.
    while (done < batch.length && bytesWritten >= (batch[done] as Buffer).length) bytesWritten -= (batch[done++] as Buffer).length;
    rest = rest.slice(done);
    if (bytesWritten > 0) rest[0] = (rest[0] as Buffer).subarray(bytesWritten);
  }
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
