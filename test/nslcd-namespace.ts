import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stopChild } from './daemons/stop-child.js';
import type { NamespaceResult } from './in-mount-namespace.js';

/**
 * nslcd in a private mount namespace, for proving what a directory client
 * does with the entries a target writes (DESIGN.md §8): /etc is an overlay
 * of the host's (its writes land in the test's scratch dir), the test's
 * nsswitch.conf, nslcd.conf and pam.d are bound over it, and /run is a
 * private tmpfs, because nslcd's socket path is fixed at /run/nslcd/socket
 * (and the host's nscd socket must not answer for the test). nslcd runs in
 * the foreground (`-d`, its log in the scratch dir) as the PID this module
 * spawned; every command then enters that PID's mount namespace with
 * nsenter, so all of them see the same nslcd. Nothing reaches the host's
 * mounts: propagation is private and the namespace dies with nslcd.
 */
export interface NslcdNamespace {
  readonly pid: number;
  /** Runs argv inside the namespace, with `input` on stdin. */
  run(argv: readonly string[], input?: string): Promise<NamespaceResult>;
  /** `pamtester SERVICE USER OPS…` with the password on stdin: whether PAM let the user through every step. */
  pam(service: string, user: string, password: string, ...ops: readonly string[]): Promise<boolean>;
  /** nslcd's debug log so far. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

export interface NslcdFiles {
  /** A root prefix holding etc/nsswitch.conf, etc/nslcd.conf (mode 0600, nslcd insists) and etc/pam.d/. */
  readonly root: string;
  /** Scratch space for the /etc overlay and the log. */
  readonly scratch: string;
}

// Constant script; paths come in as positional arguments, never spliced into shell text.
const SCRIPT = `set -e
root=$1 upper=$2 work=$3
mount -t overlay roster-test-etc -o "lowerdir=/etc,upperdir=$upper,workdir=$work" /etc
for f in nsswitch.conf nslcd.conf; do
  [ -e "/etc/$f" ] || : > "/etc/$f"
  mount --bind "$root/etc/$f" "/etc/$f"
done
mount --bind "$root/etc/pam.d" /etc/pam.d
mount -t tmpfs -o mode=0755 roster-test-run /run
mkdir -m 0755 /run/nslcd
exec nslcd -d`;

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

function runIn(pid: number, argv: readonly string[], input = '', timeoutMs = 30_000): Promise<NamespaceResult> {
  return new Promise((resolve) => {
    const child = execFile('nsenter', ['-t', String(pid), '-m', '--', ...argv], { timeout: timeoutMs, env: ENV }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** Starts nslcd in its namespace and waits until its socket answers; the caller stops it (afterAll). */
export async function startNslcdNamespace(files: NslcdFiles): Promise<NslcdNamespace> {
  const layer = join(files.scratch, 'etc-overlay');
  await mkdir(join(layer, 'upper'), { recursive: true });
  await mkdir(join(layer, 'work'), { recursive: true });
  const logFile = join(files.scratch, 'nslcd.log');
  const fd = openSync(logFile, 'a');
  const child = spawn('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', SCRIPT, 'nslcd-namespace', files.root, join(layer, 'upper'), join(layer, 'work')], { stdio: ['ignore', fd, fd], env: ENV });
  closeSync(fd);
  const log = (): Promise<string> => readFile(logFile, 'utf8').catch(() => '');
  const pid = child.pid;
  try {
    if (pid === undefined) throw new Error('unshare did not start');
    // unshare and sh exec in place, so the PID is nslcd's once the socket is there.
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nslcd exited (${String(child.exitCode ?? child.signalCode)}):\n${await log()}`);
      if ((await runIn(pid, ['test', '-S', '/run/nslcd/socket'])).code === 0) break;
      if (Date.now() > deadline) throw new Error(`nslcd did not open /run/nslcd/socket within 20 s:\n${await log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    await stopChild(child, 'SIGKILL');
    throw e;
  }
  return {
    pid,
    run: (argv, input) => runIn(pid, argv, input),
    async pam(service, user, password, ...ops) {
      return (await runIn(pid, ['pamtester', service, user, ...ops], `${password}\n`)).code === 0;
    },
    log,
    stop: () => stopChild(child, 'SIGTERM'),
  };
}
