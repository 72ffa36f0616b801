import { createHash, randomBytes } from 'node:crypto';
import { RosterError } from '../domain/errors.js';
import { TOKEN_ROLES, type ApiToken, type TokenRole } from '../store/queries/token-queries.js';
import type { Store, TokenReads } from '../store/store.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';

/**
 * API tokens (DESIGN.md §5 "Auth"): 256 random bits, shown once, stored
 * only as their SHA-256. A plain hash is enough here: unlike a password, a
 * token has full entropy, so the hash cannot be brute-forced back.
 */

/** Recognisable in logs and secret scanners; the rest is base64url of 32 random bytes. */
const PREFIX = 'roster_';
const TOKEN_SHAPE = /^roster_[A-Za-z0-9_-]{43}$/;
const NOTE = /^[^\u0000-\u001f\u007f]{0,200}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The public view of a token: never the hash. */
export interface TokenView {
  readonly id: number;
  readonly role: TokenRole;
  readonly host: string | null;
  readonly note: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  /** When a request last presented it, to within USE_RECORDED_EVERY_MS; null if none has. */
  readonly lastUsedAt: string | null;
}

export function tokenView(t: ApiToken): TokenView {
  return { id: t.id, role: t.role, host: t.host, note: t.note, createdAt: t.createdAt, createdBy: t.createdBy, expiresAt: t.expiresAt, revokedAt: t.revokedAt, lastUsedAt: t.lastUsedAt };
}

/** `90d`, `12h`, `30m` or `never` (null). */
export function parseExpiry(text: string, now: Date, field = '--expires'): Date | null {
  if (text === 'never') return null;
  const m = /^(\d{1,5})([dhm])$/.exec(text.trim());
  if (m === null || Number(m[1]) === 0) {
    throw new RosterError('usage', `${field} "${printable(text)}" must be a duration such as 90d, 12h or 30m, or never`, [{ where: field, message: 'expected e.g. 90d' }]);
  }
  const unit = m[2] === 'd' ? 86_400_000 : m[2] === 'h' ? 3_600_000 : 60_000;
  return new Date(now.getTime() + Number(m[1]) * unit);
}

export interface CreateTokenInput {
  readonly role: string;
  readonly host?: string | undefined;
  /** Default 90d. */
  readonly expires?: string | undefined;
  readonly note?: string | undefined;
}

export interface CreatedToken {
  /** Shown once; Roster keeps only its hash. */
  readonly token: string;
  readonly record: TokenView;
}

export async function createApiToken(ctx: AppContext, input: CreateTokenInput, options: MutationOptions = {}): Promise<CreatedToken> {
  const role = TOKEN_ROLES.find((r) => r === input.role);
  if (role === undefined) throw new RosterError('usage', `--role "${printable(input.role)}" is not one of ${TOKEN_ROLES.join(', ')}`, [{ where: '--role', message: 'unknown role' }]);
  if (role === 'agent') {
    if (input.host === undefined) throw new RosterError('usage', 'an agent token acts for one host: pass --host', [{ where: '--host', message: 'required for --role agent' }]);
    if (ctx.config.hosts[input.host] === undefined) {
      throw new RosterError('not_found', `host "${printable(input.host)}" is not declared under hosts in roster.yaml (declared: ${Object.keys(ctx.config.hosts).join(', ') || 'none'})`, [{ where: '--host', message: 'unknown host' }]);
    }
  } else if (input.host !== undefined) {
    throw new RosterError('usage', `--host is only for agent tokens, not ${role}`, [{ where: '--host', message: 'only with --role agent' }]);
  }
  if (input.note !== undefined && !NOTE.test(input.note)) throw new RosterError('bad_input', 'the note must be at most 200 characters without control characters', [{ where: '--note', message: 'too long or has control characters' }]);
  const now = ctx.clock.now();
  const expiresAt = parseExpiry(input.expires ?? '90d', now);
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  const record = await mutate(ctx, options, async (tx) => {
    const t = await tx.insertApiToken({
      role,
      host: role === 'agent' ? (input.host ?? null) : null,
      hash: hashToken(token),
      note: input.note ?? null,
      createdAt: now.toISOString(),
      createdBy: ctx.actor,
      expiresAt: expiresAt === null ? null : expiresAt.toISOString(),
    });
    // The audit record names the token by id; the secret and its hash stay out of it.
    await audit(tx, ctx, { action: 'token.create', target: `token:${t.id}`, before: null, after: { role: t.role, host: t.host, expiresAt: t.expiresAt, note: t.note } });
    return t;
  });
  return { token, record: tokenView(record) };
}

export async function listApiTokens(ctx: AppContext): Promise<TokenView[]> {
  return (await ctx.store.read.listApiTokens()).map(tokenView);
}

/**
 * Revocations made by this process, counted: servers keep verified tokens
 * in memory for a moment (VerifiedTokens), and one that sees this count
 * change reads its tokens again, so a token revoked here (REST, console, a
 * direct call) is refused from the next request on. Process-wide because
 * the revocation can come from any caller in the process; another process's
 * revocation reaches a server when its memory of the token runs out.
 */
let revocations = 0;

/** How many revocations this process has made (see `revocations`). */
export function revocationsMade(): number {
  return revocations;
}

export async function revokeApiToken(ctx: AppContext, id: number, options: MutationOptions = {}): Promise<TokenView> {
  try {
    return await mutate(ctx, options, async (tx) => {
      const before = await tx.getApiToken(id);
      if (before === undefined) throw new RosterError('not_found', `no token ${id}`);
      if (before.revokedAt !== null) return tokenView(before);
      const at = ctx.clock.now().toISOString();
      await tx.revokeApiToken(id, at);
      await audit(tx, ctx, { action: 'token.revoke', target: `token:${id}`, before: { role: before.role, host: before.host, revokedAt: null }, after: { revokedAt: at } });
      return tokenView({ ...before, revokedAt: at });
    });
  } finally {
    // After the commit, so a token read again shows the revocation. Inside a caller's
    // transaction (options.tx) the commit comes later: this process's caches may then
    // hold the token until their entries run out, as other processes' do.
    revocations += 1;
  }
}

/**
 * The token a request presents, if it is known, not revoked and not
 * expired at `now`; undefined otherwise. Malformed input never reaches the
 * database.
 */
export async function authenticateToken(q: TokenReads, presented: string, now: Date): Promise<ApiToken | undefined> {
  if (!TOKEN_SHAPE.test(presented)) return undefined;
  const t = await q.getApiTokenByHash(hashToken(presented));
  if (t === undefined || t.revokedAt !== null) return undefined;
  if (t.expiresAt !== null && t.expiresAt <= now.toISOString()) return undefined;
  return t;
}

/** A token's last use is recorded at most this often: enough to tell a token in use from a forgotten one, without a write per request. */
export const USE_RECORDED_EVERY_MS = 5 * 60_000;

/**
 * Records that `token` (as just read by authenticateToken) was presented at
 * `now`, unless a use within the last USE_RECORDED_EVERY_MS is recorded:
 * an agent polling every minute costs one write per five minutes, not one
 * per poll. The store's compare-and-set keeps concurrent requests to one
 * write. Not an audit record: a read changes nothing worth chaining.
 */
export async function recordTokenUse(store: Store, token: Pick<ApiToken, 'id' | 'lastUsedAt'>, now: Date): Promise<boolean> {
  if (!tokenUseDue(token, now)) return false;
  const since = new Date(now.getTime() - USE_RECORDED_EVERY_MS).toISOString();
  return store.transaction((q) => q.touchApiToken(token.id, now.toISOString(), since));
}

/** Whether recordTokenUse would write: no use of `token` is recorded within USE_RECORDED_EVERY_MS of `now`. */
export function tokenUseDue(token: Pick<ApiToken, 'lastUsedAt'>, now: Date): boolean {
  return token.lastUsedAt === null || token.lastUsedAt < new Date(now.getTime() - USE_RECORDED_EVERY_MS).toISOString();
}

/** The audit actor of requests made with a token: `token:<id>(<role>)`. */
export function tokenActor(t: Pick<ApiToken, 'id' | 'role'>): string {
  return `token:${t.id}(${t.role})`;
}
