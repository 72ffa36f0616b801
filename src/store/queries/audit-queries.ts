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
  /** appendAudit for many, chained in the order given, in a few statements. */
  appendAudits(entries: readonly AuditEntry[]): Promise<AuditRecord[]>;
}

export type AuditQueries = AuditReads & AuditWrites;

export function auditQueries(s: QueryScope): AuditQueries {
  const appendAudits = async (entries: readonly AuditEntry[]): Promise<AuditRecord[]> => {
    s.mustWrite('appendAudits');
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
      // Each summary's canonical text is made once: stored as it is, parsed
      // back for the record returned, and hashed.
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
    return rows.map(({ fields, beforeText, afterText, hash }): AuditRecord => ({ ...fields, before: JSON.parse(beforeText) as unknown, after: JSON.parse(afterText) as unknown, hash }));
  };
  return {
    async appendAudit(entry) {
      s.mustWrite('appendAudit');
      const [record] = await appendAudits([entry]);
      if (record === undefined) throw new RosterError('internal', 'audit append returned no record');
      return record;
    },
    appendAudits,
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
