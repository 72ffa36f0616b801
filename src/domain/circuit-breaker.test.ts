import { describe, expect, it } from 'vitest';
import { breakerLimit, checkBreaker } from './circuit-breaker.js';

const breaker = { count: 50, percent: 5 };

describe('breakerLimit', () => {
  it('is max(count, ceil(percent % of total))', () => {
    expect(breakerLimit(0, breaker)).toBe(50);
    expect(breakerLimit(1000, breaker)).toBe(50);
    expect(breakerLimit(1001, breaker)).toBe(51);
    expect(breakerLimit(4000, breaker)).toBe(200);
    expect(breakerLimit(4001, breaker)).toBe(201);
  });

  it('does not round a floating-point hair up', () => {
    expect(breakerLimit(3000, { count: 0, percent: 0.1 })).toBe(3);
    expect(breakerLimit(3001, { count: 0, percent: 0.1 })).toBe(4);
    expect(breakerLimit(100, { count: 0, percent: 7 })).toBe(7);
  });
});

describe('checkBreaker', () => {
  it('lets runs at or under the limit through', () => {
    expect(checkBreaker({ action: 'purge', affected: 200, total: 4000, breaker, allowMassChange: false })).toEqual({ ok: true });
    expect(checkBreaker({ action: 'retire', affected: 0, total: 0, breaker, allowMassChange: false })).toEqual({ ok: true });
  });

  it('stops a mass change and says how to proceed', () => {
    expect(checkBreaker({ action: 'purge', affected: 812, total: 4000, breaker, allowMassChange: false })).toEqual({
      ok: false,
      limit: 200,
      message: 'would purge 812 of 4000 accounts, over the limit of 200 (max(50, 5 % of 4000)); re-run with --allow-mass-change after checking the input',
    });
  });

  it('an empty roster file would retire the whole school: stopped', () => {
    const verdict = checkBreaker({ action: 'retire', affected: 4000, total: 4000, breaker, allowMassChange: false });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.message).toMatch(/^would retire 4000 of 4000 accounts/);
  });

  it('an explicit --allow-mass-change lets it through', () => {
    expect(checkBreaker({ action: 'remove', affected: 4000, total: 4000, breaker, allowMassChange: true })).toEqual({ ok: true });
  });
});
