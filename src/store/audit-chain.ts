import { createHash } from 'node:crypto';
import type { AuditRecord } from './store.js';

/** The prevHash of record 1: nothing precedes it. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a record's hash covers: every stored field but the hash itself. */
export type HashedAuditFields = Omit<AuditRecord, 'hash'>;

/**
 * JSON with object keys sorted at every depth, so the same value always gives
 * the same text whatever order its keys were built in (the hash must not
 * depend on the order a caller happened to spread an object). `undefined`
 * members are dropped and non-finite numbers become null, as JSON.stringify
 * does, so a value and its JSON round trip canonicalise identically.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value ?? null)) as unknown));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    // Null prototype: a "__proto__" member stays an ordinary, hashed key.
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

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
