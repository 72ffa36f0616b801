import { execFile } from 'node:child_process';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';

export interface Bind {
  /** A file or directory the test wrote (under its root prefix). */
  readonly from: string;
  /** Where the program sees it, e.g. /etc/passwd. */
  readonly to: string;
}

export interface NamespaceResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// Constant script; every path and the command come in as positional
// arguments, never spliced into shell text. /etc is first covered by an
// overlay whose upper layer lives in the test's scratch dir, so bind targets
// that do not exist on the host (cron.deny, a pam.d service) can be created
// without ever writing the host's /etc.
const SCRIPT = `set -e
upper=$1; work=$2; shift 2
mount -t overlay roster-test-etc -o "lowerdir=/etc,upperdir=$upper,workdir=$work" /etc
while [ "$1" != "--" ]; do
  from=$1; to=$2; shift 2
  if [ ! -e "$to" ]; then
    mkdir -p "$(dirname "$to")"
    if [ -d "$from" ]; then mkdir "$to"; else : > "$to"; fi
  fi
  mount --bind "$from" "$to"
done
shift
exec "$@"`;

/**
 * Runs `argv` in a private mount namespace (DESIGN.md §8) where /etc is an
 * overlay of the host's and each bind puts one of the test's files in
 * place. Nothing leaves the namespace: propagation is private and the
 * overlay's writes land in `scratch`.
 */
export async function inMountNamespace(scratch: string, binds: readonly Bind[], argv: readonly string[], timeoutMs = 30_000): Promise<NamespaceResult> {
  const layer = await mkdtemp(join(scratch, 'etc-overlay-'));
  await mkdir(join(layer, 'upper'));
  await mkdir(join(layer, 'work'));
  const args = ['-m', '--propagation', 'private', '/bin/sh', '-c', SCRIPT, 'in-mount-namespace', join(layer, 'upper'), join(layer, 'work')];
  for (const b of binds) args.push(b.from, b.to);
  args.push('--', ...argv);
  return new Promise((resolve) => {
    execFile('unshare', args, { timeout: timeoutMs, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** passwd, shadow and group lines for test users that exist only inside the namespace. */
export function userLines(users: ReadonlyArray<{ readonly name: string; readonly uid: number; readonly home?: string }>): { passwd: string; shadow: string; group: string } {
  return {
    passwd: users.map((u) => `${u.name}:x:${u.uid}:${u.uid}:${u.name}:${u.home ?? '/nonexistent'}:/bin/bash\n`).join(''),
    shadow: users.map((u) => `${u.name}:*:20000:0:99999:7:::\n`).join(''),
    group: users.map((u) => `${u.name}:x:${u.uid}:\n`).join(''),
  };
}
