/**
 * A token bucket per API token (DESIGN.md §7 "rate limits per token"):
 * `burst` requests at once, refilled at `perSecond`. Kept in this process's
 * memory: with several `roster serve` processes each applies its own limit,
 * so the effective limit is N times this; a restart forgets the buckets.
 * Buckets idle long enough to be full again are dropped, so memory stays
 * bounded by the tokens active in the last few minutes.
 */
export class RateLimiter {
  readonly #perSecond: number;
  readonly #burst: number;
  readonly #buckets = new Map<number, { tokens: number; at: number }>();
  #lastSweep = 0;

  constructor(options: { readonly perSecond: number; readonly burst: number }) {
    this.#perSecond = options.perSecond;
    this.#burst = options.burst;
  }

  /** Takes one request from `key`'s bucket at `nowMs`: 0 when allowed, else the seconds to wait (for Retry-After). */
  take(key: number, nowMs: number): number {
    this.#sweep(nowMs);
    const b = this.#buckets.get(key) ?? { tokens: this.#burst, at: nowMs };
    b.tokens = Math.min(this.#burst, b.tokens + ((nowMs - b.at) / 1000) * this.#perSecond);
    b.at = nowMs;
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#perSecond));
  }

  #sweep(nowMs: number): void {
    if (nowMs - this.#lastSweep < 60_000) return;
    this.#lastSweep = nowMs;
    const full = (this.#burst / this.#perSecond) * 1000;
    for (const [key, b] of this.#buckets) if (nowMs - b.at > full) this.#buckets.delete(key);
  }
}
