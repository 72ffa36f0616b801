import { realpath, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { RosterError } from '../domain/errors.js';

/**
 * The root prefix (`--root`, like `useradd -R`): an absolute path to an
 * existing directory, resolved once with realpath so that every symlink
 * check below it starts from a real directory. `/` is the live system.
 */
export async function resolveRoot(root: string): Promise<string> {
  if (!posix.isAbsolute(root)) throw new RosterError('usage', `--root "${root}" must be an absolute path`, [{ where: '--root', message: 'not absolute' }]);
  let real: string;
  try {
    real = await realpath(root);
    if (!(await stat(real)).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new RosterError('usage', `--root ${root} is not a directory: ${(e as Error).message}`, [{ where: '--root', message: 'not a directory' }]);
  }
  return real;
}
