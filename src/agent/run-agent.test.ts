import { describe, expect, it } from 'vitest';
import { nextDelay } from './run-agent.js';

describe('nextDelay', () => {
  const timing = { intervalMs: 60_000, driftIntervalMs: 600_000, maxBackoffMs: 300_000 };
  it('waits the interval while the server answers, spread by ±20 %', () => {
    expect(nextDelay(timing, 0, () => 0)).toBe(48_000);
    expect(nextDelay(timing, 0, () => 0.5)).toBe(60_000);
    expect(nextDelay(timing, 0, () => 1)).toBe(72_000);
  });
  it('backs off from 5 s, doubling per failure, up to the maximum', () => {
    const mid = (failures: number): number => nextDelay(timing, failures, () => 0.5);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(mid)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });
  it('never backs off from more than the interval itself', () => {
    expect(nextDelay({ ...timing, intervalMs: 1_000 }, 1, () => 0.5)).toBe(1_000);
  });
});
