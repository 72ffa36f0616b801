import { rootedPath } from '../../system/rooted-path.js';

/** `repquota -u -v -n -p FILESYSTEM`: every user with limits (-v), numeric (-n), grace as a number (-p) so each line has ten fields. */
export function repquotaArgv(root: string, filesystem: string): string[] {
  return ['repquota', '-u', '-v', '-n', '-p', rootedPath(root, filesystem)];
}
