/**
 * What the benches that run roster and other tools as processes share: the
 * clock, running a program, and reading `roster … --json` apply reports.
 */
import { execFile } from 'node:child_process';

export function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function ms(s: number): string {
  return `${(s * 1000).toFixed(0)} ms`;
}

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end; never throws (the caller judges the exit code). Output up to 1 GiB (an LDIF of 200,000 entries). */
export function runProgram(file: string, args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, maxBuffer: 1024 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr: error !== null && stderr === '' ? error.message : stderr });
    });
  });
}

export async function mustRun(file: string, args: readonly string[]): Promise<string> {
  const r = await runProgram(file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.code}: ${r.stderr.slice(-1000)}`);
  return r.stdout;
}

/** What `--json` of an apply says (roster apply, and `apply` of the account commands). */
export interface ApplyJson {
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  readonly widened?: string;
  readonly outcomes: ReadonlyArray<{ readonly target: string; readonly action: string; readonly summary: string; readonly status: string; readonly error?: string }>;
}

/** The first changes that did not go through, for an error message. */
export function failures(a: ApplyJson): string {
  return a.outcomes
    .filter((o) => o.status !== 'ok')
    .slice(0, 5)
    .map((o) => `${o.status} ${o.target} ${o.summary}: ${o.error ?? ''}`)
    .join('; ');
}

/** What a bench started (daemons, temp dirs, stores), undone last first by `done`, also when the bench is interrupted. */
export interface Teardown {
  readonly stops: Array<() => Promise<unknown>>;
  /** Stops everything in `stops`, last first, and forgets the signal handlers. */
  done(): Promise<void>;
}

/** A teardown for the bench `name`: ^C or a timeout's SIGTERM stops what it started, by their PIDs, before the process exits. */
export function teardownOnSignal(name: string): Teardown {
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      await stop().catch((e: unknown) => process.stderr.write(`${name} bench: stopping: ${String(e)}\n`));
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    stops,
    async done() {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await stopAll();
    },
  };
}
