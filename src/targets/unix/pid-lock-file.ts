import { closeSync, constants, fdatasyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { RosterError } from '../../domain/errors.js';
import { processAlive } from '../../system/process-alive.js';

/**
 * shadow-utils' per-file lock (lib/commonio.c, do_lock_file): write our PID
 * (decimal, NUL-terminated, as 4.13 does) to `<file>.<pid>`, then link(2) it
 * to `<file>.lock` — link fails if the lock exists, atomically, even on NFS —
 * and trust it only if the temp file then has two links. An existing lock
 * whose PID is dead is stale: it is removed and the link tried once more.
 */
export type PidLockAttempt =
  | { readonly locked: true; readonly lockPath: string }
  | { readonly locked: false; readonly lockPath: string; readonly holder: number | null; readonly reason: string };

export function tryPidLockFile(file: string): PidLockAttempt {
  const temp = `${file}.${process.pid}`;
  const lockPath = `${file}.lock`;
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, Buffer.from(`${process.pid}\0`, 'latin1'));
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (tryLink(temp, lockPath)) return { locked: true, lockPath };
    const holder = lockHolder(lockPath);
    if (holder === undefined) return tryPidLockFileAgain(temp, lockPath); // vanished meanwhile
    if (holder === null) return { locked: false, lockPath, holder: null, reason: 'holds no valid PID' };
    // Our own PID can only be a leftover: every apply in this process takes
    // the .pwd.lock OFD lock first, so none of them holds this file now.
    if (holder !== process.pid && processAlive(holder)) return { locked: false, lockPath, holder, reason: `is held by PID ${holder}${processName(holder)}` };
    try {
      unlinkSync(lockPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return tryPidLockFileAgain(temp, lockPath);
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
}

function tryPidLockFileAgain(temp: string, lockPath: string): PidLockAttempt {
  if (tryLink(temp, lockPath)) return { locked: true, lockPath };
  return { locked: false, lockPath, holder: lockHolder(lockPath) ?? null, reason: 'was taken by another process at the same moment' };
}

function tryLink(temp: string, lockPath: string): boolean {
  try {
    linkSync(temp, lockPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  // check_link_count: on a file system that fakes link(2) the count stays 1.
  if (statSync(temp).nlink !== 2) {
    unlinkSync(lockPath);
    throw new RosterError('unavailable', `${lockPath}: link count is not 2 after link(2); cannot lock on this file system`);
  }
  return true;
}

/** The PID in a lock file; null when it holds none; undefined when the file is gone. */
function lockHolder(lockPath: string): number | null | undefined {
  let text: string;
  try {
    text = readFileSync(lockPath).subarray(0, 31).toString('latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  // A C string: whatever follows the NUL is not part of it.
  const pid = text.split('\0')[0] ?? '';
  return /^[0-9]{1,10}$/.test(pid) && Number(pid) > 0 ? Number(pid) : null;
}


/** ` (useradd)`, from /proc, for messages; empty when unknown. */
export function processName(pid: number): string {
  try {
    return ` (${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()})`;
  } catch {
    return '';
  }
}

export function releasePidLockFile(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
