import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RosterError } from '../../domain/errors.js';
import { ETC_WRITE_ORDER } from './etc-text.js';
import { tryOfdLock, type OfdLock } from './ofd-lock.js';
import { processName, releasePidLockFile, tryPidLockFile } from './pid-lock-file.js';

export interface EtcLock {
  /** Removes the `<file>.lock` files, then drops the .pwd.lock lock (the reverse of taking them, as shadow-utils does). */
  release(): void;
}

/**
 * Takes the locks every shadow-utils tool takes before touching the four
 * files (DESIGN.md §7): first `<root>/etc/.pwd.lock` as lckpwdf() does, then
 * `<file>.lock` holding our PID for each file. Waits at most `timeoutMs` in
 * all, polling (never blocking the event loop), then gives up with
 * `lock_timeout` naming the lock file and the PID that holds it.
 */
export async function lockEtc(root: string, timeoutMs: number): Promise<EtcLock> {
  const etc = join(root, 'etc');
  await mkdir(etc, { recursive: true, mode: 0o755 });
  const deadline = Date.now() + timeoutMs;
  // Only for the messages (formatting numbers loads ICU, which a successful lock need not pay for).
  const seconds = (): string => `${(timeoutMs / 1000).toLocaleString('en')} s`;
  let delay = 5;
  const wait = async (): Promise<boolean> => {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, 100);
    return true;
  };

  const pwdLock = join(etc, '.pwd.lock');
  let ofd: OfdLock | undefined;
  for (;;) {
    const attempt = tryOfdLock(pwdLock);
    if (attempt.locked) {
      ofd = attempt.lock;
      break;
    }
    if (!(await wait())) {
      const who = attempt.holder === null ? 'another open file description (another Roster apply?)' : `PID ${attempt.holder}${processName(attempt.holder)}`;
      throw new RosterError('lock_timeout', `${pwdLock} is locked by ${who}; gave up after ${seconds()}`, [{ where: pwdLock, message: `locked by ${who}` }]);
    }
  }

  const held: string[] = [];
  const release = (): void => {
    for (const lockPath of held.reverse()) releasePidLockFile(lockPath);
    held.length = 0;
    ofd?.release();
    ofd = undefined;
  };
  try {
    for (const name of ETC_WRITE_ORDER) {
      delay = 5;
      for (;;) {
        const attempt = tryPidLockFile(join(etc, name));
        if (attempt.locked) {
          held.push(attempt.lockPath);
          break;
        }
        if (!(await wait())) {
          throw new RosterError('lock_timeout', `${attempt.lockPath} ${attempt.reason}; gave up after ${seconds()}`, [{ where: attempt.lockPath, message: attempt.reason }]);
        }
      }
    }
  } catch (e) {
    release();
    throw e;
  }
  return { release };
}
