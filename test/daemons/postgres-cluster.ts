import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { stopChild } from './stop-child.js';

/**
 * A throwaway PostgreSQL cluster for a test file (DESIGN.md §8): `initdb`
 * into a temp dir and `postgres` run as the `postgres` OS user, listening on
 * a free port on 127.0.0.1 and on a unix socket in the temp dir, stopped by
 * the PID this module started. It never touches the machine's own cluster
 * (5432) nor anything in /etc.
 */

/** The postmaster's fast shutdown: it ends the sessions and stops at once. */
const FAST_SHUTDOWN = 'SIGINT';

export interface PostgresCluster {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The unix socket directory. */
  readonly socketDir: string;
  /** The server binaries' directory (/usr/lib/postgresql/<major>/bin). */
  readonly binDir: string;
  readonly pid: number;
  /** A connection URL to 127.0.0.1:port as `user` (default the superuser `postgres`), database `postgres` unless said. */
  url(user?: string, database?: string, password?: string): string;
  /** Runs one statement as the superuser. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: readonly unknown[], database?: string): Promise<pg.QueryResult<R>>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** pg_hba.conf lines; default: trust on the socket and on 127.0.0.1. */
  readonly hba?: readonly string[];
}

/** The newest installed major version's bin directory. */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, 'bin', 'postgres'))) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error(`no PostgreSQL server under ${base} (apt-get install postgresql)`);
  return join(base, newest, 'bin');
}

function postgresUser(): { uid: number; gid: number } {
  try {
    return { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) };
  } catch (e) {
    throw new Error('no postgres OS user (apt-get install postgresql)', { cause: e });
  }
}

function runAs(user: { uid: number; gid: number }, file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { uid: user.uid, gid: user.gid, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, cwd: '/' }, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}:\n${log()}`);
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (e) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 30 s: ${String(e)}\n${log()}`, { cause: e });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startPostgresCluster(options: ClusterOptions = {}): Promise<PostgresCluster> {
  const binDir = postgresBinDir();
  const user = postgresUser();
  const dir = await mkdtemp(join(tmpdir(), 'roster-pg-'));
  await chown(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  await mkdir(socketDir, { mode: 0o700 });
  await chown(socketDir, user.uid, user.gid);
  let child: ChildProcess | undefined;
  try {
    await runAs(user, join(binDir, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    const hba = options.hba ?? ['local all all trust', 'host all all 127.0.0.1/32 trust'];
    await writeFile(join(data, 'pg_hba.conf'), `${hba.join('\n')}\n`);
    const port = await freePort();
    // Small and fast: nothing here must survive a crash.
    const args = ['-D', data, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=40'];
    let output = '';
    child = spawn(join(binDir, 'postgres'), args, { uid: user.uid, gid: user.gid, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    const started = child;
    const pid = started.pid;
    if (pid === undefined) throw new Error('postgres did not start');
    const url = (u = 'postgres', database = 'postgres', password?: string): string =>
      `postgres://${encodeURIComponent(u)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    await waitReady(url(), started, () => output);
    return {
      host: '127.0.0.1',
      port,
      socketDir,
      binDir,
      pid,
      url,
      async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: readonly unknown[] = [], database = 'postgres'): Promise<pg.QueryResult<R>> {
        const client = new pg.Client({ connectionString: url('postgres', database) });
        client.on('error', () => undefined);
        await client.connect();
        try {
          return await client.query<R>(text, [...values]);
        } finally {
          await client.end();
        }
      },
      async stop() {
        await stopChild(started, FAST_SHUTDOWN);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (child !== undefined) await stopChild(child, FAST_SHUTDOWN);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
