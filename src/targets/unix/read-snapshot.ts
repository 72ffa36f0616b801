import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { etcLines, type EtcName } from './etc-text.js';
import { readOwnedState } from './owned-state.js';
import type { UnixSnapshot } from './unix-files.js';

export function etcPath(root: string, name: EtcName): string {
  return join(root, 'etc', name);
}

async function readLines(path: string): Promise<string[]> {
  try {
    return etcLines(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * Reads the four files and the ownership state. Each file is replaced by
 * rename, never rewritten in place, so each read sees one whole version even
 * without the lock; apply reads again under the lock before it decides.
 */
export async function readSnapshot(root: string): Promise<UnixSnapshot> {
  const [passwd, shadow, group, gshadow, owned] = await Promise.all([
    readLines(etcPath(root, 'passwd')),
    readLines(etcPath(root, 'shadow')),
    readLines(etcPath(root, 'group')),
    readLines(etcPath(root, 'gshadow')),
    readOwnedState(root),
  ]);
  return { passwd, shadow, group, gshadow, owned };
}
