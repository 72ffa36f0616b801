import { spawn } from 'node:child_process';

export interface HookOutcome {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Why it failed to start (ENOENT, EACCES …). */
  readonly error?: string;
}

/** Grace between SIGTERM and SIGKILL after a timeout. */
const KILL_GRACE_MS = 2000;

class Capture {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #dropped = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    const room = this.limit - this.#kept;
    if (room > 0) {
      const part = chunk.subarray(0, room);
      this.#chunks.push(part);
      this.#kept += part.length;
    }
    this.#dropped += Math.max(0, chunk.length - Math.max(0, room));
  }

  text(): string {
    const text = Buffer.concat(this.#chunks).toString('utf8');
    return this.#dropped > 0 ? `${text}\n[… ${this.#dropped} more bytes not kept]` : text;
  }
}

/**
 * Runs an admin hook (RATS step 16) as an argument vector, never through a
 * shell (DESIGN.md §7), with only the environment given (so DATABASE_URL
 * and keys in Roster's own environment never reach it). It gets its own
 * process group, and on timeout that group — the hook's own children
 * included — gets SIGTERM, then SIGKILL after a grace; only the group of the
 * process started here is signalled, and only while it runs.
 */
export function runHook(argv: readonly string[], env: Readonly<Record<string, string>>, timeoutSeconds: number, maxOutputBytes: number): Promise<HookOutcome> {
  const [program, ...args] = argv;
  const started = process.hrtime.bigint();
  const elapsed = (): number => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  return new Promise((resolve) => {
    if (program === undefined) {
      resolve({ ok: false, exitCode: null, signal: null, timedOut: false, durationMs: 0, stdout: '', stderr: '', error: 'empty argv' });
      return;
    }
    const stdout = new Capture(maxOutputBytes);
    const stderr = new Capture(maxOutputBytes);
    const child = spawn(program, args, { env: { ...env }, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], detached: true, shell: false });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    let startError: string | undefined;
    const signalGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
    }, timeoutSeconds * 1000);
    child.stdout.on('data', (c: Buffer) => stdout.add(c));
    child.stderr.on('data', (c: Buffer) => stderr.add(c));
    child.on('error', (e) => {
      startError = e.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      resolve({
        ok: code === 0 && !timedOut && startError === undefined,
        exitCode: code,
        signal,
        timedOut,
        durationMs: elapsed(),
        stdout: stdout.text(),
        stderr: stderr.text(),
        ...(startError === undefined ? {} : { error: startError }),
      });
    });
  });
}
