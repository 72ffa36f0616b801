import { fork, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import type { AppContext } from '../app/app-context.js';
import { RosterError } from '../domain/errors.js';
import { interruptRunsOf, runOwner } from './job-runs.js';
import type { JobName } from './job-names.js';
import type { JobReport } from './run-jobs.js';

/** The hidden command `roster serve` starts a job's worker with. */
export const JOB_WORKER_COMMAND = 'serve-job';

/**
 * How much nicer than the server a job's worker runs: on a busy CPU the
 * kernel gives REST and SCIM requests the time first, and a billing run over
 * 100,000 members takes what is left, as cron jobs beside a service do.
 */
export const WORKER_NICENESS = 10;

/** What a worker sends back over its IPC channel, once. */
export type JobWorkerMessage = { readonly kind: 'reports'; readonly reports: JobReport[] } | { readonly kind: 'failed'; readonly message: string };

export interface JobWorkerOptions {
  /** The server's context: its store marks the run of a worker that died. */
  readonly ctx: AppContext;
  /** The script this process was started from (`roster.mjs` of dist/ or /usr/lib/roster), run again for the worker. */
  readonly entry: string;
  /** Arguments that give the worker the server's config, database and clock (`--config F`, `--db URL`, `--now T`). */
  readonly globalArgs: readonly string[];
  /** The apply job's root prefix (`serve --root`). */
  readonly root: string;
  readonly log: { info(message: string, fields?: object): void };
}

function isMessage(value: unknown): value is JobWorkerMessage {
  return typeof value === 'object' && value !== null && ((value as { kind?: unknown }).kind === 'reports' || (value as { kind?: unknown }).kind === 'failed');
}

/** Gives the worker WORKER_NICENESS more than this process (at most 19); where that is refused the worker runs as it is, and the log says so. */
function lowerPriority(pid: number, log: JobWorkerOptions['log']): void {
  try {
    setPriority(pid, Math.min(19, getPriority() + WORKER_NICENESS));
  } catch (e) {
    log.info(`job worker ${pid}: its priority stays as it is (${e instanceof Error ? e.message : String(e)})`, { worker: pid });
  }
}

/**
 * Runs `roster serve`'s scheduled jobs off the server's event loop: each due
 * job runs in a child process of its own (the same roster script, started
 * with the hidden `serve-job` command), with its own store connection and the
 * server's roster.yaml, database, clock, targets and mail transport. So a
 * billing or purge run over 100,000 members does not make REST or SCIM
 * requests wait; it runs at a lower priority (WORKER_NICENESS), so it does
 * not take their CPU either. The server keeps the schedule, the metrics and
 * the log: the worker sends its reports back over the IPC channel and exits.
 *
 * One worker at a time (the scheduler runs one job at a time). A worker that
 * dies before it reports is logged, and its unfinished run is marked
 * `interrupted` at once, as a later claim would mark it; the next slot (or
 * `roster jobs run`) then finishes the work.
 */
export class JobWorkers {
  readonly #options: JobWorkerOptions;
  #child: ChildProcess | null = null;
  #stopping = false;

  constructor(options: JobWorkerOptions) {
    this.#options = options;
  }

  /** Runs `job` (if due) in a new worker; resolves with its reports, rejects when it failed or died. */
  async run(job: JobName): Promise<JobReport[]> {
    if (this.#stopping) return [];
    const { ctx, entry, globalArgs, root, log } = this.#options;
    // stdout of `roster serve` says where to look: the worker's output goes to stderr with the logs.
    const child = fork(entry, [...globalArgs, JOB_WORKER_COMMAND, job, '--root', root], { stdio: ['ignore', 2, 'inherit', 'ipc'], serialization: 'advanced' });
    this.#child = child;
    const pid = child.pid;
    if (pid !== undefined) {
      lowerPriority(pid, log);
      log.info(`job ${job}: worker ${pid} started`, { job, worker: pid });
    }
    let answer: JobWorkerMessage | null = null;
    child.on('message', (m: unknown) => {
      if (answer === null && isMessage(m)) answer = m;
    });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.#child = null;
    const reply = answer as JobWorkerMessage | null;
    if (reply?.kind === 'reports') return reply.reports;
    if (reply?.kind === 'failed') throw new RosterError('internal', reply.message);
    const how = exit.error !== undefined ? `could not start: ${exit.error.message}` : exit.signal !== null ? `was stopped by ${exit.signal}` : `exited with code ${String(exit.code)}`;
    const marked = pid === undefined ? [] : await interruptRunsOf(ctx, job, runOwner(pid));
    // The scheduler logs this as `job JOB: …`.
    throw new RosterError('internal', `worker ${pid ?? '-'} ${how} before it reported${marked.length === 0 ? '' : `; run #${marked.join(', #')} marked interrupted`}`);
  }

  /** Stops the running worker, if any, by the PID it was started with; its run is marked interrupted. */
  stop(): void {
    this.#stopping = true;
    const child = this.#child;
    if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}
