import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface PostfixOptions {
  /** The `type:path` of the access map smtpd checks recipients against (the mail-lists target's map under the test's root prefix). */
  readonly recipientAccess: string;
  /** Domains whose every address is a mailbox (mail to them is accepted and discarded). */
  readonly domains: readonly string[];
}

/**
 * A throwaway Postfix for a test file (DESIGN.md §8, issue 12): its own
 * configuration directory (`postfix -c DIR`), queue and data directories
 * in a temp dir, logging to a file there, started with `postfix -c
 * DIR start-fg` as a child of the test and stopped by the PID of the master
 * it started; nothing of /etc/postfix, /var/spool/postfix or port 25 is
 * used. Two smtpd listeners on free loopback ports: `port` checks
 * recipients against the map (`check_recipient_access`, then the
 * domains' mailboxes), `unwiredPort` does not, as a server whose admin
 * forgot the map. Every address of `domains` is a mailbox delivered to
 * the discard transport, so accepted mail goes nowhere.
 */
export interface PostfixServer {
  readonly dir: string;
  readonly port: number;
  readonly address: string;
  readonly unwiredPort: number;
  readonly unwiredAddress: string;
  /** The master daemon's PID (read from its PID file; a child of the process the test started). */
  readonly pid: number;
  /** What it logged so far. */
  log(): string;
  stop(): Promise<void>;
}

/** The services smtpd needs to answer RCPT TO and to take mail, without chroot (the queue is a temp dir). */
const MASTER_SERVICES = [
  'pickup    unix  n - n 60  1 pickup',
  'cleanup   unix  n - n -   0 cleanup',
  'qmgr      unix  n - n 300 1 qmgr',
  'rewrite   unix  - - n -   - trivial-rewrite',
  'bounce    unix  - - n -   0 bounce',
  'defer     unix  - - n -   0 bounce',
  'trace     unix  - - n -   0 bounce',
  'verify    unix  - - n -   1 verify',
  'proxymap  unix  - - n -   - proxymap',
  'error     unix  - - n -   - error',
  'retry     unix  - - n -   - error',
  'discard   unix  - - n -   - discard',
  'anvil     unix  - - n -   1 anvil',
  'scache    unix  - - n -   1 scache',
  // maillog_file = /dev/stdout goes through postlogd.
  'postlog   unix-dgram n - n - 1 postlogd',
];

function parentOf(pid: number): Promise<number | null> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then(
    // comm may hold spaces: the fields after it start at the last ')'.
    (s) => Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]),
    () => null,
  );
}

export async function startPostfix(options: PostfixOptions): Promise<PostfixServer> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-postfix-'));
  // Postfix's daemons run as the postfix user and must reach the queue.
  await chmod(dir, 0o755);
  const config = join(dir, 'config');
  const queue = join(dir, 'queue');
  const data = join(dir, 'data');
  for (const d of [config, queue, data]) await mkdir(d);
  await chown(data, ...(await postfixIds()));
  const port = await freePort();
  let unwiredPort = await freePort();
  while (unwiredPort === port) unwiredPort = await freePort();
  await writeFile(
    join(config, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${queue}`,
      `data_directory = ${data}`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      'myhostname = mx.roster-test.invalid',
      'mydomain = roster-test.invalid',
      'myorigin = $mydomain',
      'mydestination =',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'mynetworks = 127.0.0.0/8',
      `virtual_mailbox_domains = ${options.domains.join(' ')}`,
      'virtual_mailbox_maps = static:mailbox',
      'virtual_transport = discard:',
      'recipient_delimiter = +',
      `smtpd_recipient_restrictions = check_recipient_access ${options.recipientAccess}, permit_mynetworks, reject`,
      'maillog_file = /dev/stdout',
      'smtputf8_enable = no',
      'biff = no',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(config, 'master.cf'),
    [
      `127.0.0.1:${port} inet n - n - - smtpd`,
      `127.0.0.1:${unwiredPort} inet n - n - - smtpd`,
      '  -o smtpd_recipient_restrictions=permit_mynetworks,reject',
      ...MASTER_SERVICES,
      '',
    ].join('\n'),
  );
  // A file, not a pipe: Node's pipes are sockets, which Postfix cannot open as /dev/stdout (ENXIO).
  const logPath = join(dir, 'maillog');
  const logFile = await open(logPath, 'a');
  const child: ChildProcess = spawn('postfix', ['-c', config, 'start-fg'], {
    cwd: dir,
    stdio: ['ignore', logFile.fd, logFile.fd],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  });
  await logFile.close();
  const output = (): string => readFileSync(logPath, 'utf8');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const script = child.pid;
  if (script === undefined) throw new Error(`postfix did not start:\n${output()}`);

  // The master writes its PID file once it is up; it must be the child of the script we started, never another Postfix.
  const deadline = Date.now() + 30_000;
  let pid: number | null = null;
  while (pid === null) {
    const text = await readFile(join(queue, 'pid', 'master.pid'), 'utf8').catch(() => '');
    const candidate = Number(text.trim());
    if (Number.isInteger(candidate) && candidate > 0 && (await parentOf(candidate)) === script && output().includes('daemon started')) pid = candidate;
    else if (child.exitCode !== null || child.signalCode !== null) throw new Error(`postfix exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    else if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`postfix did not start within 30 s:\n${output()}`);
    } else await new Promise((r) => setTimeout(r, 50));
  }
  const master = pid;
  return {
    dir,
    port,
    address: `127.0.0.1:${port}`,
    unwiredPort,
    unwiredAddress: `127.0.0.1:${unwiredPort}`,
    pid: master,
    log: output,
    async stop() {
      // SIGTERM to the master stops it and its daemons at once (master(8)); the start-fg script then exits.
      if ((await parentOf(master)) === script) process.kill(master, 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postfixIds(): Promise<[number, number]> {
  // The data directory belongs to mail_owner (postfix check warns otherwise).
  const passwd = await readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((l) => l.startsWith('postfix:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`no postfix user on this machine (running as ${userInfo().username})`);
  return [Number(uid), Number(gid)];
}
