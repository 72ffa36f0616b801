import type { Selectable } from 'kysely';
import type { MassChangesTable } from '../database-schema.js';
import type { QueryScope } from './query-scope.js';
import { jsonObject, toNumber } from './row-values.js';

export interface MassChangeSummary {
  readonly affected: number;
  readonly total: number;
  readonly limit: number;
}

export interface MassChange {
  readonly id: string;
  /** What was refused, e.g. `purge`. */
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly summary: MassChangeSummary;
  readonly requestedBy: string;
  readonly requestedToken: number | null;
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly approvedBy: string | null;
  readonly approvedToken: number | null;
  readonly approvedAt: string | null;
  readonly result: unknown;
}

export type NewMassChange = Omit<MassChange, 'approvedBy' | 'approvedToken' | 'approvedAt' | 'result'>;

/** Mass changes awaiting a second admin's approval. */
export interface MassChangeReads {
  getMassChange(id: string): Promise<MassChange | undefined>;
  /** Newest first. */
  listMassChanges(filter?: { readonly limit?: number }): Promise<MassChange[]>;
}

export interface MassChangeWrites {
  insertMassChange(change: NewMassChange): Promise<void>;
  /** Records the approval unless one is already recorded; false then. */
  approveMassChange(id: string, approval: { readonly approvedBy: string; readonly approvedToken: number | null; readonly approvedAt: string }): Promise<boolean>;
  setMassChangeResult(id: string, result: unknown): Promise<void>;
}

export type MassChangeQueries = MassChangeReads & MassChangeWrites;

export function massChangeQueries(s: QueryScope): MassChangeQueries {
  return {
    async insertMassChange(change) {
      s.mustWrite('insertMassChange');
      await s.db
        .insertInto('mass_changes')
        .values({
          id: change.id,
          action: change.action,
          params: JSON.stringify(change.params),
          summary: JSON.stringify(change.summary),
          requested_by: change.requestedBy,
          requested_token: change.requestedToken,
          requested_at: change.requestedAt,
          expires_at: change.expiresAt,
          approved_by: null,
          approved_token: null,
          approved_at: null,
          result: null,
        })
        .execute();
    },
    async getMassChange(id) {
      const row = await s.db.selectFrom('mass_changes').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toMassChange(row);
    },
    async approveMassChange(id, approval) {
      s.mustWrite('approveMassChange');
      const r = await s.db
        .updateTable('mass_changes')
        .set({ approved_by: approval.approvedBy, approved_token: approval.approvedToken, approved_at: approval.approvedAt })
        .where('id', '=', id)
        .where('approved_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async setMassChangeResult(id, result) {
      s.mustWrite('setMassChangeResult');
      await s.db.updateTable('mass_changes').set({ result: JSON.stringify(result ?? null) }).where('id', '=', id).execute();
    },
    async listMassChanges(filter = {}) {
      const rows = await s.db.selectFrom('mass_changes').selectAll().orderBy('requested_at', 'desc').orderBy('id').limit(filter.limit ?? 100).execute();
      return rows.map(toMassChange);
    },
  };
}

function toMassChange(r: Selectable<MassChangesTable>): MassChange {
  const s = jsonObject(r.summary, 'mass change summary');
  return {
    id: r.id,
    action: r.action,
    params: jsonObject(r.params, 'mass change params'),
    summary: { affected: Number(s.affected), total: Number(s.total), limit: Number(s.limit) },
    requestedBy: r.requested_by,
    requestedToken: r.requested_token === null ? null : toNumber(r.requested_token),
    requestedAt: r.requested_at,
    expiresAt: r.expires_at,
    approvedBy: r.approved_by,
    approvedToken: r.approved_token === null ? null : toNumber(r.approved_token),
    approvedAt: r.approved_at,
    result: r.result === null ? null : (JSON.parse(r.result) as unknown),
  };
}
