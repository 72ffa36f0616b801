import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signalMaster } from './reload-server.js';

/** The PID file reload against real files and processes (the signal reaching a real master is in vhosts-target.int.test.ts). */
describe('signalMaster', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roster-reload-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says what is wrong with a missing or garbled PID file, and signals nothing', async () => {
    expect(await signalMaster(join(dir, 'none.pid'), 'nginx')).toMatch(/^cannot read the nginx PID file .*none\.pid: /);
    await writeFile(join(dir, 'bad.pid'), 'twelve\n');
    expect(await signalMaster(join(dir, 'bad.pid'), 'apache')).toBe(`${join(dir, 'bad.pid')} does not hold a process id ("twelve")`);
  });

  it('refuses a PID whose process is gone, and one that is not the master', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid ?? 0;
    await writeFile(join(dir, 'sleep.pid'), `${String(pid)}\n`);
    try {
      // sleep would die of a HUP; it must not get one.
      expect(await signalMaster(join(dir, 'sleep.pid'), 'nginx')).toBe(`process ${String(pid)} named in ${join(dir, 'sleep.pid')} is sleep, not the nginx master; not signalled`);
      expect(child.exitCode).toBeNull();
      expect(child.signalCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(await signalMaster(join(dir, 'sleep.pid'), 'nginx')).toBe(`no process ${String(pid)} (named in ${join(dir, 'sleep.pid')}) is running: is nginx up?`);
  });
});
