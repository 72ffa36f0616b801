import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';
import { startServe, stopChild, type ServeProcess } from './serve-process.js';

/**
 * `roster serve` runs each scheduled job in a worker process of its own
 * (src/jobs/job-worker.ts). The notify transport is a sendmail of the test's
 * that records its parent (the process sending the job's mail) and waits
 * until the test lets it go: so the job is held in the middle while the
 * server is asked for things.
 */

interface RunRow {
  readonly job: string;
  readonly result: string;
  readonly owner: string;
  readonly startedBy: string;
}

const pidOf = (owner: string): number => Number(owner.slice(owner.lastIndexOf(':') + 1));

async function until(what: string, check: () => Promise<boolean> | boolean, logs: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in 60 s:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('roster serve runs its scheduled jobs in a worker process', () => {
  let sb: RosterSandbox;
  let server: ServeProcess | undefined;
  beforeAll(async () => {
    sb = await rosterSandbox();
    const sendmail = join(sb.dir, 'sendmail');
    await writeFile(
      sendmail,
      ['#!/bin/sh', `echo "$PPID" >> '${join(sb.dir, 'senders')}'`, `while [ ! -e '${join(sb.dir, 'release')}' ] && [ -d '${sb.dir}' ]; do sleep 0.1; done`, 'cat > /dev/null', 'exit 0', ''].join('\n'),
    );
    await chmod(sendmail, 0o755);
    const config = join(sb.dir, 'roster.yaml');
    const yaml = await readFile(config, 'utf8');
    await writeFile(config, yaml.replace(/^ {2}transport: none .*$/m, `  transport: sendmail\n  sendmail: { path: ${sendmail} }\n  adminAddress: root@example.org`));
  });
  afterAll(async () => {
    await stopChild(server?.child);
    await sb.cleanup();
  });

  it('runs a due job in another process, and answers requests while it runs', async () => {
    const created = await sb.run(['token', 'create', '--role', 'scim']);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    server = await startServe(sb);
    const s = server;
    const serverPid = s.child.pid;
    const logs = (): string => s.stderr();
    // Every job's slot has passed: the purge runs at start, and its admin digest goes to the waiting sendmail.
    await until('the purge job sending its digest', async () => (await readFile(join(sb.dir, 'senders'), 'utf8').catch(() => '')) !== '', logs);
    const sender = Number((await readFile(join(sb.dir, 'senders'), 'utf8')).trim().split('\n')[0]);
    const worker = /job purge: worker (\d+) started/.exec(logs());
    expect(worker?.[1]).toBeDefined();
    expect(Number(worker?.[1])).toBe(sender);
    expect(sender).not.toBe(serverPid);
    expect(logs()).not.toContain('job purge ok');

    // The job is still going (its worker waits on sendmail): the server answers.
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const users = await fetch(`${s.url}/scim/v2/Users?count=1`, { headers: { authorization: `Bearer ${token}` } });
    expect(users.status, await users.clone().text()).toBe(200);
    expect(((await users.json()) as { schemas: string[] }).schemas).toContain('urn:ietf:params:scim:api:messages:2.0:ListResponse');
    expect(logs()).not.toContain('job purge ok');

    await writeFile(join(sb.dir, 'release'), '');
    await until('every job finishing', () => logs().includes('job notify '), logs);
    expect(logs()).toContain('job purge ok');
    expect(logs()).toContain('job billing ok');
    const { runs } = await sb.json<{ runs: RunRow[] }>(['jobs', 'list']);
    expect(runs.map((r) => r.job).sort()).toEqual(['apply', 'billing', 'notify', 'purge']);
    // Each run was made by its own worker, none by the server, and recorded as started by serve.
    const owners = runs.map((r) => pidOf(r.owner));
    expect(new Set(owners).size).toBe(4);
    expect(owners).not.toContain(serverPid);
    expect(runs.find((r) => r.job === 'purge')?.owner).toMatch(new RegExp(`:${sender}$`));
    expect(runs.every((r) => r.startedBy === 'serve')).toBe(true);
    for (const r of runs) expect(logs()).toContain(`job ${r.job}: worker ${pidOf(r.owner)} started`);
  }, 120_000);

  it('logs a worker that dies, and goes on serving and running the other jobs', async () => {
    await stopChild(server?.child);
    await writeFile(join(sb.dir, 'senders'), '');
    await rm(join(sb.dir, 'release'), { force: true });
    // A later day: every job is due again.
    server = await startServe(sb, { env: { ROSTER_NOW: '2099-01-02T05:00:00' } });
    const s = server;
    const logs = (): string => s.stderr();
    await until('the purge job sending its digest', async () => (await readFile(join(sb.dir, 'senders'), 'utf8').catch(() => '')) !== '', logs);
    const worker = Number(/job purge: worker (\d+) started/.exec(logs())?.[1]);
    expect(worker).toBeGreaterThan(0);
    expect(worker).not.toBe(s.child.pid);
    // Killed by the PID its own log line names: the worker this server started for this test's purge.
    process.kill(worker, 'SIGKILL');
    await until('the death of the worker being logged', () => logs().includes(`job purge: worker ${worker} was stopped by SIGKILL before it reported`), logs);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    await writeFile(join(sb.dir, 'release'), '');
    await until('the other jobs finishing', () => logs().includes('job notify '), logs);
    expect(logs()).toContain('job billing ok');
    expect(s.child.exitCode).toBeNull();
  }, 120_000);
});
