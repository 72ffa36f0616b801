import { readFile } from 'node:fs/promises';

/** The file's text, or null when it does not exist (an absent list file is a state, not an error). */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
