import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stopChild } from './daemons/stop-child.js';
import type { NamespaceResult } from './in-mount-namespace.js';

/**
 * A directory client, nslcd or SSSD, in a private mount namespace, for
 * proving what it does with the entries a target writes (DESIGN.md §8):
 * /etc is an overlay of the host's (its writes land in the test's scratch
 * dir), the test's nsswitch.conf, pam.d and the daemon's config are bound
 * over it, and /run is a private tmpfs, because nslcd's socket path is
 * fixed at /run/nslcd/socket (and the host's nscd socket must not answer
 * for the test). SSSD also gets private tmpfs over /var/lib/sss (its cache
 * and sockets) and /var/log. The daemon runs in the foreground (its log in
 * the scratch dir) as the PID this module spawned; every command then
 * enters that PID's mount namespace with nsenter, so all of them see the
 * same daemon. Nothing reaches the host's mounts: propagation is private
 * and the namespace dies with the daemon.
 */
export interface DirectoryClient {
  readonly pid: number;
  /** Runs argv inside the namespace, with `input` on stdin. */
  run(argv: readonly string[], input?: string): Promise<NamespaceResult>;
  /** `pamtester SERVICE USER OPS…` with the password on stdin: whether PAM let the user through every step. */
  pam(service: string, user: string, password: string, ...ops: readonly string[]): Promise<boolean>;
  /** The daemon's log so far. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

export interface DirectoryClientFiles {
  /** nslcd (libnss-ldapd, libpam-ldapd) or SSSD (sssd-ldap, libnss-sss, libpam-sss). */
  readonly daemon: 'nslcd' | 'sssd';
  /**
   * A root prefix holding etc/nsswitch.conf, etc/pam.d/ and the daemon's
   * config: etc/nslcd.conf or etc/sssd/sssd.conf (mode 0600; both daemons insist).
   */
  readonly root: string;
  /** Scratch space for the /etc overlay and the log. */
  readonly scratch: string;
}

// Constant script; paths come in as positional arguments, never spliced into shell text.
const SCRIPT = `set -e
daemon=$1 root=$2 upper=$3 work=$4
mount -t overlay roster-test-etc -o "lowerdir=/etc,upperdir=$upper,workdir=$work" /etc
if [ "$daemon" = nslcd ]; then conf=nslcd.conf; else conf=sssd/sssd.conf; mkdir -p /etc/sssd; fi
for f in nsswitch.conf "$conf"; do
  [ -e "/etc/$f" ] || : > "/etc/$f"
  mount --bind "$root/etc/$f" "/etc/$f"
done
mount --bind "$root/etc/pam.d" /etc/pam.d
mount -t tmpfs -o mode=0755 roster-test-run /run
if [ "$daemon" = nslcd ]; then
  mkdir -m 0755 /run/nslcd
  exec nslcd -d
fi
mount -t tmpfs -o mode=0755 roster-test-sss /var/lib/sss
mkdir -p /var/lib/sss/db /var/lib/sss/pipes/private /var/lib/sss/mc /var/lib/sss/pubconf /var/lib/sss/gpo_cache
mount -t tmpfs -o mode=0755 roster-test-log /var/log
mkdir /var/log/sssd
exec sssd -i --logger=stderr`;

/** The sockets that answer once the daemon serves lookups and PAM. */
const SOCKETS = { nslcd: ['/run/nslcd/socket'], sssd: ['/var/lib/sss/pipes/nss', '/var/lib/sss/pipes/pam'] } as const;

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

/** Starts the daemon in its namespace and waits until its sockets are there; the caller stops it (afterAll). */
export async function startDirectoryClient(files: DirectoryClientFiles): Promise<DirectoryClient> {
  const layer = await mkdtemp(join(files.scratch, 'etc-overlay-'));
  await mkdir(join(layer, 'upper'), { recursive: true });
  await mkdir(join(layer, 'work'), { recursive: true });
  const logFile = join(layer, `${files.daemon}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', SCRIPT, 'directory-client', files.daemon, files.root, join(layer, 'upper'), join(layer, 'work')], { stdio: ['ignore', fd, fd], env: ENV });
  closeSync(fd);
  const log = (): Promise<string> => readFile(logFile, 'utf8').catch(() => '');
  const pid = child.pid;
  try {
    if (pid === undefined) throw new Error('unshare did not start');
    // unshare and sh exec in place, so the PID is the daemon's once its sockets are there.
    const sockets = SOCKETS[files.daemon];
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${files.daemon} exited (${String(child.exitCode ?? child.signalCode)}):\n${await log()}`);
      if ((await runIn(pid, ['sh', '-c', 'for s; do test -S "$s" || exit 1; done', 'sockets', ...sockets])).code === 0) break;
      if (Date.now() > deadline) throw new Error(`${files.daemon} did not open ${sockets.join(' and ')} within 30 s:\n${await log()}`);
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
