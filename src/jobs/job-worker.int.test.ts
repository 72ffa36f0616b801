import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../app/app-context.js';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import { runOwner } from './job-runs.js';
import { JobWorkers, WORKER_NICENESS } from './job-worker.js';

/**
 * What `roster serve` does with a job's worker process that stops before it
 * reports. The worker here is a script standing in for `roster serve-job`:
 * it answers what it is told to by its arguments, or waits to be killed.
 */
const WORKER = `
const [how] = process.argv.slice(-3);
if (how === 'purge') setInterval(() => undefined, 1000);
else if (how === 'billing') process.send({ kind: 'failed', message: 'roster.yaml: billing: broken' }, () => process.disconnect());
else process.send({ kind: 'reports', reports: [{ job: how, due: false }] }, () => process.disconnect());
`;

describe.each(storeFactories)('job worker processes ($name)', (factory) => {
  let opened: OpenedTestStore;
  let dir: string;
  const config = parseConfig(exampleConfig(), '/srv/roster/roster.yaml').config;
  const now = new Date('2026-06-01T02:50:30Z');
  const context = (): AppContext => ({ store: opened.store, config, clock: { now: () => now }, actor: 'test', hmacKey: Buffer.alloc(32, 1), hasher: { hash: () => '$y$x' }, log: { info: () => undefined, warn: () => undefined } });
  const started: string[] = [];
  const workers = (): JobWorkers => new JobWorkers({ ctx: context(), entry: join(dir, 'worker.cjs'), globalArgs: [], root: '/', log: { info: (m) => started.push(m) } });
  const workerPid = async (): Promise<number> => {
    while (started.length === 0) await new Promise((r) => setTimeout(r, 20));
    return Number(/worker (\d+) started/.exec(started.at(-1) ?? '')?.[1]);
  };

  beforeEach(async () => {
    opened = await factory.open();
    dir = await mkdtemp(join(tmpdir(), 'roster-worker-'));
    await writeFile(join(dir, 'worker.cjs'), WORKER);
    started.length = 0;
  });
  afterEach(async () => {
    await opened.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('hands back what the worker reports, and its failure as an error', async () => {
    const w = workers();
    expect(await w.run('notify')).toEqual([{ job: 'notify', due: false }]);
    const pid = await workerPid();
    expect(pid).not.toBe(process.pid);
    await expect(w.run('billing')).rejects.toThrow('roster.yaml: billing: broken');
  });

  it('marks the run of a worker that was killed as interrupted, and only that one', async () => {
    const w = workers();
    const running = w.run('purge');
    const pid = await workerPid();
    // Below the server's requests on a busy CPU.
    expect(getPriority(pid)).toBe(Math.min(19, getPriority() + WORKER_NICENESS));
    const insert = (owner: string): Promise<{ id: number }> => opened.store.transaction((tx) => tx.insertJobRun({ job: 'purge', slot: now.toISOString(), startedAt: now.toISOString(), owner, startedBy: 'serve', forced: false }));
    const mine = await insert(runOwner(pid));
    const other = await insert(runOwner(pid + 1_000_000));
    process.kill(pid, 'SIGKILL');
    await expect(running).rejects.toThrow(`worker ${pid} was stopped by SIGKILL before it reported; run #${mine.id} marked interrupted`);
    const runs = await opened.store.read.listJobRuns({ job: 'purge' });
    expect(runs.find((r) => r.id === mine.id)).toMatchObject({ result: 'interrupted', message: `interrupted: ${runOwner(pid)} stopped before the run finished`, finishedAt: now.toISOString() });
    expect(runs.find((r) => r.id === other.id)).toMatchObject({ result: 'running', finishedAt: null });
  });

  it('stops the running worker by its PID and starts no more', async () => {
    const w = workers();
    const running = w.run('purge');
    const pid = await workerPid();
    w.stop();
    await expect(running).rejects.toThrow(`worker ${pid} was stopped by SIGTERM before it reported`);
    expect(await w.run('notify')).toEqual([]);
    expect(started).toHaveLength(1);
  });
});
