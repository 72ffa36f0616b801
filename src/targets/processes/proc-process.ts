import { readFileSync, readdirSync } from 'node:fs';

/** One process as /proc shows it; the root prefix never applies here (there is one /proc per kernel). */
export interface ProcProcess {
  readonly pid: number;
  /** Real, effective, saved and filesystem UID (proc(5) "Uid:" line). */
  readonly uids: readonly [number, number, number, number];
  /** Clock ticks since boot (field 22 of /proc/PID/stat): with the PID, identifies the process across PID reuse. */
  readonly startTime: string;
  /** One-letter state (R, S, D, Z, …). */
  readonly state: string;
  /** The command line, or `[comm]` for kernel threads and processes that cleared it. */
  readonly command: string;
}

const MAX_COMMAND = 200;

/**
 * Reads one process, or null when it is gone (it may exit at any point
 * between readdir and read) or its UIDs fail `keep` (checked before reading
 * the rest, so a scan of the whole host stays cheap).
 */
export async function readProcProcess(pid: number, keep: (uids: readonly number[]) => boolean = () => true): Promise<ProcProcess | null> {
  try {
    // /proc files are made on read, in memory: synchronous reads cost microseconds, thread-pool round trips far more.
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/m.exec(status);
    if (uids === null || !keep([Number(uids[1]), Number(uids[2]), Number(uids[3]), Number(uids[4])])) return null;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    let cmdline: Buffer;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`);
    } catch {
      cmdline = Buffer.alloc(0);
    }
    // comm is in parentheses and may itself contain ')' and spaces: the last ')' ends it.
    const close = stat.lastIndexOf(')');
    if (close < 0) return null;
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const state = fields[0] ?? '?';
    const startTime = fields[19] ?? '';
    let command = cmdline.toString('utf8').split('\0').filter((s) => s !== '').join(' ');
    if (command === '') command = `[${comm}]`;
    if (command.length > MAX_COMMAND) command = `${command.slice(0, MAX_COMMAND - 1)}…`;
    return { pid, uids: [Number(uids[1]), Number(uids[2]), Number(uids[3]), Number(uids[4])], startTime, state, command };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return null;
    throw e;
  }
}

/** Every process whose UIDs pass `keep`; kernel threads and vanished processes drop out on the way. */
export async function listProcProcesses(keep: (uids: readonly number[]) => boolean): Promise<ProcProcess[]> {
  const out: ProcProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = await readProcProcess(Number(entry), keep);
    if (p !== null) out.push(p);
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** True while `pid` is still the process that was planned and has not exited (a zombie has exited). */
export async function stillRunning(pid: number, startTime: string): Promise<ProcProcess | null> {
  const p = await readProcProcess(pid);
  return p !== null && p.startTime === startTime && p.state !== 'Z' && p.state !== 'X' ? p : null;
}
