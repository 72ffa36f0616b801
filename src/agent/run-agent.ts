import { setTimeout as sleep } from 'node:timers/promises';
import { asRosterError, type RosterError } from '../domain/errors.js';
import { agentCycle, type AgentDeps, type AgentSettings, type CycleResult } from './agent-cycle.js';
import { AgentStateFile } from './agent-state.js';

export interface AgentTiming {
  /** Between polls while the server answers (default 60 s). */
  readonly intervalMs: number;
  /** How often the host is re-applied (and drift corrected) without a new revision (default 10 min). */
  readonly driftIntervalMs: number;
  /** Longest wait between attempts while the server is down (default 5 min). */
  readonly maxBackoffMs: number;
  /** How often usage is measured and sent, after an apply (default a day); absent: never. */
  readonly usageIntervalMs?: number;
  /** How often a watch turn is taken (`roster watch`, default 5 min); absent: never. */
  readonly watchIntervalMs?: number;
}

/**
 * The wait before the next poll: the interval while all is well; after
 * failures, from min(interval, 5 s) doubling per failure up to the
 * maximum, each spread by ±20 % so agents that lost the same server do not
 * come back in step.
 */
export function nextDelay(timing: AgentTiming, failures: number, random: () => number = Math.random): number {
  const jitter = 0.8 + 0.4 * random();
  if (failures === 0) return Math.round(timing.intervalMs * jitter);
  const base = Math.min(timing.intervalMs, 5_000);
  return Math.round(Math.min(timing.maxBackoffMs, base * 2 ** Math.min(failures - 1, 30)) * jitter);
}

/** Errors that retrying will not fix: the token or host is wrong. */
function permanent(e: RosterError | null): boolean {
  return e !== null && (e.code === 'unauthorized' || e.code === 'forbidden' || e.code === 'not_found');
}

export interface AgentLoopOptions {
  readonly timing: AgentTiming;
  readonly signal: AbortSignal;
  /** Called after each turn (logging, tests). */
  readonly onCycle?: (result: CycleResult | null, error: RosterError | null, delayMs: number) => void;
}

/**
 * `roster agent` as a service: poll, apply, report, sleep — until the
 * signal aborts (SIGTERM), finishing the turn in progress first. The first
 * turn always applies (from disk when the server is down), so a host that
 * booted converges at once; later turns re-apply every `driftIntervalMs`,
 * and measure usage after an apply every `usageIntervalMs`.
 */
export async function runAgent(settings: AgentSettings, deps: AgentDeps, options: AgentLoopOptions): Promise<void> {
  const file = AgentStateFile.open(settings.statePath, (m) => deps.log.warn(m));
  try {
    await loop(settings, deps, options, file);
  } finally {
    file.close();
  }
}

async function loop(settings: AgentSettings, deps: AgentDeps, options: AgentLoopOptions, file: AgentStateFile): Promise<void> {
  let failures = 0;
  let lastApply = Number.NEGATIVE_INFINITY;
  let lastUsage = Number.NEGATIVE_INFINITY;
  let lastWatch = Number.NEGATIVE_INFINITY;
  const usageEvery = options.timing.usageIntervalMs;
  const watchEvery = options.timing.watchIntervalMs;
  while (!options.signal.aborted) {
    const now = Date.now();
    let result: CycleResult | null = null;
    let error: RosterError | null = null;
    try {
      const measureUsage = usageEvery !== undefined && now - lastUsage >= usageEvery;
      const watch = watchEvery !== undefined && now - lastWatch >= watchEvery;
      const turn = await agentCycle(settings, deps, file, { force: now - lastApply >= options.timing.driftIntervalMs, measureUsage, watch });
      if (watch) lastWatch = now;
      result = turn.result;
      if (result.applied !== null || result.applyError !== null) lastApply = now;
      // Measured again at the next apply when the server did not take the figures.
      if (result.usage?.sent === true || (result.usage !== null && result.usage.targets === 0)) lastUsage = now;
      failures = result.reached ? 0 : failures + 1;
      if (permanent(result.serverError)) error = result.serverError;
    } catch (e) {
      error = asRosterError(e);
      failures++;
    }
    const delay = nextDelay(options.timing, failures);
    options.onCycle?.(result, error, delay);
    try {
      await sleep(delay, undefined, { signal: options.signal });
    } catch {
      // Aborted: stop.
    }
  }
}
