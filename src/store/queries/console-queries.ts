import type { Selectable } from 'kysely';
import type { ConsoleSecondFactorsTable, ConsoleSessionsTable } from '../database-schema.js';
import type { QueryScope } from './query-scope.js';
import { toNumber, utc } from './row-values.js';

/** How far an admin console sign-in has come: the password checked, the second factor to set up, or done. */
export type ConsoleStage = 'password' | 'enrol' | 'done';

/** An admin console session (issue 16). The cookie holds a secret; only its SHA-256 is stored. */
export interface ConsoleSession {
  /** SHA-256 of the cookie's secret, hex. */
  readonly idHash: string;
  readonly accountId: number;
  readonly stage: ConsoleStage;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly address: string | null;
  readonly userAgent: string | null;
}

/** An admin's second factor: the sealed TOTP secret, confirmed once its first code was given. */
export interface ConsoleSecondFactor {
  readonly accountId: number;
  readonly sealedSecret: string;
  readonly createdAt: string;
  readonly confirmedAt: string | null;
  /** The time step of the last accepted code (a code is good once). */
  readonly lastStep: number;
  /** SHA-256 (hex) of each recovery code not used yet. */
  readonly recoveryHashes: readonly string[];
}

export interface ConsoleReads {
  getConsoleSession(idHash: string): Promise<ConsoleSession | undefined>;
  getConsoleSecondFactor(accountId: number): Promise<ConsoleSecondFactor | undefined>;
}

export interface ConsoleWrites {
  insertConsoleSession(session: ConsoleSession): Promise<void>;
  /** Moves a session to `stage` (and last_seen_at on). */
  setConsoleSessionStage(idHash: string, stage: ConsoleStage, at: string): Promise<void>;
  touchConsoleSession(idHash: string, at: string): Promise<void>;
  /** True when the session existed. */
  deleteConsoleSession(idHash: string): Promise<boolean>;
  /** Every session of an account (its second factor was reset); how many. */
  deleteAccountConsoleSessions(accountId: number): Promise<number>;
  /** Sessions past their absolute end or idle since before `idleBefore`; how many. */
  deleteExpiredConsoleSessions(now: string, idleBefore: string): Promise<number>;
  /** Sets (or replaces, while unconfirmed or on reset) an account's second factor. */
  putConsoleSecondFactor(factor: ConsoleSecondFactor): Promise<void>;
  /**
   * Accepts a code's time step only if it is later than the last one
   * accepted (compare-and-set, so two requests with one code cannot both
   * pass); confirms the factor. True when accepted.
   */
  useConsoleCode(accountId: number, step: number, at: string): Promise<boolean>;
  /** Removes one recovery code's hash if it is still there (it works once). True when it was. */
  useConsoleRecoveryCode(accountId: number, hash: string): Promise<boolean>;
  deleteConsoleSecondFactor(accountId: number): Promise<boolean>;
}

export type ConsoleQueries = ConsoleReads & ConsoleWrites;

function toSession(row: Selectable<ConsoleSessionsTable>): ConsoleSession {
  return {
    idHash: row.id_hash,
    accountId: toNumber(row.account_id),
    stage: row.stage as ConsoleStage,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    address: row.address,
    userAgent: row.user_agent,
  };
}

function toFactor(row: Selectable<ConsoleSecondFactorsTable>): ConsoleSecondFactor {
  return {
    accountId: toNumber(row.account_id),
    sealedSecret: row.sealed_secret,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at,
    lastStep: toNumber(row.last_step),
    recoveryHashes: JSON.parse(row.recovery_hashes) as string[],
  };
}

export function consoleQueries(s: QueryScope): ConsoleQueries {
  return {
    async getConsoleSession(idHash) {
      const row = await s.db.selectFrom('console_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return row === undefined ? undefined : toSession(row);
    },
    async getConsoleSecondFactor(accountId) {
      const row = await s.db.selectFrom('console_second_factors').selectAll().where('account_id', '=', accountId).executeTakeFirst();
      return row === undefined ? undefined : toFactor(row);
    },
    async insertConsoleSession(session) {
      s.mustWrite('insertConsoleSession');
      await s.db
        .insertInto('console_sessions')
        .values({
          id_hash: session.idHash,
          account_id: session.accountId,
          stage: session.stage,
          created_at: utc(session.createdAt, 'session createdAt'),
          last_seen_at: utc(session.lastSeenAt, 'session lastSeenAt'),
          expires_at: utc(session.expiresAt, 'session expiresAt'),
          address: session.address,
          user_agent: session.userAgent,
        })
        .execute();
    },
    async setConsoleSessionStage(idHash, stage, at) {
      s.mustWrite('setConsoleSessionStage');
      await s.db.updateTable('console_sessions').set({ stage, last_seen_at: utc(at, 'session lastSeenAt') }).where('id_hash', '=', idHash).execute();
    },
    async touchConsoleSession(idHash, at) {
      s.mustWrite('touchConsoleSession');
      await s.db.updateTable('console_sessions').set({ last_seen_at: utc(at, 'session lastSeenAt') }).where('id_hash', '=', idHash).execute();
    },
    async deleteConsoleSession(idHash) {
      s.mustWrite('deleteConsoleSession');
      const r = await s.db.deleteFrom('console_sessions').where('id_hash', '=', idHash).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
    async deleteAccountConsoleSessions(accountId) {
      s.mustWrite('deleteAccountConsoleSessions');
      const r = await s.db.deleteFrom('console_sessions').where('account_id', '=', accountId).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async deleteExpiredConsoleSessions(now, idleBefore) {
      s.mustWrite('deleteExpiredConsoleSessions');
      const r = await s.db
        .deleteFrom('console_sessions')
        .where((eb) => eb.or([eb('expires_at', '<=', utc(now, 'now')), eb('last_seen_at', '<', utc(idleBefore, 'idleBefore'))]))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async putConsoleSecondFactor(factor) {
      s.mustWrite('putConsoleSecondFactor');
      const row = {
        account_id: factor.accountId,
        sealed_secret: factor.sealedSecret,
        created_at: utc(factor.createdAt, 'second factor createdAt'),
        confirmed_at: factor.confirmedAt === null ? null : utc(factor.confirmedAt, 'second factor confirmedAt'),
        last_step: factor.lastStep,
        recovery_hashes: JSON.stringify(factor.recoveryHashes),
      };
      await s.db
        .insertInto('console_second_factors')
        .values(row)
        .onConflict((oc) => oc.column('account_id').doUpdateSet({ sealed_secret: row.sealed_secret, created_at: row.created_at, confirmed_at: row.confirmed_at, last_step: row.last_step, recovery_hashes: row.recovery_hashes }))
        .execute();
    },
    async useConsoleCode(accountId, step, at) {
      s.mustWrite('useConsoleCode');
      const when = utc(at, 'code at');
      const r = await s.db
        .updateTable('console_second_factors')
        .set((eb) => ({ last_step: step, confirmed_at: eb.fn.coalesce('confirmed_at', eb.val(when)) }))
        .where('account_id', '=', accountId)
        .where('last_step', '<', step)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async useConsoleRecoveryCode(accountId, hash) {
      s.mustWrite('useConsoleRecoveryCode');
      const row = await s.db.selectFrom('console_second_factors').select('recovery_hashes').where('account_id', '=', accountId).executeTakeFirst();
      if (row === undefined) return false;
      const before = row.recovery_hashes;
      const hashes = JSON.parse(before) as string[];
      if (!hashes.includes(hash)) return false;
      // Compare-and-set on the whole list: a concurrent use of another code makes this one try again.
      const r = await s.db
        .updateTable('console_second_factors')
        .set({ recovery_hashes: JSON.stringify(hashes.filter((h) => h !== hash)) })
        .where('account_id', '=', accountId)
        .where('recovery_hashes', '=', before)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async deleteConsoleSecondFactor(accountId) {
      s.mustWrite('deleteConsoleSecondFactor');
      const r = await s.db.deleteFrom('console_second_factors').where('account_id', '=', accountId).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
  };
}
