import type * as z from 'zod';
import type { Clock } from '../domain/clock.js';
import type { DesiredHost } from '../desired/desired-host.js';

/**
 * Thrown by a target's `plan` when the desired state is scoped to some
 * accounts (`DesiredHost.scope`) and the target cannot make exactly what a
 * whole-host plan would make for them; the pipeline then plans the whole host.
 */
export class WholeHostNeeded extends Error {
  constructor(readonly target: string, readonly why: string) {
    super(`${target}: ${why}`);
    this.name = 'WholeHostNeeded';
  }
}

export interface TargetLog {
  info(message: string): void;
  warn(message: string): void;
}

/** What a target may touch: everything under `root` (like `useradd -R`), nothing else. */
export interface TargetContext {
  /** Absolute root prefix; `/` on a real host. */
  readonly root: string;
  readonly host: string;
  readonly clock: Clock;
  readonly log: TargetLog;
}

/**
 * One step of a plan: data that can be printed, checked and applied
 * (DESIGN.md §9.3). `data` is private to the target that made it.
 */
export interface Change {
  readonly target: string;
  /** e.g. `create`, `update`, `delete`, `lock`, `archive`, `kill`, `run-hook`. */
  readonly action: string;
  /** What it is about: `user:alice`, `group:students`, `file:/etc/security/limits.d/roster.conf`. */
  readonly subject: string;
  /** One line for people. */
  readonly summary: string;
  /** True for changes that remove or retire something (for the circuit breaker). */
  readonly destructive: boolean;
  /**
   * The account (username) the change is about, if any. The pipeline counts
   * accounts for the circuit breaker by it, and skips an account's later
   * changes once one of its changes failed (no passwd removal after a failed
   * archive). When absent, a `user:<name>` subject names the account.
   */
  readonly account?: string;
  /**
   * A change planned on every run by design (an `onEnsure` hook): it is shown
   * and applied, but is not drift, so it does not make a plan "pending".
   */
  readonly recurring?: boolean;
  readonly data?: unknown;
}

export interface ChangeResult {
  readonly change: Change;
  readonly ok: boolean;
  readonly error?: string;
  /** Captured output (hooks) or what was done (killed PIDs …). */
  readonly detail?: unknown;
  /** Done, but not quite as configured (a skeleton file that is not there): shown in the report and kept in the audit. */
  readonly warnings?: readonly string[];
}

/**
 * A target turns the desired state into reality (DESIGN.md §1): `observe`
 * reads the system, `plan` is pure, `apply` is the only side effect and is
 * idempotent. Each target brings its own config schema (§9.8); the core
 * never switches on a target's kind.
 */
export interface Target<Config = unknown, Observed = unknown> {
  readonly name: string;
  readonly configSchema: z.ZodType<Config>;
  observe(ctx: TargetContext, config: Config, desired: DesiredHost): Promise<Observed>;
  /** Throws WholeHostNeeded only for a scoped desired state it cannot plan exactly. */
  plan(desired: DesiredHost, observed: Observed, config: Config): readonly Change[];
  /** Applies changes made by this target's `plan`; one result per change, never throws half-way. */
  apply(ctx: TargetContext, config: Config, changes: readonly Change[], desired: DesiredHost): Promise<readonly ChangeResult[]>;
}
