import { readFileSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { posix } from 'node:path';
import { writeFileAtomic } from '../../system/write-file-atomic.js';
import { lockedTurn, type BusyTurn } from './host-watch.js';
import type { TurnResult, WatchContext } from './watch-turn.js';
import { WatchStore } from './watch-store.js';

/** Processes between the apt process and this one: the shell apt runs the hook with, and the launcher. */
const INTERMEDIATE = new Set(['sh', 'dash', 'bash', 'zsh', 'busybox', 'env', 'timeout', 'node', 'nodejs', 'roster']);

/** Who ran apt, and how. */
export interface AptInvocation {
  /** The apt (or dpkg) process: the watch lock is held in its name between Pre- and Post-Invoke. */
  readonly pid: number | null;
  /** Its command line, e.g. `apt-get install nginx`. */
  readonly command: string;
  /** `SUDO_USER`, else the login user, else the user running it. */
  readonly user: string;
}

function readProc(proc: string, pid: number, file: string): string | null {
  try {
    return readFileSync(posix.join(proc, String(pid), file), 'latin1');
  } catch {
    return null;
  }
}

/** `comm` and parent of a process from /proc/PID/stat (the name is in parentheses and may hold spaces). */
function statOf(proc: string, pid: number): { readonly comm: string; readonly ppid: number } | null {
  const stat = readProc(proc, pid, 'stat');
  if (stat === null) return null;
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open === -1 || close === -1) return null;
  const ppid = Number(stat.slice(close + 2).split(' ')[1]);
  return { comm: stat.slice(open + 1, close), ppid: Number.isSafeInteger(ppid) ? ppid : 0 };
}

function loginUser(proc: string): string | null {
  const uid = readProc(proc, process.pid, 'loginuid')?.trim();
  // 4294967295: no login session (a daemon, a timer).
  if (uid === undefined || uid === '4294967295' || !/^\d+$/.test(uid)) return null;
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === uid);
    return line?.split(':')[0] ?? uid;
  } catch {
    return uid;
  }
}

/**
 * The apt run this hook belongs to (etckeeper reads the same): up the
 * process tree past the shell APT runs `DPkg::Pre-Invoke` commands with,
 * the first other process is apt (or aptitude, unattended-upgrades, dpkg);
 * its /proc cmdline is the command line. The user is `SUDO_USER`, else the
 * owner of the login session, else whoever runs this.
 */
export function aptInvocation(env: NodeJS.ProcessEnv, proc = '/proc'): AptInvocation {
  let pid = process.ppid;
  let found: number | null = null;
  for (let depth = 0; depth < 12 && pid > 1; depth++) {
    const st = statOf(proc, pid);
    if (st === null) break;
    if (!INTERMEDIATE.has(st.comm)) {
      found = pid;
      break;
    }
    pid = st.ppid;
  }
  const cmdline = found === null ? null : readProc(proc, found, 'cmdline');
  const command = cmdline === null ? 'apt (command line unknown)' : cmdline.split('\0').filter((a) => a !== '').join(' ') || 'apt (command line unknown)';
  let user = env.SUDO_USER;
  if (user === undefined || user === '') user = loginUser(proc) ?? undefined;
  if (user === undefined) {
    try {
      user = userInfo().username;
    } catch {
      user = String(process.getuid?.() ?? '?');
    }
  }
  return { pid: found, command: command.slice(0, 1000), user };
}

interface AptRun {
  readonly version: 1;
  readonly pid: number;
  readonly command: string;
  readonly user: string;
  readonly startedAt: string;
}

export type AptHookResult = TurnResult | BusyTurn | { readonly outcome: 'skipped'; readonly why: string };

function runFile(ws: WatchStore): string {
  return ws.path('apt-run.json');
}

function readRun(ws: WatchStore): AptRun | null {
  try {
    const run = JSON.parse(readFileSync(runFile(ws), 'utf8')) as Partial<Record<keyof AptRun, unknown>>;
    const { pid, command, user, startedAt } = run;
    return run.version === 1 && typeof pid === 'number' && Number.isSafeInteger(pid) && typeof command === 'string' && typeof user === 'string' && typeof startedAt === 'string' ? { version: 1, pid, command, user, startedAt } : null;
  } catch {
    return null;
  }
}

/**
 * `DPkg::Pre-Invoke`: a turn records what others changed until now, then
 * the watch lock stays held in the apt process's name (no turn runs while
 * dpkg works, so nothing it changes is taken for a person's edit), and the
 * command line and user are kept for Post-Invoke. Only where watching
 * started (the host's first `roster watch`): elsewhere it does nothing.
 */
export async function aptPre(ctx: WatchContext, invocation: AptInvocation, waitMs: number): Promise<AptHookResult> {
  const ws = new WatchStore(ctx.root);
  if (!ws.exists()) return { outcome: 'skipped', why: `no watch state in ${ws.dir} (roster watch never ran on this root)` };
  const owner = invocation.pid ?? process.ppid;
  const turn = await lockedTurn(ctx, { owner, keepLock: true, transitions: false, waitMs });
  if (turn.outcome === 'busy') return turn;
  const run: AptRun = { version: 1, pid: owner, command: invocation.command, user: invocation.user, startedAt: ctx.clock.now().toISOString() };
  await writeFileAtomic(runFile(ws), `${JSON.stringify(run)}\n`, { mode: 0o600 });
  return turn;
}

/**
 * `DPkg::Post-Invoke`: a turn that attributes everything changed since
 * Pre-Invoke (files and packages) to the apt run, then the lock is
 * released. Without the Pre-Invoke record of this same apt process (it
 * failed, or ran for another apt), an ordinary turn: nothing is attributed.
 */
export async function aptPost(ctx: WatchContext, invocation: AptInvocation, waitMs: number): Promise<AptHookResult> {
  const ws = new WatchStore(ctx.root);
  if (!ws.exists()) return { outcome: 'skipped', why: `no watch state in ${ws.dir} (roster watch never ran on this root)` };
  const run = readRun(ws);
  const owner = invocation.pid ?? process.ppid;
  if (run === null || run.pid !== owner) {
    if (run !== null) rmSync(runFile(ws), { force: true });
    return lockedTurn(ctx, { transitions: false, waitMs });
  }
  const turn = await lockedTurn(ctx, { owner, transitions: false, waitMs, cause: { kind: 'apt', at: run.startedAt, command: run.command, user: run.user } });
  rmSync(runFile(ws), { force: true });
  return turn;
}
