/**
 * A MariaDB server of a test's own (DESIGN.md §8): `mariadb-install-db`
 * into a temp dir, then `mariadbd --no-defaults` on a free loopback port and
 * a socket in that dir, stopped by the PID this module started. Never the
 * machine's own server (3306, /run/mysqld, /etc/mysql): `--no-defaults`
 * keeps every option file out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mariadb';
import { run } from '../unix-root.js';
import { freePort } from './free-port.js';
import { stopChild } from './stop-child.js';

export interface MariadbServer {
  /** The temp dir holding the data dir, the socket and the error log. */
  readonly dir: string;
  readonly port: number;
  readonly socket: string;
  readonly pid: number;
  /** A connection as root over the socket (unix_socket authentication; the tests run as root). */
  root(): Promise<Connection>;
  /** Stops the server by its PID, waits for it to exit and removes the temp dir. */
  stop(): Promise<void>;
}

// Small log and buffer pool: a test server holds a few kilobytes, and two
// cores run other daemons beside it.
const SIZES = ['--innodb-log-file-size=8M', '--innodb-buffer-pool-size=16M'];

async function ready(socket: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mariadbd exited (${String(child.exitCode ?? child.signalCode)}): ${await readFile(log, 'utf8').catch(() => '')}`);
    try {
      const c = await createConnection({ socketPath: socket, user: 'root' });
      await c.end();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`mariadbd did not answer on ${socket} in 60 s: ${String(e)}; ${await readFile(log, 'utf8').catch(() => '')}`, { cause: e });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Starts a fresh server; the caller stops it (afterAll). */
export async function startMariadb(): Promise<MariadbServer> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-mariadb-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'mariadb.sock');
  const log = join(dir, 'error.log');
  // As root, mariadbd must be told to stay root (there is no mysql user to switch to in a temp dir it owns).
  const asUser = process.getuid?.() === 0 ? ['--user=root'] : [];
  const installed = await run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, ...asUser, '--auth-root-authentication-method=socket', '--skip-test-db', ...SIZES], { timeout: 120_000 });
  if (installed.code !== 0) throw new Error(`mariadb-install-db failed (${installed.code}): ${installed.stderr}${installed.stdout}`);
  const port = await freePort();
  const child = spawn(
    'mariadbd',
    ['--no-defaults', `--datadir=${data}`, `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1', ...asUser, `--pid-file=${join(dir, 'mariadbd.pid')}`, `--log-error=${log}`, '--skip-log-bin', ...SIZES],
    { stdio: 'ignore' },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('mariadbd did not start');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await ready(socket, child, log);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    port,
    socket,
    pid,
    root: () => createConnection({ socketPath: socket, user: 'root' }),
    async stop() {
      // SIGTERM is mariadbd's clean shutdown.
      await stopChild(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
