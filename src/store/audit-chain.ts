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
  const covered = {
    seq: record.seq,
    at: record.at,
    actor: record.actor,
    action: record.action,
    target: record.target,
    before: record.before ?? null,
    after: record.after ?? null,
    result: record.result,
    prevHash: record.prevHash,
  };
  return createHash('sha256').update(canonicalJson(covered)).digest('hex');
}
