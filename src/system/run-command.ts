import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit status; null when the program could not be started or was killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Why it did not run or finish (ENOENT, timeout, signal), for the change result. */
  readonly failure?: string;
}

/** How targets run external tools: an argument array, never a shell string (DESIGN.md §7). */
export type RunCommand = (argv: readonly string[], options?: { readonly timeoutMs?: number }) => Promise<CommandResult>;

const DEFAULT_TIMEOUT_MS = 60_000;

/** Runs `argv[0]` with the rest as arguments; never throws, so callers turn failures into per-change results. */
export const runCommand: RunCommand = (argv, options = {}) =>
  new Promise((resolve) => {
    const [program, ...args] = argv;
    if (program === undefined) {
      resolve({ code: null, stdout: '', stderr: '', failure: 'empty command' });
      return;
    }
    execFile(
      program,
      args,
      { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        const e = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string | null };
        if (typeof e.code === 'number') {
          resolve({ code: e.code, stdout, stderr });
          return;
        }
        const failure = e.killed === true ? `timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` : e.signal != null ? `killed by ${e.signal}` : `${program}: ${e.message}`;
        resolve({ code: null, stdout, stderr, failure });
      },
    );
  });

/** One line for a change result: the tool's own message, else why it did not run. */
export function commandProblem(argv: readonly string[], result: CommandResult): string {
  const said = result.stderr.trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join('; ');
  const how = result.failure ?? `exit ${result.code ?? '?'}`;
  return `${argv.join(' ')}: ${how}${said === '' ? '' : `: ${said}`}`;
}
