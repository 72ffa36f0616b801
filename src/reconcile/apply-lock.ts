import { chmod, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RosterError } from '../domain/errors.js';
import { processAlive as alive } from '../system/process-alive.js';


/**
 * One apply at a time per root: `<root>/var/lib/roster/apply.lock`, created
 * with O_EXCL and holding the owner's PID (the shadow-utils convention for
 * /etc/*.lock). A lock whose PID is gone is stale and is broken; a live one
 * is waited for, polling, up to `timeoutMs`, then the run fails with
 * `lock_timeout` (exit 75) having changed nothing. Two processes breaking the
 * same stale lock at the same instant could both proceed; the targets' own
 * file locks (lckpwdf for /etc) still serialise the writes that matter.
 */
export async function withApplyLock<T>(root: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const dir = posix.join(root, 'var/lib/roster');
  // Parents that a fresh root prefix lacks (var, var/lib) get the usual 0755.
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o700);
  const path = posix.join(dir, 'apply.lock');
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const h = await open(path, 'wx', 0o600);
      try {
        await h.writeFile(`${process.pid}\n`);
      } finally {
        await h.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && !alive(owner)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new RosterError('lock_timeout', `another roster apply (pid ${Number.isNaN(owner) ? '?' : owner}) holds ${path}; gave up after ${Math.round(timeoutMs / 1000)} s`, [{ where: path, message: 'locked' }]);
    }
    await sleep(Math.min(50 * 2 ** Math.min(attempt, 4), Math.max(1, deadline - Date.now())));
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
