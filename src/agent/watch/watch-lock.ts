import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive as alive } from '../../system/process-alive.js';


/** The PID in the lock file, or null when there is none (or it is unreadable). */
export function lockOwner(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Takes `path` (O_EXCL, holding `owner`'s PID, as the apply lock does),
 * breaking it when its PID is gone. Waits up to `timeoutMs`; false when it
 * is still held then. A lock already held by `owner` counts as taken (the
 * apt hooks take it for the apt process at Pre-Invoke and find it theirs at
 * Post-Invoke).
 */
export async function takeLock(path: string, owner: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, `${owner}\n`);
      } catch (e) {
        // An empty lock file would hold the lock for nobody: gone with the failed write.
        closeSync(fd);
        try {
          unlinkSync(path);
        } catch {
          // Already gone.
        }
        throw e;
      }
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = lockOwner(path);
    if (held === owner) return true;
    if ((held !== null && !alive(held)) || (held === null && emptyAndStale(path))) {
      try {
        unlinkSync(path);
      } catch {
        // Another process broke it first.
      }
      continue;
    }
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(25 * 2 ** Math.min(attempt, 4), Math.max(1, deadline - Date.now())));
  }
}

/** A lock file written within this long may still be getting its PID. */
const EMPTY_LOCK_GRACE_MS = 5_000;

/** An empty (or unparsable) lock file older than the grace period: its writer died between create and write. */
function emptyAndStale(path: string): boolean {
  const st = statSync(path, { throwIfNoEntry: false });
  return st !== undefined && Date.now() - st.mtimeMs > EMPTY_LOCK_GRACE_MS;
}

export function releaseLock(path: string, owner: number): void {
  if (lockOwner(path) !== owner) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
