import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EtcName } from './etc-text.js';
import { ownedStatePath, readOwnedState } from './owned-state.js';
import type { UnixSnapshot } from './unix-files.js';

export function etcPath(root: string, name: EtcName): string {
  return join(root, 'etc', name);
}

/** Read synchronously, like every observation of the host: 15 MB at once rather than in 512 KiB round trips. */
function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw e;
  }
}

/** Identity and version of a file: a rename (every shadow-utils writer) changes the inode, an in-place write the times. */
function stamp(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw e;
  }
}

function stamps(root: string): string {
  return [...(['passwd', 'shadow', 'group', 'gshadow'] as const).map((n) => stamp(etcPath(root, n))), stamp(ownedStatePath(root))].join('|');
}

/** The last snapshot read, with the stamps of its files taken before reading them. */
let last: { readonly root: string; readonly stamps: string; readonly snapshot: UnixSnapshot } | undefined;

/**
 * Reads the four files and the ownership state. Each file is replaced by
 * rename, never rewritten in place, so each read sees one whole version even
 * without the lock; apply reads again under the lock before it decides.
 *
 * `reuse`: when no file changed since the last snapshot of this root (same
 * inode, size and times), that snapshot is returned instead of reading and
 * parsing 15 MB again; apply's read under the lock, a moment after plan's,
 * is usually such a read. The stamps are taken before the files are read, so
 * a write that races the read leaves stamps that no longer match.
 */
export async function readSnapshot(root: string, options: { readonly reuse?: boolean } = {}): Promise<UnixSnapshot> {
  const before = stamps(root);
  if (options.reuse === true && last?.root === root && last.stamps === before) return last.snapshot;
  const owned = await readOwnedState(root);
  const snapshot = { passwd: readBytes(etcPath(root, 'passwd')), shadow: readBytes(etcPath(root, 'shadow')), group: readBytes(etcPath(root, 'group')), gshadow: readBytes(etcPath(root, 'gshadow')), owned };
  last = { root, stamps: before, snapshot };
  return snapshot;
}
