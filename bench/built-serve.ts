/**
 * The built `roster serve` (dist/roster.mjs, as installed) on a loopback
 * port, for the benches that measure the server process itself: its log
 * lines other than request lines are kept (the jobs' progress), and its CPU
 * is read from /proc by the PID the bench started.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { createApiToken } from '../src/app/api-tokens.js';
import type { openStore } from '../src/store/open-store.js';

export const BUILT_ROSTER = resolve(import.meta.dirname, '../dist/roster.mjs');

export interface BuiltServe {
  readonly url: string;
  readonly pid: number;
  /** Log lines other than one per request, in order (jobs, warnings). */
  readonly lines: readonly string[];
  /** Whether it still runs, and its last log lines: what a failed request cannot tell. */
  describe(): string;
  /** SIGTERM by its PID, and waits for its exit. */
  stop(): Promise<void>;
}

/**
 * BENCH_SERVER_PROFILE=dir: the node options that make a started `roster serve`
 * write a V8 CPU profile there when it stops (node --cpu-prof), to see where
 * a request's time goes.
 */
export function serverProfileArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = env.BENCH_SERVER_PROFILE;
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', resolve(dir)];
}

/** Starts `node dist/roster.mjs --config F serve --listen 127.0.0.1:0 ARGS` and resolves once it listens. */
export function startBuiltServe(configPath: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<BuiltServe> {
  if (!existsSync(BUILT_ROSTER)) return Promise.reject(new Error(`${BUILT_ROSTER} is missing: run npm run build first`));
  const { ROSTER_NOW: _now, ...rest } = env;
  const child = spawn(process.execPath, [...serverProfileArgs(env), BUILT_ROSTER, '--config', configPath, 'serve', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: rest });
  const lines: string[] = [];
  let partial = '';
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    const split = text.split('\n');
    partial = split.pop() ?? '';
    for (const l of split) if (l.trim() !== '' && !l.includes('"route"')) lines.push(l);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const describe = (): string => {
    const state = child.exitCode !== null || child.signalCode !== null ? `roster serve exited (${String(child.exitCode ?? child.signalCode)})` : 'roster serve still runs';
    return `${state}; its last log lines:\n${lines.slice(-10).join('\n')}`;
  };
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      void stop();
      fail(new Error(`roster serve did not start within 60 s: ${describe()}`));
    }, 60_000);
    child.stdout.on('data', () => {
      const m = /^listening on (\S+)$/m.exec(out);
      if (m?.[1] !== undefined && child.pid !== undefined) {
        clearTimeout(timer);
        ok({ url: m[1], pid: child.pid, lines, describe, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`roster serve exited ${String(code)}: ${describe()}`));
    });
  });
}

/** User plus system CPU of process `pid` so far, in seconds (/proc/PID/stat utime + stime; 100 ticks a second on Linux). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3 on: utime is field 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Whether process `pid` still runs (its /proc entry is there and it is not a zombie). */
export async function running(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

type OpenStore = typeof openStore;
type CreateApiToken = typeof createApiToken;

/**
 * openStore and createApiToken of the build the server runs (dist/), not of
 * the source tree: the store the bench makes has the schema that server
 * expects, even while the source has moved on since the build.
 */
export async function builtSetup(): Promise<{ readonly openStore: OpenStore; readonly createApiToken: CreateApiToken }> {
  const dist = resolve(import.meta.dirname, '../dist');
  if (!existsSync(join(dist, 'store/open-store.js'))) throw new Error(`${dist} has no build: run npm run build first`);
  const store = (await import(pathToFileURL(join(dist, 'store/open-store.js')).href)) as { openStore: OpenStore };
  const tokens = (await import(pathToFileURL(join(dist, 'app/api-tokens.js')).href)) as { createApiToken: CreateApiToken };
  return { openStore: store.openStore, createApiToken: tokens.createApiToken };
}
