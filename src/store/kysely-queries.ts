import type { Kysely } from 'kysely';
import type { RosterDatabase } from './database-schema.js';
import { accountQueries } from './queries/account-queries.js';
import { accountSearchQueries } from './queries/account-search-queries.js';
import { auditQueries } from './queries/audit-queries.js';
import { changelogQueries } from './queries/changelog-queries.js';
import { groupQueries } from './queries/group-queries.js';
import { hostReportQueries } from './queries/host-report-queries.js';
import { jobQueries } from './queries/job-queries.js';
import { ledgerQueries } from './queries/ledger-queries.js';
import { massChangeQueries } from './queries/mass-change-queries.js';
import { outboxQueries } from './queries/outbox-queries.js';
import { peopleQueries } from './queries/people-queries.js';
import { consoleQueries } from './queries/console-queries.js';
import { desiredFeedQueries } from './queries/desired-feed-queries.js';
import { portalQueries } from './queries/portal-queries.js';
import { queryScope, type ScopeOptions } from './queries/query-scope.js';
import { reservationQueries } from './queries/reservation-queries.js';
import { resourceQueries } from './queries/resource-queries.js';
import { savepoints } from './queries/savepoints.js';
import { scimQueries } from './queries/scim-queries.js';
import { statusQueries } from './queries/status-queries.js';
import { tokenQueries } from './queries/token-queries.js';
import { usageQueries } from './queries/usage-queries.js';
import { watchReportQueries } from './queries/watch-report-queries.js';
import type { Queries } from './store.js';

export type { StoreDialect } from './queries/query-scope.js';

/**
 * The `Queries` of DESIGN.md §6 over Kysely: every concept's queries on one
 * connection or transaction. One implementation for both dialects: the
 * schema is the same, text compares bytewise on both, and the only
 * difference is row locking. On PostgreSQL the counter and audit-head rows
 * are locked with `SELECT … FOR UPDATE`, so concurrent transactions queue
 * there; on SQLite the whole transaction already holds the database's write
 * lock (`BEGIN IMMEDIATE`), so there is nothing more to lock.
 *
 * A `writable: false` instance (`store.read`) refuses every write: a change
 * made outside `transaction` would escape the serialisation that UID
 * allocation and the audit chain depend on.
 *
 * A new concept (as owned resources were) is a module in `queries/` with its
 * reads and writes interfaces and their implementation over a QueryScope,
 * added to `Queries` in store.ts and spread in here.
 */
export function kyselyQueries(db: Kysely<RosterDatabase>, options: ScopeOptions): Queries {
  const s = queryScope(db, options);
  return {
    ...savepoints(s),
    ...peopleQueries(s),
    ...accountQueries(s),
    ...accountSearchQueries(s),
    ...reservationQueries(s),
    ...groupQueries(s),
    ...ledgerQueries(s),
    ...jobQueries(s),
    ...outboxQueries(s),
    ...auditQueries(s),
    ...tokenQueries(s),
    ...scimQueries(s),
    ...massChangeQueries(s),
    ...hostReportQueries(s),
    ...resourceQueries(s),
    ...usageQueries(s),
    ...portalQueries(s),
    ...consoleQueries(s),
    ...statusQueries(s),
    ...changelogQueries(s),
    ...watchReportQueries(s),
    ...desiredFeedQueries(s),
  };
}
