import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inMountNamespace } from '../in-mount-namespace.js';

/** Where the .deb files are kept between runs (.ci/run fills it; a test run fills it when it is empty). */
export const EXIM_CACHE = '/var/cache/roster-ci/exim';
/** The daemon binary and the one library of its that Postfix's machines lack. */
const PACKAGES = ['exim4-daemon-light', 'libidn12'] as const;

function run(file: string, args: readonly string[], cwd?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 300_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * Exim for a test file without installing it (DESIGN.md §8, issue 12):
 * Debian's exim4-daemon-light conflicts with postfix, so its .deb (and
 * libidn12's) are fetched with `apt-get download` into EXIM_CACHE and
 * unpacked with `dpkg -x` into a temp dir. The binary is only ever run as
 * `exim -C CONFIG -bh IP`, a host-checking session on its standard input
 * that runs the ACLs and delivers nothing, so no daemon, spool or port.
 */
export interface EximSessions {
  readonly dir: string;
  /** For the config's spool_directory and log_file_path: owned by the Exim user, which the session runs as. */
  readonly spoolDir: string;
  readonly logDir: string;
  /** The SMTP dialogue `input` gets from `exim -C config -bh 127.0.0.1`: the server's replies (stdout), with its log lines (stderr). */
  session(config: string, input: string): Promise<{ readonly code: number | null; readonly replies: string; readonly log: string }>;
  remove(): Promise<void>;
}

async function cachedDebs(): Promise<string[]> {
  await mkdir(EXIM_CACHE, { recursive: true });
  const debs = async (): Promise<string[]> => {
    const names = await readdir(EXIM_CACHE);
    return PACKAGES.map((p) => names.filter((n) => n.startsWith(`${p}_`) && n.endsWith('.deb')).sort().at(-1)).filter((n) => n !== undefined);
  };
  let found = await debs();
  if (found.length < PACKAGES.length) {
    const got = await run('apt-get', ['download', ...PACKAGES], EXIM_CACHE);
    found = await debs();
    if (found.length < PACKAGES.length) throw new Error(`exim: apt-get download ${PACKAGES.join(' ')} into ${EXIM_CACHE} failed (exit ${got.code}):\n${got.output}`);
  }
  return found.map((n) => join(EXIM_CACHE, n));
}

export async function unpackExim(): Promise<EximSessions> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-exim-'));
  // Exim gives up root for its own user, which must reach its spool and log directories.
  await chmod(dir, 0o755);
  const tree = join(dir, 'tree');
  for (const deb of await cachedDebs()) {
    const got = await run('dpkg', ['-x', deb, tree]);
    if (got.code !== 0) throw new Error(`dpkg -x ${deb}: ${got.output}`);
  }
  const binary = join(tree, 'usr/sbin/exim4');
  const libs = join(tree, 'usr/lib/x86_64-linux-gnu');
  // The binary insists on its compiled-in user Debian-exim (not root): it exists only inside the namespace, with a UID no one has.
  const passwd = await readFile('/etc/passwd', 'utf8');
  const taken = new Set(passwd.split('\n').map((l) => Number(l.split(':')[2])));
  let uid = 2_100_039_999;
  while (taken.has(uid)) uid--;
  await writeFile(join(dir, 'passwd'), `${passwd}${passwd.endsWith('\n') ? '' : '\n'}Debian-exim:x:${uid}:${uid}::/nonexistent:/usr/sbin/nologin\n`);
  const group = await readFile('/etc/group', 'utf8');
  await writeFile(join(dir, 'group'), `${group}${group.endsWith('\n') ? '' : '\n'}Debian-exim:x:${uid}:\n`);
  const spoolDir = join(dir, 'spool');
  const logDir = join(dir, 'log');
  for (const d of [spoolDir, logDir]) {
    await mkdir(d);
    await chown(d, uid, uid);
  }
  let n = 0;
  return {
    dir,
    spoolDir,
    logDir,
    async session(config, input) {
      const stdin = join(dir, `input-${n++}.txt`);
      await writeFile(stdin, input);
      const got = await inMountNamespace(
        dir,
        [
          { from: join(dir, 'passwd'), to: '/etc/passwd' },
          { from: join(dir, 'group'), to: '/etc/group' },
        ],
        // A constant script: the input file and the command come in as arguments.
        ['/bin/sh', '-c', 'f=$1; shift; exec "$@" <"$f"', 'exim-session', stdin, 'env', `LD_LIBRARY_PATH=${libs}`, binary, '-C', config, '-bh', '127.0.0.1'],
      );
      return { code: got.code, replies: got.stdout, log: got.stderr };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
