import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/canonical-json.js';
import type { AuditRecord } from './audit-record.js';

/** The prevHash of record 1: nothing precedes it. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a record's hash covers: every stored field but the hash itself. */
export type HashedAuditFields = Omit<AuditRecord, 'hash'>;

/**
 * A before/after summary as it will read back from the database. Hashing this
 * form (not the caller's object, which may hold `undefined` or Dates) makes
 * the hash reproducible from the stored row.
 */
export function normaliseSummary(value: unknown): unknown {
  return JSON.parse(canonicalJson(value)) as unknown;
}

/** SHA-256 hex over the canonical JSON of the record without its hash; `seq` and `prevHash` are covered, so moving or relinking a record changes it. */
export function auditHash(record: HashedAuditFields): string {
  return auditHashOfTexts(record, canonicalJson(record.before ?? null), canonicalJson(record.after ?? null));
}

/**
 * auditHash with the summaries already in canonical JSON: an append makes
 * each summary's text once and stores, normalises and hashes that text,
 * where a first apply of 100,000 accounts appends a record per account and
 * target. The covered object's canonical JSON is written out here, its keys
 * in sorted order.
 */
export function auditHashOfTexts(record: Omit<HashedAuditFields, 'before' | 'after'>, beforeText: string, afterText: string): string {
  const s = JSON.stringify;
  const covered =
    `{"action":${s(record.action)},"actor":${s(record.actor)},"after":${afterText},"at":${s(record.at)},"before":${beforeText},` +
    `"prevHash":${s(record.prevHash)},"result":${s(record.result)},"seq":${s(record.seq)},"target":${s(record.target)}}`;
  return createHash('sha256').update(covered).digest('hex');
}
