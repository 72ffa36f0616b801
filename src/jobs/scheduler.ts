import type { Clock } from '../domain/clock.js';
import { errorMessage } from '../domain/errors.js';
import { nextSlot } from './job-schedule.js';

/** The timer the scheduler sleeps on; injected so tests drive time themselves. */
export interface SchedulerTimer {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimer: SchedulerTimer = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ScheduledJob {
  readonly name: string;
  /** Five-field cron expression, read in `timeZone`. */
  readonly schedule: string;
}

export interface SchedulerOptions {
  readonly jobs: readonly ScheduledJob[];
  readonly timeZone: string;
  readonly clock: Clock;
  readonly timer?: SchedulerTimer;
  /**
   * Runs one job if it is due (runJobs with `job`): the store decides, so a
   * run already made by `roster jobs run` from cron is not repeated here.
   */
  readonly runDue: (job: string) => Promise<void>;
  readonly log: { warn(message: string): void };
  /** At start, give every job a chance to catch up on a missed slot (default true). */
  readonly catchUp?: boolean;
}

/** setTimeout takes at most 2^31 - 1 ms (24.8 days); longer waits are re-armed. */
const MAX_DELAY_MS = 2_147_483_647;

/**
 * The scheduler `roster serve` runs (DESIGN.md §5): sleeps until the next
 * instant any job's schedule names in the configured time zone (croner does
 * the calendar and DST), then runs the jobs that are due, one at a time.
 *
 * Time comes from the injected clock, never from the timer: a timer that
 * fires early (or a clock that was set back) finds nothing due and simply
 * sleeps again for the rest, so a 04:50 purge never runs at 04:49.
 */
export class JobScheduler {
  readonly #options: SchedulerOptions;
  readonly #timer: SchedulerTimer;
  #handle: unknown;
  #armedFor: Date | null = null;
  #queue: Promise<void> = Promise.resolve();
  #running = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#timer = options.timer ?? realTimer;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#options.catchUp !== false) for (const job of this.#options.jobs) this.#enqueue(job.name);
    this.#arm();
  }

  /** Stops the timer and waits for the job in progress, if any. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#handle !== undefined) this.#timer.clear(this.#handle);
    this.#handle = undefined;
    this.#armedFor = null;
    await this.#queue;
  }

  /** Resolves when every job started so far has finished. */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** When the timer is set to wake up next, or null when stopped. */
  get wakeAt(): Date | null {
    return this.#armedFor;
  }

  /** The next instant of each job's schedule after now. */
  nextRuns(): Array<{ readonly job: string; readonly at: Date | null }> {
    const now = this.#options.clock.now();
    return this.#options.jobs.map((j) => ({ job: j.name, at: nextSlot(j.schedule, this.#options.timeZone, now) }));
  }

  #enqueue(job: string): void {
    this.#queue = this.#queue.then(() =>
      this.#options.runDue(job).catch((e: unknown) => {
        this.#options.log.warn(`job ${job}: ${errorMessage(e)}`);
      }),
    );
  }

  #arm(): void {
    if (!this.#running) return;
    const now = this.#options.clock.now();
    const next = this.#options.jobs
      .map((j) => nextSlot(j.schedule, this.#options.timeZone, new Date(now.getTime() - 1)))
      .filter((d): d is Date => d !== null)
      .sort((a, b) => a.getTime() - b.getTime())[0];
    if (next === undefined) return;
    this.#armedFor = next;
    this.#handle = this.#timer.set(() => this.#fire(next), Math.min(MAX_DELAY_MS, Math.max(0, next.getTime() - now.getTime())));
  }

  #fire(target: Date): void {
    this.#handle = undefined;
    if (!this.#running) return;
    const now = this.#options.clock.now();
    if (now.getTime() >= target.getTime()) {
      // Every job whose slot has come; the runner checks the store, so a slot already run is skipped.
      for (const job of this.#options.jobs) {
        const slot = nextSlot(job.schedule, this.#options.timeZone, new Date(target.getTime() - 1));
        if (slot !== null && slot.getTime() <= now.getTime()) this.#enqueue(job.name);
      }
      // Sleep past this instant, once the jobs it started are done.
      void this.#queue.then(() => this.#armAfter(target));
      return;
    }
    this.#arm();
  }

  #armAfter(target: Date): void {
    if (!this.#running) return;
    const now = this.#options.clock.now();
    // Look from just past the target (or now, if the jobs ran long).
    const from = new Date(Math.max(now.getTime(), target.getTime()));
    const next = this.#options.jobs
      .map((j) => nextSlot(j.schedule, this.#options.timeZone, from))
      .filter((d): d is Date => d !== null)
      .sort((a, b) => a.getTime() - b.getTime())[0];
    if (next === undefined) return;
    this.#armedFor = next;
    this.#handle = this.#timer.set(() => this.#fire(next), Math.min(MAX_DELAY_MS, Math.max(0, next.getTime() - now.getTime())));
  }
}
