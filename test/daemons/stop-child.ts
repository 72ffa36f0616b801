import type { ChildProcess } from 'node:child_process';

/**
 * Stops a daemon a test started as its own child: `signal` (the daemon's
 * clean or fast shutdown) to that child's PID, never to a name, then
 * SIGKILL if it is still there after `graceMs`; resolves once it exited.
 */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs = 20_000): Promise<void> {
  // Never started (no PID), or gone already: nothing to stop, and no exit to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const late = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(late);
}
