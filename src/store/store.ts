import type { AuditReads, AuditWrites } from './queries/audit-queries.js';
import type { ChangelogReads, ChangelogWrites } from './queries/changelog-queries.js';
import type { AccountReads, AccountWrites } from './queries/account-queries.js';
import type { AccountSearchReads } from './queries/account-search-queries.js';
import type { GroupReads, GroupWrites } from './queries/group-queries.js';
import type { HostReportReads, HostReportWrites } from './queries/host-report-queries.js';
import type { JobReads, JobWrites } from './queries/job-queries.js';
import type { LedgerReads, LedgerWrites } from './queries/ledger-queries.js';
import type { MassChangeReads, MassChangeWrites } from './queries/mass-change-queries.js';
import type { OutboxReads, OutboxWrites } from './queries/outbox-queries.js';
import type { PeopleReads, PeopleWrites } from './queries/people-queries.js';
import type { ConsoleReads, ConsoleWrites } from './queries/console-queries.js';
import type { DesiredFeedReads, DesiredFeedWrites } from './queries/desired-feed-queries.js';
import type { PortalReads, PortalWrites } from './queries/portal-queries.js';
import type { ReservationReads, ReservationWrites } from './queries/reservation-queries.js';
import type { ResourceReads, ResourceWrites } from './queries/resource-queries.js';
import type { Savepoints } from './queries/savepoints.js';
import type { ScimReads, ScimWrites } from './queries/scim-queries.js';
import type { StatusReads, StatusWrites } from './queries/status-queries.js';
import type { TokenReads, TokenWrites } from './queries/token-queries.js';
import type { UsageReads, UsageWrites } from './queries/usage-queries.js';
import type { WatchReportReads, WatchReportWrites } from './queries/watch-report-queries.js';

export type { AuditEntry, AuditRecord } from './audit-record.js';
export type { AccountFilter, AccountPatch, AccountQueries, AccountReads, AccountWrites, NewAccount } from './queries/account-queries.js';
export type { AccountSearchQuery, AccountSearchReads, HoldMatch } from './queries/account-search-queries.js';
export type { AuditQueries, AuditReads, AuditWrites } from './queries/audit-queries.js';
export type { ChangelogEntry, ChangelogFilter, ChangelogQueries, ChangelogReads, ChangelogSource, ChangelogWrites, NewChangelogEntry } from './queries/changelog-queries.js';
export type { Group, GroupQueries, GroupReads, GroupWrites } from './queries/group-queries.js';
export type { HostReport, HostReportQueries, HostReportReads, HostReportWrites } from './queries/host-report-queries.js';
export type { JobQueries, JobReads, JobResult, JobRun, JobRunEnd, JobWrites, NewJobRun } from './queries/job-queries.js';
export type { LedgerEntry, LedgerQueries, LedgerReads, LedgerWrites, Notice } from './queries/ledger-queries.js';
export type { MassChange, MassChangeQueries, MassChangeReads, MassChangeSummary, MassChangeWrites, NewMassChange } from './queries/mass-change-queries.js';
export type { NewOutboxMessage, OutboxMessage, OutboxPatch, OutboxQueries, OutboxReads, OutboxStatus, OutboxWrites } from './queries/outbox-queries.js';
export type { PeopleQueries, PeopleReads, PeopleWrites } from './queries/people-queries.js';
export type { DesiredChange, DesiredFeedQueries, DesiredFeedReads, DesiredFeedWrites } from './queries/desired-feed-queries.js';
export type { ConsoleQueries, ConsoleReads, ConsoleSecondFactor, ConsoleSession, ConsoleStage, ConsoleWrites } from './queries/console-queries.js';
export type { AttemptCount, NewPortalEmailChange, PortalEmailChange, PortalQueries, PortalReads, PortalSession, PortalWrites } from './queries/portal-queries.js';
export type { IdRange, Reservation, ReservationQueries, ReservationReads, ReservationWrites } from './queries/reservation-queries.js';
export type { NewResource, Resource, ResourceFilter, ResourceQueries, ResourceReads, ResourceWrites } from './queries/resource-queries.js';
export type { Savepoints } from './queries/savepoints.js';
export type { ScimGroup, ScimQueries, ScimReads, ScimUser, ScimWrites } from './queries/scim-queries.js';
export type { NewStatusEvent, NewStatusOverride, NewStatusUpdate, StatusContact, StatusDay, StatusEvent, StatusEventFilter, StatusEventPatch, StatusOverride, StatusQueries, StatusReads, StatusSubscriber, StatusUpdate, StatusWrites } from './queries/status-queries.js';
export type { ApiToken, NewApiToken, TokenQueries, TokenReads, TokenRole, TokenWrites } from './queries/token-queries.js';
export type { UsageFigure, UsageFilter, UsageQueries, UsageReads, UsageWrites } from './queries/usage-queries.js';
export type { NewWatchReport, StoredWatchReport, WatchReportFilter, WatchReportQueries, WatchReportReads, WatchReportWrites } from './queries/watch-report-queries.js';

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
  /** Reads outside a transaction (its writes throw). */
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

/**
 * Every concept's reads, outside a transaction or inside one. A use case
 * asks for the few interfaces it uses (DESIGN.md §9.2), e.g.
 * `PeopleReads & AccountReads`; `store.read` and a transaction give them all.
 */
export interface StoreReads
  extends PeopleReads,
    AccountReads,
    AccountSearchReads,
    ReservationReads,
    GroupReads,
    LedgerReads,
    JobReads,
    OutboxReads,
    AuditReads,
    TokenReads,
    ScimReads,
    MassChangeReads,
    HostReportReads,
    ResourceReads,
    UsageReads,
    PortalReads,
    StatusReads,
    ChangelogReads,
    WatchReportReads,
    ConsoleReads,
    DesiredFeedReads {}

/**
 * What a write transaction offers: every concept's reads and writes (a
 * concept added later joins here, as owned resources did), plus savepoints.
 * The concepts live in `queries/`, one module each.
 */
export interface Queries
  extends StoreReads,
    Savepoints,
    PeopleWrites,
    AccountWrites,
    ReservationWrites,
    GroupWrites,
    LedgerWrites,
    JobWrites,
    OutboxWrites,
    AuditWrites,
    TokenWrites,
    ScimWrites,
    MassChangeWrites,
    HostReportWrites,
    ResourceWrites,
    UsageWrites,
    PortalWrites,
    StatusWrites,
    ChangelogWrites,
    WatchReportWrites,
    ConsoleWrites,
    DesiredFeedWrites {}
