import type { ApiToken } from '../store/queries/token-queries.js';
import type { TokenReads } from '../store/store.js';
import { authenticateToken, revocationsMade } from './api-tokens.js';

/**
 * How long a server takes a token it has read on trust. Short enough that a
 * token revoked by another process (`roster token revoke`, a second server
 * on the same database) is refused within a second; long enough that a busy
 * client costs one token read a second instead of one per request.
 */
export const VERIFIED_TOKEN_MS = 1000;

interface Entry {
  token: ApiToken;
  /** performance.now() after which the row is read again. */
  readonly until: number;
  /** revocationsMade() before the row was read: another revocation in this process since makes the entry stale at once. */
  readonly revocations: number;
}

/**
 * The tokens one server has verified lately, with their rows, so a request
 * does not read its token from the database (issue 17: SCIM GET by id at
 * 5,000 requests/s). What is kept is only what a read just gave: expiry is
 * still checked on every request against the request's clock, a revocation
 * made in this process empties the memory of every token at once, one made
 * elsewhere is seen within VERIFIED_TOKEN_MS, and tokens that are unknown,
 * revoked or expired are never kept (each such request reads, as before).
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #monotonic: () => number;
  #lastSweep = 0;

  constructor(options: { readonly ttlMs?: number; readonly monotonic?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? VERIFIED_TOKEN_MS;
    this.#monotonic = options.monotonic ?? (() => performance.now());
  }

  /** authenticateToken, answered from memory while the token's entry is fresh. */
  async authenticate(q: TokenReads, presented: string, now: Date): Promise<ApiToken | undefined> {
    const at = this.#monotonic();
    this.#sweep(at);
    // Keyed by the token as presented, not its hash: a hash per request costs more than the rest of this check, and the
    // bearer is in this process's memory anyway while its request is; an entry is gone within ten seconds of its last use.
    const key = presented;
    const seen = this.#entries.get(key);
    if (seen !== undefined && seen.until > at && seen.revocations === revocationsMade()) {
      // The row is the one read; its expiry is the request's to judge.
      return seen.token.expiresAt !== null && seen.token.expiresAt <= now.toISOString() ? undefined : seen.token;
    }
    // Counted before the read: a revocation committed while it runs is counted after it, so the entry is stale at once.
    const revocations = revocationsMade();
    const token = await authenticateToken(q, presented, now);
    if (token === undefined) this.#entries.delete(key);
    else this.#entries.set(key, { token, until: at + this.#ttlMs, revocations });
    return token;
  }

  /**
   * The kept row's last use, once recordTokenUse has recorded it (or found
   * it recorded by another request): without it the requests after would
   * try that write again until the entry runs out.
   */
  used(token: ApiToken, at: Date): void {
    // Rare (once per token every few minutes): the few entries are looked through by row.
    for (const seen of this.#entries.values()) if (seen.token.id === token.id) seen.token = { ...seen.token, lastUsedAt: at.toISOString() };
  }

  /** Entries run out after a second; the map is swept now and then, so it holds only the tokens in use. */
  #sweep(at: number): void {
    if (at - this.#lastSweep < 10 * this.#ttlMs) return;
    this.#lastSweep = at;
    for (const [key, e] of this.#entries) if (e.until <= at) this.#entries.delete(key);
  }
}
