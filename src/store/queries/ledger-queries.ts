import type { Selectable } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { LedgerTable } from '../database-schema.js';
import type { QueryScope } from './query-scope.js';
import { toNumber, utc } from './row-values.js';

export interface LedgerEntry {
  readonly id: number;
  readonly personId: string;
  readonly at: string;
  readonly kind: 'charge' | 'payment';
  /** Positive integer, in cents. */
  readonly amountCents: number;
  readonly note: string | null;
}

/** A billing notice as recorded by `recordNotice`. */
export interface Notice {
  readonly personId: string;
  readonly kind: string;
  readonly runOutDate: string;
  readonly at: string;
}

/** The ledger and the billing notices sent from it. */
export interface LedgerReads {
  ledger(personId: string): Promise<LedgerEntry[]>;
  /** Every notice recorded for the person, oldest first. */
  listNotices(personId: string): Promise<Notice[]>;
}

export interface LedgerWrites {
  addLedgerEntry(entry: Omit<LedgerEntry, 'id'>): Promise<LedgerEntry>;
  /** Records that notice `kind` (e.g. `warn:60`) was sent for the run-out date; false if it already was. */
  recordNotice(personId: string, kind: string, runOutDate: string, at: string): Promise<boolean>;
}

export type LedgerQueries = LedgerReads & LedgerWrites;

export function ledgerQueries(s: QueryScope): LedgerQueries {
  return {
    async addLedgerEntry(entry) {
      s.mustWrite('addLedgerEntry');
      if (!Number.isSafeInteger(entry.amountCents) || entry.amountCents <= 0) {
        throw new RosterError('bad_input', `a ledger amount is a positive whole number of cents, not ${entry.amountCents}`);
      }
      const row = { person_id: entry.personId, at: utc(entry.at, 'ledger at'), kind: entry.kind, amount_cents: entry.amountCents, note: entry.note };
      const { id } = await s.db.insertInto('ledger').values(row).returning('id').executeTakeFirstOrThrow();
      return toLedgerEntry({ ...row, id });
    },
    async ledger(personId) {
      const rows = await s.db.selectFrom('ledger').selectAll().where('person_id', '=', personId).orderBy('at').orderBy('id').execute();
      return rows.map(toLedgerEntry);
    },
    async recordNotice(personId, kind, runOutDate, at) {
      s.mustWrite('recordNotice');
      // The primary key makes "send once per run-out date" hold even when two
      // billing runs overlap: the second insert does nothing and reports false.
      const result = await s.db
        .insertInto('notices')
        .values({ person_id: personId, kind, run_out_date: runOutDate, at: utc(at, 'notice at') })
        .onConflict((oc) => oc.columns(['person_id', 'kind', 'run_out_date']).doNothing())
        .executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },
    async listNotices(personId) {
      const rows = await s.db.selectFrom('notices').selectAll().where('person_id', '=', personId).orderBy('at').orderBy('kind').execute();
      return rows.map((r) => ({ personId: r.person_id, kind: r.kind, runOutDate: r.run_out_date, at: r.at }));
    },
  };
}

function toLedgerEntry(r: Selectable<LedgerTable>): LedgerEntry {
  if (r.kind !== 'charge' && r.kind !== 'payment') throw new RosterError('internal', `stored ledger kind ${r.kind} is unknown`);
  return { id: r.id, personId: r.person_id, at: r.at, kind: r.kind, amountCents: toNumber(r.amount_cents), note: r.note };
}
