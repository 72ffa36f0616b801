import { RosterError } from '../../domain/errors.js';

/**
 * Conversions shared by the concepts' row mappings, and the statement size
 * limits they all keep to.
 */

/** Bound parameters per `IN (…)` list: far below SQLite's 32,766 and PostgreSQL's 65,535. */
export const IN_CHUNK = 500;
/**
 * Rows per multi-row INSERT: with the widest table (accounts, 19 columns)
 * that is 7,600 bound parameters, within SQLite's 32,766 and PostgreSQL's
 * 65,535, and big enough that a batch of 500 changes costs a few statements.
 */
export const INSERT_CHUNK = 400;

export function pageSize(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RosterError('bad_input', `a page size is a whole number ≥ 0, not ${limit}`);
  return limit;
}

/**
 * Every stored time is `Date#toISOString()` form, so text order is time
 * order (the purge index and keyset pages rely on it). Accepts any ISO 8601
 * time and normalises it; refuses what is not a time.
 */
export function utc(value: string, what: string): string {
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) throw new RosterError('bad_input', `${what} is not an ISO 8601 time: ${JSON.stringify(value)}`);
  return t.toISOString();
}

export function utcOrNull(value: string | null, what: string): string | null {
  return value === null ? null : utc(value, what);
}

export function stringList(text: string, what: string): string[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw new RosterError('internal', `stored ${what} is not a list of strings`);
  return value;
}

export function stringMap(text: string, what: string): Record<string, string> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RosterError('internal', `stored ${what} is not a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new RosterError('internal', `stored ${what}.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

/** A stored JSON object, or an internal error naming `what`. */
export function jsonObject(text: string, what: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RosterError('internal', `stored ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * Deliberately lenient: a tampered row (broken JSON) must still reach
 * verifyAudit, whose hash check reports it as edited, instead of making a
 * listing throw.
 */
export function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * A stored integer as a JS number. database-schema.ts declares these columns
 * `number`, but what a driver hands back depends on the column's type and the
 * dialect: PostgreSQL gives bigint and numeric values (counts, sums, int8
 * columns without the pool's parser) as strings, and a driver may give a
 * bigint. Number() makes every one of them a number, as these reads need.
 */
export function toNumber(value: number | string | bigint): number {
  return Number(value);
}
