import { closeSync, constants, openSync } from 'node:fs';
import koffi from 'koffi';
import { RosterError } from '../../domain/errors.js';

/**
 * A write lock on a whole file through fcntl(2), the lock glibc's
 * `lckpwdf()` takes on /etc/.pwd.lock (F_SETLKW, F_WRLCK, whole file) and
 * that every shadow-utils tool takes first, `useradd -R` included (it chroots,
 * then locks the root's /etc/.pwd.lock). Node has no fcntl, so we call libc
 * through koffi. flock(2) would not do: on Linux flock and fcntl locks do
 * not see each other.
 *
 * We take an *open file description* lock (F_OFD_SETLK): it conflicts with
 * the classic POSIX locks of lckpwdf exactly as they conflict with each other,
 * but it belongs to our open file rather than to the whole process, so a
 * second apply in the same Node process waits too, and no unrelated close()
 * of the same file elsewhere in the process drops it. The kernel releases it
 * when the process dies, so a killed apply never leaves it behind.
 */

// <fcntl.h> on Linux, the same on every architecture.
const F_OFD_GETLK = 36;
const F_OFD_SETLK = 37;
const F_WRLCK = 1;
const F_UNLCK = 2;
const EAGAIN = 11;
const EACCES = 13;
// struct flock on 64-bit Linux: short l_type, short l_whence, (pad), off_t
// l_start, off_t l_len, pid_t l_pid, (pad) = 32 bytes.
const FLOCK_SIZE = 32;
const L_PID_OFFSET = 24;

type Fcntl = (fd: number, cmd: number, type: string, arg: Buffer) => number;

let fcntl: Fcntl | undefined;

function libc(): Fcntl {
  if (fcntl !== undefined) return fcntl;
  if (process.platform !== 'linux' || !['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64'].includes(process.arch)) {
    throw new RosterError('unavailable', `file locking of /etc/.pwd.lock needs 64-bit Linux (this is ${process.platform}/${process.arch})`);
  }
  const lib = koffi.load('libc.so.6');
  const f = lib.func('int fcntl(int fd, int cmd, ...)');
  fcntl = (fd, cmd, type, arg) => f(fd, cmd, type, arg) as number;
  return fcntl;
}

function flockStruct(type: number): Buffer {
  const b = Buffer.alloc(FLOCK_SIZE);
  b.writeInt16LE(type, 0);
  return b; // whence SEEK_SET, start 0, len 0 = the whole file
}

export interface OfdLock {
  release(): void;
}

export type OfdAttempt = { readonly locked: true; readonly lock: OfdLock } | { readonly locked: false; readonly holder: number | null };

/**
 * One non-blocking attempt (the caller polls, so the event loop never blocks
 * in F_SETLKW). `holder` is the PID of a conflicting classic lock (lckpwdf),
 * null when the holder is an OFD lock (another Roster), which has no PID.
 */
export function tryOfdLock(path: string): OfdAttempt {
  const fn = libc();
  // Created as lckpwdf creates it: O_WRONLY|O_CREAT, mode 0600.
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  let keep = false;
  try {
    if (fn(fd, F_OFD_SETLK, 'void *', flockStruct(F_WRLCK)) === 0) {
      keep = true;
      return { locked: true, lock: { release: () => closeSync(fd) } };
    }
    const errno = koffi.errno();
    if (errno !== EAGAIN && errno !== EACCES) throw new RosterError('unavailable', `fcntl(F_OFD_SETLK) on ${path} failed with errno ${errno}`);
    const probe = flockStruct(F_WRLCK);
    if (fn(fd, F_OFD_GETLK, 'void *', probe) !== 0 || probe.readInt16LE(0) === F_UNLCK) return { locked: false, holder: null };
    const pid = probe.readInt32LE(L_PID_OFFSET);
    return { locked: false, holder: pid > 0 ? pid : null };
  } finally {
    if (!keep) closeSync(fd);
  }
}
