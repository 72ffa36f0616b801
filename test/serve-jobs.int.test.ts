import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROSTER_MAIN, rosterSandbox, type RosterSandbox } from './roster-cli.js';

describe('roster serve runs the scheduled jobs', () => {
  let sb: RosterSandbox;
  beforeAll(async () => {
    sb = await rosterSandbox();
  });
  afterAll(async () => sb.cleanup());

  it('catches up missed slots at start and records the runs as started by serve', async () => {
    const child = spawn(process.execPath, [ROSTER_MAIN, 'serve', '--listen', '127.0.0.1:0'], { cwd: sb.dir, env: sb.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!stderr.includes('job notify') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    } finally {
      // Stopped by the PID this test started.
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(stderr).toContain('job purge ok');
    expect(stderr).toContain('job billing ok');
    const runs = await sb.run(['jobs', 'list']);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(/purge: ok/);
    // The slot has run: a `roster jobs run` from cron in the same slot does nothing.
    const again = await sb.run(['jobs', 'run', 'purge']);
    expect(again.stdout).toMatch(/not due/);
  });
});
