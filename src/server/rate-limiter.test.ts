import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then asks to wait for the refill, per key', () => {
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 });
    expect([0, 0, 0].map(() => limiter.take(1, 1000))).toEqual([0, 0, 0]);
    expect(limiter.take(1, 1000)).toBe(1);
    // Another token has its own bucket.
    expect(limiter.take(2, 1000)).toBe(0);
    // Half a second refills one request at 2 per second.
    expect(limiter.take(1, 1500)).toBe(0);
    expect(limiter.take(1, 1500)).toBe(1);
  });

  it('rounds a long wait up to whole seconds', () => {
    const limiter = new RateLimiter({ perSecond: 0.1, burst: 1 });
    expect(limiter.take(7, 0)).toBe(0);
    expect(limiter.take(7, 0)).toBe(10);
    expect(limiter.take(7, 5_000)).toBe(5);
    expect(limiter.take(7, 10_000)).toBe(0);
  });

  it('never lets a bucket hold more than the burst', () => {
    const limiter = new RateLimiter({ perSecond: 100, burst: 2 });
    limiter.take(1, 0);
    const later = 3_600_000;
    expect([limiter.take(1, later), limiter.take(1, later), limiter.take(1, later)]).toEqual([0, 0, 1]);
  });
});
