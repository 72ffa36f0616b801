import { readFileSync } from 'node:fs';

/**
 * The file's text, or null when it does not exist (an absent list file is a
 * state, not an error). Read synchronously: the callers (a target observing
 * its host, the agent reading its state) do nothing else meanwhile, and one
 * read of a 10 MB limits file beats twenty 512 KiB round trips through the
 * thread pool while the other targets read theirs.
 */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** The file's bytes, or null when it does not exist; synchronous for the same reason. */
export function readBytesIfExists(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
