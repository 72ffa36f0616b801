import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROSTER_MAIN = resolve(import.meta.dirname, '../dist/roster.mjs');

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RosterSandbox {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  run(args: readonly string[], options?: { readonly stdin?: string; readonly env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  json<T = unknown>(args: readonly string[], options?: { readonly stdin?: string }): Promise<T>;
  /** Runs a command that must succeed saying nothing on stderr; its stdout. */
  ok(args: readonly string[], stdin?: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** Runs the built `roster` command in a fresh directory with its own roster.yaml and database. */
export async function rosterSandbox(options: { readonly tz?: string; readonly init?: boolean } = {}): Promise<RosterSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-cli-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TZ: options.tz ?? 'UTC', ROSTER_CONFIG: join(dir, 'roster.yaml') };
  const run = (args: readonly string[], o: { readonly stdin?: string; readonly env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> =>
    new Promise((resolvePromise) => {
      const child = execFile(process.execPath, [ROSTER_MAIN, ...args], { cwd: dir, env: { ...env, ...o.env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolvePromise({ code, stdout, stderr });
      });
      child.stdin?.end(o.stdin ?? '');
    });
  const sandbox: RosterSandbox = {
    dir,
    env,
    run,
    async json<T>(args: readonly string[], o: { readonly stdin?: string } = {}): Promise<T> {
      const r = await run([...args, '--json'], o);
      if (r.code !== 0) throw new Error(`roster ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    async ok(args: readonly string[], stdin?: string): Promise<string> {
      const r = await run(args, stdin === undefined ? {} : { stdin });
      if (r.code !== 0 || r.stderr !== '') throw new Error(`roster ${args.join(' ')} exited ${r.code}, saying on stderr: ${r.stderr}`);
      return r.stdout;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  if (options.init !== false) {
    const r = await run(['init', '--dir', dir]);
    if (r.code !== 0) throw new Error(`roster init failed: ${r.stderr}`);
  }
  return sandbox;
}
