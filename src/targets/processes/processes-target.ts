import { setTimeout as sleep } from 'node:timers/promises';
import type { DesiredHost } from '../../desired/desired-host.js';
import { errorMessage } from '../../domain/errors.js';
import { disabledFor } from '../disabled-for.js';
import { defineTarget, type Change, type ChangeResult, type TargetContext } from '../target.js';
import { processesConfigSchema, type ProcessesConfig } from './processes-config.js';
import { listProcProcesses, stillRunning, type ProcProcess } from './proc-process.js';

export interface ProcessesObserved {
  /** Processes with at least one UID of a managed account; the plan decides which go. */
  readonly processes: readonly ProcProcess[];
}

interface KillData {
  readonly pid: number;
  readonly startTime: string;
  readonly uids: readonly number[];
  readonly username: string;
  readonly command: string;
}

export interface KillDetail {
  readonly pid: number;
  readonly command: string;
  readonly username: string;
  /** The last signal sent, or null when the process had already exited. */
  readonly signal: 'SIGTERM' | 'SIGKILL' | null;
}

const NAME = 'processes';
/** The service name a freeze disables unless `freeze.keep` lists it. */
const SERVICE = 'processes';
const POLL_MS = 100;
/** How long a SIGKILLed process may take to disappear (uninterruptible I/O) before we report it. */
const AFTER_KILL_MS = 5_000;

/** UIDs of accounts whose processes must go, with their names. */
function doomedUids(desired: DesiredHost, config: ProcessesConfig): Map<number, string> {
  const doomed = new Map<number, string>();
  for (const a of desired.accounts) {
    if (a.uid >= config.minUid && disabledFor(a, SERVICE, desired.freezeKeep)) doomed.set(a.uid, a.username);
  }
  return doomed;
}

/**
 * Processes of disabled accounts (DESIGN.md §4, seed 000 §1.4): TERM, then
 * KILL after `graceSeconds`. A process is killed only when *every* one of
 * its UIDs (real, effective, saved, filesystem) belongs to a disabled
 * managed account at or above `minUid`: a setuid program a frozen user
 * started (passwd, su) runs with root or another user's UID and is left
 * alone, as is anything below UID 1000.
 */
export const processesTarget = defineTarget<ProcessesConfig, ProcessesObserved>({
  name: NAME,
  hostSettings: processesConfigSchema,
  // A freeze kills the processes unless freeze.keep lists them.
  services: [SERVICE],
  // A freeze first closes the doors (pam_listfile, crontab), so that nothing
  // new starts while this kills what still runs, and nothing restarts it.
  after: ['login', 'cron'],

  async observe(_ctx: TargetContext, config: ProcessesConfig, desired: DesiredHost): Promise<ProcessesObserved> {
    const managed = new Set(desired.accounts.filter((a) => a.uid >= config.minUid).map((a) => a.uid));
    return { processes: await listProcProcesses((uids) => uids.some((u) => managed.has(u))) };
  },

  plan(desired: DesiredHost, observed: ProcessesObserved, config: ProcessesConfig): readonly Change[] {
    const doomed = doomedUids(desired, config);
    const changes: Change[] = [];
    for (const p of observed.processes) {
      if (p.pid <= 1 || p.state === 'Z' || p.state === 'X') continue;
      if (!p.uids.every((u) => u >= config.minUid && doomed.has(u))) continue;
      const username = doomed.get(p.uids[0]) ?? String(p.uids[0]);
      const data: KillData = { pid: p.pid, startTime: p.startTime, uids: p.uids, username, command: p.command };
      changes.push({ target: NAME, action: 'kill', subject: `process:${p.pid}`, summary: `kill ${p.pid} of ${username}: ${p.command}`, destructive: false, data });
    }
    return changes;
  },

  async apply(_ctx: TargetContext, config: ProcessesConfig, changes: readonly Change[]): Promise<readonly ChangeResult[]> {
    const results = new Map<Change, ChangeResult>();
    const signalled = new Map<Change, KillDetail>();
    const fail = (change: Change, error: string): void => void results.set(change, { change, ok: false, error });

    for (const change of changes) {
      const d = change.data as KillData;
      const detail: KillDetail = { pid: d.pid, command: d.command, username: d.username, signal: null };
      try {
        // The PID may have been reused since the plan: signal only the same process (start time), still ours (UIDs).
        const now = await stillRunning(d.pid, d.startTime);
        if (now === null) {
          results.set(change, { change, ok: true, detail });
          continue;
        }
        if (now.uids.join('/') !== d.uids.join('/')) {
          fail(change, `process ${d.pid} changed UIDs to ${now.uids.join('/')} since the plan; not signalled`);
          continue;
        }
        process.kill(d.pid, 'SIGTERM');
        signalled.set(change, { ...detail, signal: 'SIGTERM' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ESRCH') results.set(change, { change, ok: true, detail });
        else fail(change, `SIGTERM ${d.pid}: ${errorMessage(e)}`);
      }
    }

    const alive = async (change: Change): Promise<boolean> => {
      const d = change.data as KillData;
      return (await stillRunning(d.pid, d.startTime)) !== null;
    };
    const waitGone = async (pending: Change[], ms: number): Promise<Change[]> => {
      const deadline = Date.now() + ms;
      let left = pending;
      for (;;) {
        const next: Change[] = [];
        for (const c of left) if (await alive(c)) next.push(c);
        left = next;
        if (left.length === 0 || Date.now() >= deadline) return left;
        await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
      }
    };

    const survivors = await waitGone([...signalled.keys()], config.graceSeconds * 1000);
    for (const change of survivors) {
      const d = change.data as KillData;
      try {
        process.kill(d.pid, 'SIGKILL');
        signalled.set(change, { ...(signalled.get(change) as KillDetail), signal: 'SIGKILL' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') fail(change, `SIGKILL ${d.pid}: ${errorMessage(e)}`);
      }
    }
    const stuck = new Set(await waitGone(survivors.filter((c) => !results.has(c)), AFTER_KILL_MS));
    for (const [change, detail] of signalled) {
      if (results.has(change)) continue;
      if (stuck.has(change)) fail(change, `process ${detail.pid} (${detail.command}) still runs ${AFTER_KILL_MS / 1000} s after SIGKILL (uninterruptible sleep?)`);
      else results.set(change, { change, ok: true, detail });
    }
    return changes.map((c) => results.get(c) ?? { change: c, ok: false, error: 'not processed' });
  },
});
