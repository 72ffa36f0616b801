import type { Selectable } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { ApiTokensTable } from '../database-schema.js';
import { uniqueViolation } from '../store-errors.js';
import type { QueryScope } from './query-scope.js';
import { toNumber } from './row-values.js';

export const TOKEN_ROLES = ['admin', 'operator', 'auditor', 'scim', 'agent'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface ApiToken {
  readonly id: number;
  readonly role: TokenRole;
  /** Agent tokens only: the host they act for. */
  readonly host: string | null;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  readonly hash: string;
  readonly note: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  /** When a request last presented it (to a few minutes), or null if none has. */
  readonly lastUsedAt: string | null;
}

export type NewApiToken = Omit<ApiToken, 'id' | 'revokedAt' | 'lastUsedAt'>;

/** API tokens of `roster serve`. */
export interface TokenReads {
  getApiToken(id: number): Promise<ApiToken | undefined>;
  getApiTokenByHash(hash: string): Promise<ApiToken | undefined>;
  listApiTokens(): Promise<ApiToken[]>;
}

export interface TokenWrites {
  insertApiToken(token: NewApiToken): Promise<ApiToken>;
  /** True when the token existed and was not revoked yet. */
  revokeApiToken(id: number, at: string): Promise<boolean>;
  /** Records a use at `at` unless one at or after `since` is recorded already (so a busy token is written rarely). True when written. */
  touchApiToken(id: number, at: string, since: string): Promise<boolean>;
}

export type TokenQueries = TokenReads & TokenWrites;

export function tokenQueries(s: QueryScope): TokenQueries {
  return {
    async insertApiToken(token) {
      s.mustWrite('insertApiToken');
      const row = {
        role: token.role,
        host: token.host,
        hash: token.hash,
        note: token.note,
        created_at: token.createdAt,
        created_by: token.createdBy,
        expires_at: token.expiresAt,
        revoked_at: null,
        last_used_at: null,
      };
      try {
        const { id } = await s.db.insertInto('api_tokens').values(row).returning('id').executeTakeFirstOrThrow();
        return toApiToken({ ...row, id });
      } catch (e) {
        if (uniqueViolation(e) !== undefined) throw new RosterError('conflict', 'a token with this hash already exists');
        throw e;
      }
    },
    async getApiToken(id) {
      const row = await s.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toApiToken(row);
    },
    async getApiTokenByHash(hash) {
      const row = await s.db.selectFrom('api_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row === undefined ? undefined : toApiToken(row);
    },
    async listApiTokens() {
      return (await s.db.selectFrom('api_tokens').selectAll().orderBy('id').execute()).map(toApiToken);
    },
    async revokeApiToken(id, at) {
      s.mustWrite('revokeApiToken');
      const r = await s.db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async touchApiToken(id, at, since) {
      s.mustWrite('touchApiToken');
      const r = await s.db
        .updateTable('api_tokens')
        .set({ last_used_at: at })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', since)]))
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
  };
}

function toRole(role: string): TokenRole {
  const found = TOKEN_ROLES.find((r) => r === role);
  if (found === undefined) throw new RosterError('internal', `stored token role ${role} is unknown`);
  return found;
}

function toApiToken(r: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: toNumber(r.id),
    role: toRole(r.role),
    host: r.host,
    hash: r.hash,
    note: r.note,
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}
