import type { Account, Hold, HoldKind } from '../domain/account.js';
import type { Person } from '../domain/person.js';
import type { ServerQueries } from './server-queries.js';

/**
 * The store is the one source of truth (DESIGN.md §1). Every change happens
 * in `transaction`, which is a serialised write transaction (SQLite
 * `BEGIN IMMEDIATE`, PostgreSQL row locks), so UID allocation and the audit
 * chain are safe under concurrent processes and servers.
 */
/** How the database's schema compares with this Roster's migrations. */
export interface SchemaStatus {
  /** Migrations this Roster has that the database lacks (all of them for a database never opened). */
  readonly missing: readonly string[];
  /** Migrations the database has that this Roster does not know: a newer Roster migrated it. */
  readonly unknown: readonly string[];
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Reads outside a transaction. */
  readonly read: Queries;
  transaction<T>(fn: (tx: Queries) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while holding the lease `name`, or returns null at once when
   * another holder has it. On PostgreSQL the lease is a session advisory
   * lock, so several `roster serve` processes on one database run a
   * scheduled job once, and a server that dies releases it with its
   * connection. On SQLite (one file, one host) it excludes holders in this
   * process; other processes are kept apart by the write transaction.
   */
  withLease<T>(name: string, fn: () => Promise<T>): Promise<{ readonly value: T } | null>;
  /**
   * The schema's migrations against this Roster's, read now (openStore
   * migrated at open, but another Roster may have migrated since, or the
   * database been replaced). Throws when the database cannot be reached.
   */
  schemaStatus(): Promise<SchemaStatus>;
  close(): Promise<void>;
}

export interface AccountFilter {
  readonly type?: string;
  readonly personId?: string;
  /** Include purged tombstones (default false). */
  readonly includePurged?: boolean;
  /** Only accounts of people of this source (a roster source name, `manual`, `scim`). */
  readonly source?: string;
  /** Keyset pagination: accounts with id > afterId, ordered by id. */
  readonly afterId?: number;
  readonly limit?: number;
}

export type NewAccount = Omit<Account, 'id' | 'holds'>;
export type AccountPatch = Partial<Omit<Account, 'id' | 'holds' | 'createdAt'>>;

export interface Reservation {
  readonly username: string;
  readonly uid: number;
  readonly personId: string;
  readonly createdAt: string;
}

export interface Group {
  readonly name: string;
  readonly gid: number;
  readonly description: string;
  /** Usernames listed as explicit members (account types add more). */
  readonly members: readonly string[];
  readonly createdAt: string;
}

export interface LedgerEntry {
  readonly id: number;
  readonly personId: string;
  readonly at: string;
  readonly kind: 'charge' | 'payment';
  /** Positive integer, in cents. */
  readonly amountCents: number;
  readonly note: string | null;
}

export interface AuditEntry {
  /** ISO 8601 UTC. */
  readonly at: string;
  /** Who: `cli:root`, `token:<id>`, `job:purge`, `sync:school` … */
  readonly actor: string;
  /** e.g. `account.create`, `account.freeze`, `person.update`. */
  readonly action: string;
  /** What it acted on, e.g. `account:alice`, `person:S123`. */
  readonly target: string;
  /** Before/after summaries: small JSON-serialisable objects, never secrets. */
  readonly before: unknown;
  readonly after: unknown;
  readonly result: 'ok' | 'failed' | 'refused';
}

/** A billing notice as recorded by `recordNotice`. */
export interface Notice {
  readonly personId: string;
  readonly kind: string;
  readonly runOutDate: string;
  readonly at: string;
}

/** `running` until it ends; a run whose process died stays `running` until the next run marks it `interrupted`. */
export type JobResult = 'running' | 'ok' | 'partial' | 'failed' | 'refused' | 'interrupted';

export interface JobRun {
  readonly id: number;
  /** `purge`, `billing`, `notify`, `sync:<source>`. */
  readonly job: string;
  /** ISO 8601 UTC: the scheduled instant this run covers. */
  readonly slot: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly result: JobResult;
  /** `host:pid` of the process that ran it. */
  readonly owner: string;
  /** The actor that started it (`cli:root`, `serve`). */
  readonly startedBy: string;
  readonly forced: boolean;
  readonly counts: Readonly<Record<string, number>>;
  readonly message: string | null;
}

export type NewJobRun = Omit<JobRun, 'id' | 'finishedAt' | 'result' | 'counts' | 'message'>;

export interface JobRunEnd {
  readonly finishedAt: string;
  readonly result: Exclude<JobResult, 'running'>;
  readonly counts: Readonly<Record<string, number>>;
  readonly message: string | null;
}

/** queued (waiting or retrying), sent, failed (gave up), unaddressed (the person has no address). */
export type OutboxStatus = 'queued' | 'sent' | 'failed' | 'unaddressed';

export interface OutboxMessage {
  readonly id: number;
  /** Template name: billing-warning, frozen, unfrozen, retirement, purged, admin-digest, announcement. */
  readonly kind: string;
  readonly recipient: string | null;
  /** What the template is filled with; never secrets. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly dedupeKey: string | null;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly queuedAt: string;
  readonly nextAttemptAt: string | null;
  readonly sentAt: string | null;
  /** The subject as sent (set on delivery). */
  readonly subject: string | null;
}

export interface NewOutboxMessage {
  readonly kind: string;
  /** Null when the person has no address: recorded as `unaddressed`, never sent. */
  readonly recipient: string | null;
  readonly data: Readonly<Record<string, unknown>>;
  readonly dedupeKey: string | null;
  readonly queuedAt: string;
}

export type OutboxPatch = Partial<Pick<OutboxMessage, 'status' | 'attempts' | 'lastError' | 'nextAttemptAt' | 'sentAt' | 'subject'>>;

export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export interface Queries extends ServerQueries {
  /**
   * Runs `fn` in a savepoint of the current write transaction: a throw undoes
   * only `fn`'s writes and is re-thrown, so a batch can report per-item
   * results and commit the rest (DESIGN.md §9.4).
   */
  savepoint<T>(fn: () => Promise<T>): Promise<T>;

  // people
  getPerson(id: string): Promise<Person | undefined>;
  /** Insert or replace by id. */
  putPerson(person: Person): Promise<void>;
  /** The people of these ids that exist, in no particular order. */
  getPeople(ids: readonly string[]): Promise<Person[]>;
  /** putPerson for many, in a few statements (roster sync). */
  putPeople(people: readonly Person[]): Promise<void>;
  listPeople(filter?: { readonly source?: string; readonly afterId?: string; readonly limit?: number }): Promise<Person[]>;

  // accounts (holds are loaded with the account)
  getAccount(username: string): Promise<Account | undefined>;
  getAccountById(id: number): Promise<Account | undefined>;
  /** The accounts of these ids that exist (tombstones too), in id order. */
  getAccountsByIds(ids: readonly number[]): Promise<Account[]>;
  listAccounts(filter?: AccountFilter): Promise<Account[]>;
  /** Every account (tombstones too) of these people, in id order: a batch checks "one live account per type" without a query per item. */
  accountsOfPeople(personIds: readonly string[]): Promise<Account[]>;
  /** The accounts (tombstones too) with exactly these usernames, in id order: getAccount for many. */
  accountsByUsernames(usernames: readonly string[]): Promise<Account[]>;
  countAccounts(filter?: { readonly type?: string; readonly includePurged?: boolean }): Promise<number>;
  insertAccount(account: NewAccount): Promise<Account>;
  /** insertAccount for many, in a few statements; the result is in the order given. */
  insertAccounts(accounts: readonly NewAccount[]): Promise<Account[]>;
  updateAccount(id: number, patch: AccountPatch): Promise<void>;
  /** Insert or replace the hold with the same (kind, reason). */
  putHold(accountId: number, hold: Hold): Promise<void>;
  removeHold(accountId: number, kind: HoldKind, reason: string): Promise<void>;
  /** Accounts not yet purged with purgeAt <= now, through the purge index (never a full scan). */
  purgeCandidates(now: string, limit?: number): Promise<Array<{ readonly id: number; readonly username: string; readonly purgeAt: string }>>;

  // usernames and UIDs (RATS internals 1)
  getReservation(username: string): Promise<Reservation | undefined>;
  reservationsOfPerson(personId: string): Promise<Reservation[]>;
  /** reservationsOfPerson for many people, in UID order. */
  reservationsOfPeople(personIds: readonly string[]): Promise<Reservation[]>;
  /** True when the name (compared case-insensitively) is an account, a reservation or a group. */
  nameTaken(name: string): Promise<boolean>;
  /**
   * The UID for `username`: the reserved one when the reservation belongs to
   * `personId`, else one above the highest UID ever allocated or reserved
   * (a high-water mark that never goes down), recorded as a reservation.
   * Throws RosterError('conflict') when the name is reserved for someone else
   * and RosterError('bad_input') when the range is exhausted.
   */
  allocateUid(username: string, personId: string, range: { readonly min: number; readonly max: number }, now: string): Promise<number>;
  /**
   * allocateUid for many names at once, with the same rules (own
   * reservations reused, never below the high-water mark, never reused), in
   * a few statements; the UIDs are in the order of `requests`.
   */
  allocateUids(requests: ReadonlyArray<{ readonly username: string; readonly personId: string }>, range: { readonly min: number; readonly max: number }, now: string): Promise<number[]>;
  /** Which of `names` are taken as nameTaken defines it; returned lower-cased. */
  takenNames(names: readonly string[]): Promise<Set<string>>;
  /** Drop reservations; returns how many went. */
  deleteReservations(usernames: readonly string[]): Promise<number>;
  listReservations(): Promise<Reservation[]>;
  /**
   * Deletes purged tombstones (with their holds and SCIM records) by id, so
   * their usernames can be chosen again; live accounts are never deleted.
   * Returns how many went. The UID high-water mark stays where it is: every
   * account's UID was allocated, so it is at or below the mark and is never
   * handed out again.
   */
  deletePurgedAccounts(ids: readonly number[]): Promise<number>;
  /**
   * Where allocation of `kind` in `range` starts (one above the high-water
   * mark, at least `range.min`) and the numbers from there to `range.max`
   * it skips, ascending and distinct: UIDs of reservations and accounts,
   * GIDs of groups and of accounts' primary groups. A plan checks with it
   * that its new accounts and groups fit before it writes anything.
   */
  idsInUse(kind: 'uid' | 'gid', range: { readonly min: number; readonly max: number }): Promise<{ readonly from: number; readonly used: number[] }>;

  // groups
  getGroup(name: string): Promise<Group | undefined>;
  getGroupByGid(gid: number): Promise<Group | undefined>;
  /**
   * GIDs from `min` to `max` (ascending, distinct) that a group or a live
   * account's primary group holds: a user-private group may take GID = UID
   * only when it is not among them.
   */
  gidsTaken(min: number, max: number): Promise<number[]>;
  listGroups(): Promise<Group[]>;
  /** Next free GID above the high-water mark of the range. */
  allocateGid(range: { readonly min: number; readonly max: number }): Promise<number>;
  insertGroup(group: Group): Promise<void>;
  setGroupMembers(name: string, members: readonly string[]): Promise<void>;

  // ledger and billing notices
  addLedgerEntry(entry: Omit<LedgerEntry, 'id'>): Promise<LedgerEntry>;
  ledger(personId: string): Promise<LedgerEntry[]>;
  /** Records that notice `kind` (e.g. `warn:60`) was sent for the run-out date; false if it already was. */
  recordNotice(personId: string, kind: string, runOutDate: string, at: string): Promise<boolean>;
  /** Every notice recorded for the person, oldest first. */
  listNotices(personId: string): Promise<Notice[]>;

  // job runs (DESIGN.md §5 scheduler)
  insertJobRun(run: NewJobRun): Promise<JobRun>;
  finishJobRun(id: number, end: JobRunEnd): Promise<void>;
  /** Newest first. */
  listJobRuns(filter?: { readonly job?: string; readonly results?: readonly JobResult[]; readonly limit?: number }): Promise<JobRun[]>;

  // notification outbox
  /** Queues messages; one whose dedupe key is already known is skipped. Returns how many were added. */
  enqueueMessages(messages: readonly NewOutboxMessage[]): Promise<number>;
  /** Queued messages whose next attempt is due at `now`, oldest first; only those with id > afterId when given. */
  dueMessages(now: string, limit: number, afterId?: number): Promise<OutboxMessage[]>;
  updateMessage(id: number, patch: OutboxPatch): Promise<void>;
  /** Newest first. */
  listMessages(filter?: { readonly status?: OutboxStatus; readonly kind?: string; readonly limit?: number }): Promise<OutboxMessage[]>;
  countMessages(): Promise<Readonly<Record<OutboxStatus, number>>>;

  // audit (hash-chained; appended inside the same transaction as the change)
  appendAudit(entry: AuditEntry): Promise<AuditRecord>;
  /** appendAudit for many, chained in the order given, in a few statements. */
  appendAudits(entries: readonly AuditEntry[]): Promise<AuditRecord[]>;
  listAudit(filter?: { readonly afterSeq?: number; readonly limit?: number; readonly target?: string }): Promise<AuditRecord[]>;
  auditHead(): Promise<{ readonly seq: number; readonly hash: string }>;
}
