import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureAccount, fixtureHost, FREEZE_BILLING } from '../../../test/desired-fixture.js';
import { fixedClock } from '../../domain/clock.js';
import type { TargetContext } from '../target.js';
import { readProcProcess } from './proc-process.js';
import { processesConfigSchema } from './processes-config.js';
import { processesTarget, type KillDetail } from './processes-target.js';

// Unused high UIDs: setpriv needs no passwd entry, and nothing else on the
// machine runs as them, so the target can only ever find our own children.
const FROZEN_UID = 61234;
const ACTIVE_UID = 61235;
const STUBBORN_UID = 61236;

/** Real processes under test UIDs (DESIGN.md §8), each stopped by the PID this test started. */
describe('processes target on real processes', () => {
  const started: ChildProcess[] = [];
  const ctx: TargetContext = { root: '/nonexistent-root-prefix', host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };

  function startAs(uid: number, argv: readonly string[]): ChildProcess {
    const child = spawn('setpriv', ['--reuid', String(uid), '--regid', String(uid), '--clear-groups', ...argv], { stdio: 'ignore' });
    started.push(child);
    return child;
  }

  async function running(child: ChildProcess, uid: number): Promise<void> {
    // setpriv execs the program in place: wait (bounded) until the PID shows the target UID.
    for (let i = 0; i < 100; i++) {
      const p = await readProcProcess(child.pid ?? -1);
      if (p !== null && p.uids.every((u) => u === uid) && !p.command.startsWith('setpriv')) return;
      await sleep(20);
    }
    throw new Error(`process ${child.pid} never ran as ${uid}`);
  }

  afterEach(async () => {
    for (const child of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });

  it('TERMs the frozen UID’s process, leaves the other UID’s alone, and converges', async () => {
    const frozen = startAs(FROZEN_UID, ['sleep', '1000']);
    const active = startAs(ACTIVE_UID, ['sleep', '1000']);
    await running(frozen, FROZEN_UID);
    await running(active, ACTIVE_UID);
    const frozenExit = new Promise<NodeJS.Signals | null>((resolve) => frozen.once('exit', (_code, signal) => resolve(signal)));

    const desired = fixtureHost([fixtureAccount('rproc-frozen', FROZEN_UID, { holds: [FREEZE_BILLING] }), fixtureAccount('rproc-active', ACTIVE_UID)]);
    const config = processesConfigSchema.parse({ graceSeconds: 5 });
    const plan = processesTarget.plan(desired, await processesTarget.observe(ctx, config, desired), config);
    expect(plan.map((c) => c.subject)).toEqual([`process:${frozen.pid}`]);
    expect(plan[0]?.summary).toBe(`kill ${frozen.pid} of rproc-frozen: sleep 1000`);

    const results = await processesTarget.apply(ctx, config, plan, desired);
    expect(results.map((r) => r.ok)).toEqual([true]);
    expect(results[0]?.detail).toEqual({ pid: frozen.pid ?? -1, command: 'sleep 1000', username: 'rproc-frozen', signal: 'SIGTERM' } satisfies KillDetail);
    expect(await frozenExit).toBe('SIGTERM');
    expect(active.exitCode).toBeNull();
    expect(await readProcProcess(active.pid ?? -1)).not.toBeNull();

    expect(processesTarget.plan(desired, await processesTarget.observe(ctx, config, desired), config)).toEqual([]);
  });

  it('KILLs a process that ignores SIGTERM once the grace is over', async () => {
    // `trap '' TERM` makes the shell and the sleep it execs ignore SIGTERM.
    const stubborn = startAs(STUBBORN_UID, ['sh', '-c', "trap '' TERM; exec sleep 1000"]);
    for (let i = 0; i < 100; i++) {
      const p = await readProcProcess(stubborn.pid ?? -1);
      if (p?.command === 'sleep 1000') break;
      await sleep(20);
    }
    const exit = new Promise<NodeJS.Signals | null>((resolve) => stubborn.once('exit', (_code, signal) => resolve(signal)));
    const desired = fixtureHost([fixtureAccount('rproc-stubborn', STUBBORN_UID, { holds: [FREEZE_BILLING] })]);
    const config = processesConfigSchema.parse({ graceSeconds: 1 });
    const plan = processesTarget.plan(desired, await processesTarget.observe(ctx, config, desired), config);
    expect(plan).toHaveLength(1);
    const results = await processesTarget.apply(ctx, config, plan, desired);
    expect(results[0]?.ok).toBe(true);
    expect((results[0]?.detail as KillDetail).signal).toBe('SIGKILL');
    expect(await exit).toBe('SIGKILL');
  });
});
