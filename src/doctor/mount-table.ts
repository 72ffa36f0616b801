import { realpath } from 'node:fs/promises';
import { posix } from 'node:path';

export interface MountEntry {
  readonly source: string;
  readonly mountPoint: string;
  readonly type: string;
  readonly options: readonly string[];
}

/** fstab(5) escapes spaces and the like as \ooo octal in /proc/mounts. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The lines of /proc/self/mounts (fstab(5) format). */
export function parseMounts(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [source, mountPoint, type, options] = line.trim().split(/\s+/);
    if (source === undefined || mountPoint === undefined || type === undefined || options === undefined) continue;
    mounts.push({ source: unescape(source), mountPoint: unescape(mountPoint), type, options: options.split(',') });
  }
  return mounts;
}

/** The mount holding `path` (absolute and real): the longest mount point that is it or contains it; the last of equal ones, as it hides the others. */
export function mountOf(path: string, mounts: readonly MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const inside = m.mountPoint === '/' || path === m.mountPoint || path.startsWith(`${m.mountPoint}/`);
    if (inside && (best === undefined || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/** `path` resolved through symlinks, or the nearest ancestor that exists (a home base not made yet lives on its parent's filesystem). */
export async function existingRealPath(path: string): Promise<string> {
  let p = posix.resolve(path);
  for (;;) {
    try {
      return await realpath(p);
    } catch {
      if (p === '/') return '/';
      p = posix.dirname(p);
    }
  }
}
