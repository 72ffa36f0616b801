import { recordTokenUse, tokenUseDue } from '../app/api-tokens.js';
import { VerifiedTokens } from '../app/verified-tokens.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import type { TokenRole } from '../store/queries/token-queries.js';
import { RateLimiter } from './rate-limiter.js';
import { principalOf, type Principal, type ServerDeps } from './server-deps.js';

export type AuthOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly error: RosterError; readonly headers: Readonly<Record<string, string>> };

const CHALLENGE = { 'www-authenticate': 'Bearer realm="roster"' };

/** What one server keeps between requests to admit them: the rate limit's buckets and the tokens it verified lately. */
export interface RequestGate {
  readonly limiter: RateLimiter;
  readonly tokens: VerifiedTokens;
}

/** A server's gate, with the rate limit of roster.yaml (server.rateLimit). */
export function requestGate(deps: ServerDeps): RequestGate {
  return { limiter: new RateLimiter(deps.config.server.rateLimit), tokens: new VerifiedTokens() };
}

/**
 * Every request is checked before it reaches a use case (DESIGN.md §7):
 * a missing, unknown, revoked or expired token is 401; a token over its
 * rate is 429 with Retry-After; a role the endpoint does not admit is 403.
 * None of these has a side effect (no audit record, no write): refusals
 * are logged by the caller only. An admitted request records when its
 * token was last used (at most every few minutes, recordTokenUse).
 */
export async function authenticateRequest(deps: ServerDeps, gate: RequestGate, authorization: string | undefined, roles: readonly TokenRole[]): Promise<AuthOutcome> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (m?.[1] === undefined) return { ok: false, error: new RosterError('unauthorized', 'send an API token as "Authorization: Bearer <token>" (roster token create)'), headers: CHALLENGE };
  const now = deps.clock.now();
  const token = await gate.tokens.authenticate(deps.store.read, m[1], now);
  if (token === undefined) return { ok: false, error: new RosterError('unauthorized', 'the token is unknown, revoked or expired'), headers: CHALLENGE };
  const wait = gate.limiter.take(token.id, Date.now());
  if (wait > 0) return { ok: false, error: new RosterError('rate_limited', `token ${token.id} is over its rate limit; retry in ${wait} s`), headers: { 'retry-after': String(wait) } };
  if (!roles.includes(token.role)) {
    return { ok: false, error: new RosterError('forbidden', `a ${token.role} token may not do this (allowed: ${roles.join(', ')})`), headers: {} };
  }
  // The token list shows when each was last used. Awaited, so the write
  // is done when the answer is (at most once per token every few minutes:
  // a long run writes in batches and lets it through between them); one
  // that fails is logged, never fails the request, and the next use records it.
  // The kept row then shows the use (written here or by another request), so the requests after do not try again.
  if (tokenUseDue(token, now)) {
    await recordTokenUse(deps.store, token, now).then(
      () => gate.tokens.used(token, now),
      (e: unknown) => deps.log.warn(`could not record the use of token ${token.id}: ${errorMessage(e)}`),
    );
  }
  return { ok: true, principal: principalOf(token) };
}

/** Object-level check for host endpoints: an agent token acts for its own host only. */
export function hostAllowed(principal: Principal, host: string): boolean {
  return principal.token.role !== 'agent' || principal.token.host === host;
}
