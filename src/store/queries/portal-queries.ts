import type { Selectable } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { PortalEmailChangesTable, PortalSessionsTable, PortalSignupsTable } from '../database-schema.js';
import { uniqueViolation } from '../store-errors.js';
import type { QueryScope } from './query-scope.js';
import { toNumber, utc } from './row-values.js';

/** A member's sign-in session (issue 14). The cookie holds a secret; only its SHA-256 is stored. */
export interface PortalSession {
  /** SHA-256 of the cookie's secret, hex. */
  readonly idHash: string;
  readonly personId: string;
  /** The account the member signed in with. */
  readonly accountId: number;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  /** The absolute end: created plus `portal.session.absoluteHours`. */
  readonly expiresAt: string;
  readonly address: string | null;
  readonly userAgent: string | null;
}

/** An e-mail change waiting for the confirmation link sent to the new address. */
export interface PortalEmailChange {
  readonly id: number;
  /** SHA-256 of the link's token, hex. */
  readonly tokenHash: string;
  readonly personId: string;
  readonly newAddress: string;
  /** The address the person had when asking (told of the change), if any. */
  readonly oldAddress: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt: string | null;
}

export type NewPortalEmailChange = Omit<PortalEmailChange, 'id' | 'usedAt'>;

/** P2: a sign-up in progress (RATS steps 1-7); each step fills in what it settled. */
export interface PortalSignup {
  /** SHA-256 of the sign-up cookie's secret, hex. */
  readonly idHash: string;
  /** Set once the person is identified. */
  readonly personId: string | null;
  readonly type: string | null;
  readonly username: string | null;
  /** The account made, once made. */
  readonly accountId: number | null;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export type PortalSignupPatch = Partial<Pick<PortalSignup, 'personId' | 'type' | 'username' | 'accountId'>>;

/** Failed attempts of one throttle key within a window. */
export interface AttemptCount {
  readonly count: number;
  /** The oldest counted attempt (the wait ends a window after it), or null when none. */
  readonly oldest: string | null;
}

/** The portal's sessions, throttle attempts and e-mail changes. */
export interface PortalReads {
  getPortalSession(idHash: string): Promise<PortalSession | undefined>;
  /** A person's sessions, newest first. */
  listPortalSessions(personId: string): Promise<PortalSession[]>;
  /** Failed attempts of `key` at or after `since`. */
  countPortalAttempts(key: string, since: string): Promise<AttemptCount>;
  getPortalEmailChange(tokenHash: string): Promise<PortalEmailChange | undefined>;
  /** P2: a sign-up in progress by its cookie's hash (expired ones too: the caller compares expiresAt). */
  getPortalSignup(idHash: string): Promise<PortalSignup | undefined>;
}

export interface PortalWrites {
  insertPortalSession(session: PortalSession): Promise<void>;
  /** Moves last_seen_at on (the idle timeout counts from it). */
  touchPortalSession(idHash: string, at: string): Promise<void>;
  /** True when the session existed. */
  deletePortalSession(idHash: string): Promise<boolean>;
  /** Sign-out everywhere: every session of the person; how many there were. */
  deletePersonPortalSessions(personId: string): Promise<number>;
  /** Sessions whose absolute end has passed or that were last seen before `idleBefore`; how many. */
  deleteExpiredPortalSessions(now: string, idleBefore: string): Promise<number>;
  recordPortalAttempt(key: string, at: string): Promise<void>;
  /** Forgets a key's attempts (a successful sign-in clears its username's count). */
  clearPortalAttempts(key: string): Promise<void>;
  /** Attempts older than `before`, which no window counts any more; how many. */
  prunePortalAttempts(before: string): Promise<number>;
  insertPortalEmailChange(change: NewPortalEmailChange): Promise<PortalEmailChange>;
  /** Marks the change used; false when it was used already (a second click). */
  usePortalEmailChange(id: number, at: string): Promise<boolean>;
  /** P2: sign-ups in progress. */
  insertPortalSignup(signup: PortalSignup): Promise<void>;
  updatePortalSignup(idHash: string, patch: PortalSignupPatch): Promise<void>;
  deletePortalSignup(idHash: string): Promise<void>;
  /** Sign-ups whose lifetime has passed; how many. */
  deleteExpiredPortalSignups(now: string): Promise<number>;
}

export type PortalQueries = PortalReads & PortalWrites;

export function portalQueries(s: QueryScope): PortalQueries {
  return {
    async getPortalSession(idHash) {
      const row = await s.db.selectFrom('portal_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return row === undefined ? undefined : toSession(row);
    },
    async listPortalSessions(personId) {
      return (await s.db.selectFrom('portal_sessions').selectAll().where('person_id', '=', personId).orderBy('created_at', 'desc').execute()).map(toSession);
    },
    async countPortalAttempts(key, since) {
      const row = await s.db
        .selectFrom('portal_attempts')
        .select((eb) => [eb.fn.countAll().as('count'), eb.fn.min('at').as('oldest')])
        .where('key', '=', key)
        .where('at', '>=', utc(since, 'attempts since'))
        .executeTakeFirstOrThrow();
      // min() of no rows is NULL, whatever the column's type says.
      const oldest = row.oldest as string | null;
      return { count: toNumber(row.count), oldest };
    },
    async getPortalEmailChange(tokenHash) {
      const row = await s.db.selectFrom('portal_email_changes').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row === undefined ? undefined : toEmailChange(row);
    },
    async insertPortalSession(session) {
      s.mustWrite('insertPortalSession');
      await s.db
        .insertInto('portal_sessions')
        .values({
          id_hash: session.idHash,
          person_id: session.personId,
          account_id: session.accountId,
          created_at: utc(session.createdAt, 'session createdAt'),
          last_seen_at: utc(session.lastSeenAt, 'session lastSeenAt'),
          expires_at: utc(session.expiresAt, 'session expiresAt'),
          address: session.address,
          user_agent: session.userAgent,
        })
        .execute();
    },
    async touchPortalSession(idHash, at) {
      s.mustWrite('touchPortalSession');
      await s.db.updateTable('portal_sessions').set({ last_seen_at: utc(at, 'session lastSeenAt') }).where('id_hash', '=', idHash).execute();
    },
    async deletePortalSession(idHash) {
      s.mustWrite('deletePortalSession');
      const r = await s.db.deleteFrom('portal_sessions').where('id_hash', '=', idHash).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
    async deletePersonPortalSessions(personId) {
      s.mustWrite('deletePersonPortalSessions');
      const r = await s.db.deleteFrom('portal_sessions').where('person_id', '=', personId).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async deleteExpiredPortalSessions(now, idleBefore) {
      s.mustWrite('deleteExpiredPortalSessions');
      const r = await s.db
        .deleteFrom('portal_sessions')
        .where((eb) => eb.or([eb('expires_at', '<=', utc(now, 'now')), eb('last_seen_at', '<', utc(idleBefore, 'idleBefore'))]))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async recordPortalAttempt(key, at) {
      s.mustWrite('recordPortalAttempt');
      await s.db.insertInto('portal_attempts').values({ key, at: utc(at, 'attempt at') }).execute();
    },
    async clearPortalAttempts(key) {
      s.mustWrite('clearPortalAttempts');
      await s.db.deleteFrom('portal_attempts').where('key', '=', key).execute();
    },
    async prunePortalAttempts(before) {
      s.mustWrite('prunePortalAttempts');
      const r = await s.db.deleteFrom('portal_attempts').where('at', '<', utc(before, 'before')).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async insertPortalEmailChange(change) {
      s.mustWrite('insertPortalEmailChange');
      const row = {
        token_hash: change.tokenHash,
        person_id: change.personId,
        new_address: change.newAddress,
        old_address: change.oldAddress,
        created_at: utc(change.createdAt, 'e-mail change createdAt'),
        expires_at: utc(change.expiresAt, 'e-mail change expiresAt'),
        used_at: null,
      };
      try {
        const { id } = await s.db.insertInto('portal_email_changes').values(row).returning('id').executeTakeFirstOrThrow();
        return toEmailChange({ ...row, id });
      } catch (e) {
        if (uniqueViolation(e) !== undefined) throw new RosterError('conflict', 'an e-mail change with this token already exists');
        throw e;
      }
    },
    async getPortalSignup(idHash) {
      const row = await s.db.selectFrom('portal_signups').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return row === undefined ? undefined : toSignup(row);
    },
    async insertPortalSignup(signup) {
      s.mustWrite('insertPortalSignup');
      await s.db
        .insertInto('portal_signups')
        .values({
          id_hash: signup.idHash,
          person_id: signup.personId,
          type: signup.type,
          username: signup.username,
          account_id: signup.accountId,
          created_at: utc(signup.createdAt, 'sign-up createdAt'),
          expires_at: utc(signup.expiresAt, 'sign-up expiresAt'),
        })
        .execute();
    },
    async updatePortalSignup(idHash, patch) {
      s.mustWrite('updatePortalSignup');
      const set: { person_id?: string | null; type?: string | null; username?: string | null; account_id?: number | null } = {};
      if (patch.personId !== undefined) set.person_id = patch.personId;
      if (patch.type !== undefined) set.type = patch.type;
      if (patch.username !== undefined) set.username = patch.username;
      if (patch.accountId !== undefined) set.account_id = patch.accountId;
      if (Object.keys(set).length === 0) return;
      await s.db.updateTable('portal_signups').set(set).where('id_hash', '=', idHash).execute();
    },
    async deletePortalSignup(idHash) {
      s.mustWrite('deletePortalSignup');
      await s.db.deleteFrom('portal_signups').where('id_hash', '=', idHash).execute();
    },
    async deleteExpiredPortalSignups(now) {
      s.mustWrite('deleteExpiredPortalSignups');
      const r = await s.db.deleteFrom('portal_signups').where('expires_at', '<=', utc(now, 'now')).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async usePortalEmailChange(id, at) {
      s.mustWrite('usePortalEmailChange');
      const r = await s.db.updateTable('portal_email_changes').set({ used_at: utc(at, 'used at') }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
  };
}

function toSession(r: Selectable<PortalSessionsTable>): PortalSession {
  return {
    idHash: r.id_hash,
    personId: r.person_id,
    accountId: toNumber(r.account_id),
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    address: r.address,
    userAgent: r.user_agent,
  };
}

function toEmailChange(r: Selectable<PortalEmailChangesTable>): PortalEmailChange {
  return {
    id: toNumber(r.id),
    tokenHash: r.token_hash,
    personId: r.person_id,
    newAddress: r.new_address,
    oldAddress: r.old_address,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    usedAt: r.used_at,
  };
}

function toSignup(r: Selectable<PortalSignupsTable>): PortalSignup {
  return {
    idHash: r.id_hash,
    personId: r.person_id,
    type: r.type,
    username: r.username,
    accountId: r.account_id === null ? null : toNumber(r.account_id),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  };
}
