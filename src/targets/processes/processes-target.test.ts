import { describe, expect, it } from 'vitest';
import { fixtureAccount, fixtureHost, FREEZE_BILLING, RETIRED } from '../../../test/desired-fixture.js';
import type { ProcProcess } from './proc-process.js';
import { processesConfigSchema } from './processes-config.js';
import { processesTarget } from './processes-target.js';

function proc(pid: number, uids: readonly [number, number, number, number], command = 'sleep 1000', state = 'S'): ProcProcess {
  return { pid, uids, startTime: String(1000 + pid), state, command };
}

describe('processes target plan', () => {
  const config = processesConfigSchema.parse({});
  const desired = fixtureHost([
    fixtureAccount('alice', 10001),
    fixtureAccount('bob', 10002, { holds: [FREEZE_BILLING] }),
    fixtureAccount('carol', 10003, { holds: [RETIRED] }),
    // A managed account below 1000 (an imported legacy UID) is never signalled.
    fixtureAccount('old', 900, { holds: [RETIRED] }),
  ]);

  it('kills only processes whose every UID is a disabled managed account at or above minUid', () => {
    const observed = {
      processes: [
        proc(100, [10002, 10002, 10002, 10002], 'bash'),
        proc(101, [10003, 10003, 10003, 10003], 'irssi'),
        proc(102, [10001, 10001, 10001, 10001]),
        // A setuid program the frozen user started: euid root, left alone.
        proc(103, [10002, 0, 0, 0], 'passwd'),
        // Real UID frozen, effective UID of an active account (a setuid binary of alice's).
        proc(104, [10002, 10001, 10001, 10001]),
        proc(105, [900, 900, 900, 900]),
        // Already exited.
        proc(106, [10002, 10002, 10002, 10002], 'defunct', 'Z'),
        proc(107, [10002, 10003, 10003, 10002], 'shared'),
      ],
    };
    const plan = processesTarget.plan(desired, observed, config);
    expect(plan.map((c) => [c.action, c.subject, c.summary])).toEqual([
      ['kill', 'process:100', 'kill 100 of bob: bash'],
      ['kill', 'process:101', 'kill 101 of carol: irssi'],
      ['kill', 'process:107', 'kill 107 of bob: shared'],
    ]);
    expect(plan.every((c) => !c.destructive && c.target === 'processes')).toBe(true);
  });

  it('spares a freeze that keeps processes, never a retirement', () => {
    const kept = fixtureHost(desired.accounts, { freezeKeep: ['processes'] });
    const observed = { processes: [proc(100, [10002, 10002, 10002, 10002]), proc(101, [10003, 10003, 10003, 10003])] };
    expect(processesTarget.plan(kept, observed, config).map((c) => c.subject)).toEqual(['process:101']);
  });

  it('refuses a minUid below 1000 and bounds the grace', () => {
    expect(processesConfigSchema.parse({})).toEqual({ graceSeconds: 10, minUid: 1000 });
    expect(processesConfigSchema.safeParse({ minUid: 0 }).error?.issues[0]?.message).toBe('must be at least 1000: lower UIDs are system accounts');
    expect(processesConfigSchema.safeParse({ graceSeconds: -1 }).success).toBe(false);
    const high = processesConfigSchema.parse({ minUid: 10_003 });
    const observed = { processes: [proc(100, [10002, 10002, 10002, 10002]), proc(101, [10003, 10003, 10003, 10003])] };
    expect(processesTarget.plan(desired, observed, high).map((c) => c.subject)).toEqual(['process:101']);
  });
});
