import { posix } from 'node:path';
import { RosterError } from '../domain/errors.js';

/**
 * `path` as seen on the host, placed under the root prefix (like `useradd -R`).
 * Refuses relative paths and `..` so nothing a config or store value says can
 * reach outside the prefix.
 */
export function rootedPath(root: string, path: string): string {
  if (!posix.isAbsolute(path) || path.split('/').includes('..')) {
    throw new RosterError('bad_input', `"${path}" must be an absolute path without '..'`, [{ where: 'path', message: 'absolute, without ..' }]);
  }
  return posix.join(root, path);
}
