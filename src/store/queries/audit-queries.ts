import { sql, type Selectable } from 'kysely';
import { canonicalJson } from '../../domain/canonical-json.js';
import { RosterError } from '../../domain/errors.js';
import { auditHashOfTexts } from '../audit-chain.js';
import type { AuditEntry, AuditRecord } from '../audit-record.js';
import type { AuditTable } from '../database-schema.js';
import type { QueryScope } from './query-scope.js';
import { INSERT_CHUNK, pageSize, parseJsonOrText, toNumber, utc } from './row-values.js';

/** Which audit records to list: every field narrows; none lists all in sequence order. */
export interface AuditFilter {
  readonly afterSeq?: number;
  /** Records before this sequence number (a newest-first listing's next page). */
  readonly beforeSeq?: number;
  readonly limit?: number;
  readonly target?: string;
  /** Actors starting with this, e.g. `console:` or `cli:alice`. */
  readonly actorPrefix?: string;
  /** Actions starting with this, e.g. `token.` or `account.freeze`. */
  readonly actionPrefix?: string;
  /** ISO 8601 UTC: records at or after this time. */
  readonly from?: string;
  /** ISO 8601 UTC: records before this time. */
  readonly to?: string;
  /** Highest sequence number first (the console's listing) instead of lowest. */
  readonly newestFirst?: boolean;
}

/** The audit log: hash-chained, appended inside the same transaction as the change. */
export interface AuditReads {
  listAudit(filter?: AuditFilter): Promise<AuditRecord[]>;
  auditHead(): Promise<{ readonly seq: number; readonly hash: string }>;
}

export interface AuditWrites {
  appendAudit(entry: AuditEntry): Promise<AuditRecord>;
  /**
   * appendAudit for many, chained in the order given, in a few statements.
   * Nothing is returned: a first apply appends a record per account and
   * target, and parsing each summary back for a record nobody reads cost a
   * fifth of the append.
   */
  appendAudits(entries: readonly AuditEntry[]): Promise<void>;
}

export type AuditQueries = AuditReads & AuditWrites;

export function auditQueries(s: QueryScope): AuditQueries {
  /** Appends the entries; their stored texts and hashes are returned, for appendAudit's record. */
  const append = async (entries: readonly AuditEntry[]): Promise<ReadonlyArray<{ readonly fields: Omit<AuditRecord, 'before' | 'after' | 'hash'>; readonly beforeText: string; readonly afterText: string; readonly hash: string }>> => {
    if (entries.length === 0) return [];
    // Locking the head serialises appends on PostgreSQL; seq and prevHash
    // come from it, and it moves in this same transaction, so a rolled-back
    // change leaves no record and no gap.
    const head = await s.db
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .$if(s.dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirstOrThrow();
    // The same chain appendAudit would build one call at a time.
    let seq = toNumber(head.seq);
    let prevHash = head.hash;
    const rows = entries.map((entry) => {
      seq += 1;
      // Each summary's canonical text is made once, stored as it is and hashed.
      const beforeText = canonicalJson(entry.before);
      const afterText = canonicalJson(entry.after);
      const fields = { seq, at: utc(entry.at, 'audit at'), actor: entry.actor, action: entry.action, target: entry.target, result: entry.result, prevHash };
      const hash = auditHashOfTexts(fields, beforeText, afterText);
      prevHash = hash;
      return { fields, beforeText, afterText, hash };
    });
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await s.db
        .insertInto('audit')
        .values(
          rows.slice(i, i + INSERT_CHUNK).map(({ fields, beforeText, afterText, hash }) => ({
            seq: fields.seq,
            at: fields.at,
            actor: fields.actor,
            action: fields.action,
            target: fields.target,
            before: beforeText,
            after: afterText,
            result: fields.result,
            prev_hash: fields.prevHash,
            hash,
          })),
        )
        .execute();
    }
    await s.db.updateTable('audit_head').set({ seq, hash: prevHash }).where('id', '=', 1).execute();
    return rows;
  };
  return {
    async appendAudit(entry) {
      s.mustWrite('appendAudit');
      const [row] = await append([entry]);
      if (row === undefined) throw new RosterError('internal', 'audit append returned no record');
      // The summaries as they read back from the database.
      return { ...row.fields, before: JSON.parse(row.beforeText) as unknown, after: JSON.parse(row.afterText) as unknown, hash: row.hash };
    },
    async appendAudits(entries) {
      s.mustWrite('appendAudits');
      await append(entries);
    },
    async listAudit(filter = {}) {
      let q = s.db.selectFrom('audit').selectAll().orderBy('seq', filter.newestFirst === true ? 'desc' : 'asc');
      if (filter.afterSeq !== undefined) q = q.where('seq', '>', filter.afterSeq);
      if (filter.beforeSeq !== undefined) q = q.where('seq', '<', filter.beforeSeq);
      if (filter.target !== undefined) q = q.where('target', '=', filter.target);
      // substr rather than LIKE: no wildcards to escape, and case-sensitive on both
      // dialects; its length counts characters, as the spread does.
      if (filter.actorPrefix !== undefined) q = q.where(sql<string>`substr(actor, 1, ${[...filter.actorPrefix].length})`, '=', filter.actorPrefix);
      if (filter.actionPrefix !== undefined) q = q.where(sql<string>`substr(action, 1, ${[...filter.actionPrefix].length})`, '=', filter.actionPrefix);
      if (filter.from !== undefined) q = q.where('at', '>=', utc(filter.from, 'audit from'));
      if (filter.to !== undefined) q = q.where('at', '<', utc(filter.to, 'audit to'));
      if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
      return (await q.execute()).map(toAuditRecord);
    },
    async auditHead() {
      const head = await s.db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
      return { seq: toNumber(head.seq), hash: head.hash };
    },
  };
}

function toAuditRecord(r: Selectable<AuditTable>): AuditRecord {
  return {
    seq: toNumber(r.seq),
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    before: parseJsonOrText(r.before),
    after: parseJsonOrText(r.after),
    result: r.result as AuditRecord['result'],
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
