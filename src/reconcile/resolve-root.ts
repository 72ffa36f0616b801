import { realpath, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { errorMessage, RosterError } from '../domain/errors.js';

/**
 * The root prefix (`--root`, like `useradd -R`): an absolute path to an
 * existing directory, resolved once with realpath so that every symlink
 * check below it starts from a real directory. `/` is the live system.
 */
export async function resolveRoot(root: string): Promise<string> {
  if (!posix.isAbsolute(root)) throw new RosterError('usage', `--root "${root}" must be an absolute path`, [{ where: '--root', message: 'not absolute' }]);
  const notDirectory = (why: string): RosterError => new RosterError('usage', `--root ${root} is not a directory: ${why}`, [{ where: '--root', message: 'not a directory' }]);
  let real: string;
  let directory: boolean;
  try {
    real = await realpath(root);
    directory = (await stat(real)).isDirectory();
  } catch (e) {
    throw notDirectory(errorMessage(e));
  }
  if (!directory) throw notDirectory('not a directory');
  return real;
}
