import { spawn, type ChildProcess } from 'node:child_process';
import { ROSTER_MAIN, type RosterSandbox } from './roster-cli.js';

/** A `roster serve` process a test started, and what it printed so far. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stdout(): string;
  stderr(): string;
}

/**
 * Starts `roster serve` in the sandbox (default: a free loopback port) and
 * resolves once it prints where it listens.
 */
export function startServe(sb: RosterSandbox, options: { readonly env?: NodeJS.ProcessEnv; readonly listen?: string; readonly args?: readonly string[] } = {}): Promise<ServeProcess> {
  const args = [ROSTER_MAIN, 'serve', '--listen', options.listen ?? '127.0.0.1:0', ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { cwd: sb.dir, env: { ...sb.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`roster serve did not start in 30 s: ${err}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /^listening on (\S+)$/m.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ child, url: m[1], stdout: () => out, stderr: () => err });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`roster serve exited ${String(code)}: ${err}`));
    });
  });
}

/** Stops a child by the PID this test started and waits for it; resolves with its exit code. */
export async function stopChild(child: ChildProcess | undefined): Promise<number | null> {
  if (child === undefined) return null;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}
