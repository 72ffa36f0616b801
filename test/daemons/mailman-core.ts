import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { stopChild } from './stop-child.js';

/** Debian's mailman3 package puts its runner here. */
const RUNNER = '/usr/lib/mailman3/bin/runner';

/** Whether Mailman 3 core (Debian package mailman3) is installed on this machine. */
export const mailmanInstalled = existsSync(RUNNER);

/**
 * A throwaway Mailman 3 core for a test file (DESIGN.md §8, issue 12): its
 * own mailman.cfg, SQLite database and var dir in a temp dir, and only its
 * REST runner (`runner -C CFG -r rest`, which also creates the schema) as
 * a child of the test, on a free loopback port; stopped by that PID. The
 * test makes its lists through the REST API, as an admin's web UI would.
 */
export interface MailmanCore {
  readonly dir: string;
  /** The REST root with its version, e.g. http://127.0.0.1:PORT/3.1. */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  readonly pid: number;
  /** Creates a list (and its domain, if new) with these owner addresses. */
  createList(address: string, owners: readonly string[]): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

export async function startMailman(): Promise<MailmanCore> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-mailman-'));
  await chmod(dir, 0o700);
  const port = await freePort();
  const password = 'roster-test-rest';
  const config = join(dir, 'mailman.cfg');
  await writeFile(
    config,
    [
      '[mailman]',
      'site_owner: postmaster@roster-test.invalid',
      'layout: roster',
      '[paths.roster]',
      `var_dir: ${join(dir, 'var')}`,
      `log_dir: ${join(dir, 'var', 'logs')}`,
      `pid_file: ${join(dir, 'var', 'master.pid')}`,
      '[database]',
      'class: mailman.database.sqlite.SQLiteDatabase',
      `url: sqlite:///${join(dir, 'var', 'mailman.db')}`,
      '[webservice]',
      'hostname: 127.0.0.1',
      `port: ${port}`,
      'admin_user: restadmin',
      `admin_pass: ${password}`,
      // No MTA: lists are only created and read, never mailed to.
      '[mta]',
      'incoming: mailman.mta.null.NullMTA',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const logPath = join(dir, 'runner.log');
  const logFile = await open(logPath, 'a');
  const child: ChildProcess = spawn(RUNNER, ['-C', config, '-r', 'rest'], { cwd: dir, stdio: ['ignore', logFile.fd, logFile.fd], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C.UTF-8' } });
  await logFile.close();
  const log = (): string => readFileSync(logPath, 'utf8');
  const pid = child.pid;
  if (pid === undefined) throw new Error(`mailman runner did not start:\n${log()}`);
  const url = `http://127.0.0.1:${port}/3.1`;
  const auth = `Basic ${Buffer.from(`restadmin:${password}`).toString('base64')}`;
  const call = async (method: string, path: string, form?: Record<string, string>): Promise<Response> =>
    fetch(`${url}${path}`, { method, headers: { authorization: auth }, ...(form === undefined ? {} : { body: new URLSearchParams(form) }) });

  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await call('GET', '/system/versions').then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mailman runner exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`mailman REST did not answer on ${url} within 60 s:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const domains = new Set<string>();
  return {
    dir,
    url,
    user: 'restadmin',
    password,
    pid,
    log,
    async createList(address, owners) {
      const domain = address.slice(address.lastIndexOf('@') + 1);
      const expectCreated = async (r: Promise<Response>, what: string): Promise<void> => {
        const response = await r;
        if (response.status !== 201) throw new Error(`mailman: ${what}: HTTP ${response.status} ${await response.text()}`);
      };
      if (!domains.has(domain)) {
        await expectCreated(call('POST', '/domains', { mail_host: domain }), `domain ${domain}`);
        domains.add(domain);
      }
      await expectCreated(call('POST', '/lists', { fqdn_listname: address }), `list ${address}`);
      const listId = address.replace('@', '.');
      for (const owner of owners) await expectCreated(call('POST', '/members', { list_id: listId, subscriber: owner, role: 'owner' }), `owner ${owner} of ${address}`);
    },
    async stop() {
      await stopChild(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
