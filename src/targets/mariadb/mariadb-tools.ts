import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { RosterError } from '../../domain/errors.js';
import type { AdminLogin } from './admin-session.js';

/** How the command-line tools reach the server: everything on the command line but the password, which goes in MYSQL_PWD (only root can read a root process's environment). */
function connectionArgs(login: AdminLogin): string[] {
  return [
    // First: no option file of the machine's (/etc/mysql, ~/.my.cnf) may change where the dump comes from or goes to.
    '--no-defaults',
    `--user=${login.user}`,
    ...(login.socket === undefined ? [`--host=${login.host}`, `--port=${login.port}`, '--protocol=TCP'] : [`--socket=${login.socket}`, '--protocol=SOCKET']),
  ];
}

const TIMEOUT_MS = 6 * 60 * 60 * 1000;

/** Runs a MariaDB tool with its stdin from `input` (a file) or nothing; resolves when it exits 0, else throws with its last lines of stderr. */
async function runTool(program: string, args: readonly string[], login: AdminLogin, input?: string): Promise<void> {
  const stdin = input === undefined ? null : await open(input, 'r');
  try {
    await new Promise<void>((resolve, reject) => {
      const env = { ...process.env, LC_ALL: 'C', ...(login.password === undefined ? {} : { MYSQL_PWD: login.password }) };
      const child = spawn(program, args, { stdio: [stdin === null ? 'ignore' : stdin.fd, 'ignore', 'pipe'], env, timeout: TIMEOUT_MS });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4096);
      });
      child.once('error', (e) => reject(new RosterError('unavailable', `${program}: ${e.message}`, [], { cause: e })));
      child.once('close', (code, signal) => {
        if (code === 0) resolve();
        else {
          const said = stderr.trim().split('\n').slice(-3).join('; ');
          reject(new RosterError('conflict', `${program} failed (${code === null ? `killed by ${signal ?? '?'}` : `exit ${code}`})${said === '' ? '' : `: ${said}`}`));
        }
      });
    });
  } finally {
    await stdin?.close();
  }
}

/**
 * Dumps one database into `path` with `mariadb-dump`: one consistent
 * snapshot (--single-transaction) of its tables, views, routines, triggers
 * and events, binary columns in hex, without CREATE DATABASE (the restore
 * makes the database with the resource's own settings).
 */
export function dumpDatabase(login: AdminLogin, name: string, path: string): Promise<void> {
  const args = [...connectionArgs(login), '--single-transaction', '--routines', '--triggers', '--events', '--hex-blob', '--default-character-set=utf8mb4', `--result-file=${path}`, '--', name];
  return runTool('mariadb-dump', args, login);
}

/** Loads a dump into an existing database with the `mariadb` client (binary mode: the dump's bytes as they are). */
export function loadDump(login: AdminLogin, name: string, path: string): Promise<void> {
  const args = [...connectionArgs(login), '--binary-mode', '--default-character-set=utf8mb4', `--database=${name}`];
  return runTool('mariadb', args, login, path);
}

/** What a login over the socket as the account's own Unix user met: let in, refused as locked (4151), or neither (no such Unix user here, no access to the socket). */
export type SocketLogin = 'in' | 'locked' | 'inconclusive';

/**
 * Logs in as the member does with unix_socket: the `mariadb` client run as
 * the account's UID over the server's socket, where the server names the
 * peer by its UID. Only possible on the server's own machine, for an account
 * it knows by that UID and as root; anything else is inconclusive, and the
 * caller relies on the lock the server reports.
 */
export async function socketLogin(socket: string, user: string, uid: number, gid: number): Promise<SocketLogin> {
  return new Promise((resolve) => {
    const args = [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', 'mariadb', '--no-defaults', `--socket=${socket}`, '--protocol=SOCKET', `--user=${user}`, '--batch', '--skip-column-names', '--execute=SELECT 1'];
    const child = spawn('setpriv', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, timeout: 10_000 });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2048);
    });
    child.once('error', () => resolve('inconclusive'));
    child.once('close', (code) => resolve(code === 0 ? 'in' : /\bERROR 4151\b/.test(stderr) ? 'locked' : 'inconclusive'));
  });
}
