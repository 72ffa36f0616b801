import { RosterError, type ErrorIssue } from '../domain/errors.js';
import { readIsoTime } from '../domain/time-bound.js';
import type { AuditFilter } from '../store/queries/audit-queries.js';
import type { AuditRecord, AuditReads } from '../store/store.js';
import { printable } from './person-input.js';

/** The audit log's filters as a person types them (the console's form, every field optional). */
export interface AuditSearchInput {
  /** Actors starting with this: `console:`, `cli:alice`, `token:3(admin)`. */
  readonly actor?: string | undefined;
  /** Actions starting with this: `account.`, `token.create`. */
  readonly action?: string | undefined;
  /** Exactly this target: `account:alice`, `person:S123`. */
  readonly target?: string | undefined;
  /** From this time on: an ISO 8601 time or date (a wall time in the configured zone without an offset). */
  readonly from?: string | undefined;
  /** Up to (not including) this time. */
  readonly to?: string | undefined;
  /** The next page: records before this sequence number. */
  readonly before?: string | undefined;
}

export interface AuditPage {
  /** Newest first. */
  readonly records: readonly AuditRecord[];
  /** The `before` of the next (older) page, or null on the last. */
  readonly next: number | null;
  /** The filter as read, for showing it back. */
  readonly filter: AuditFilter;
}

const TEXT = /^[^\u0000-\u001f\u007f]{1,256}$/;

/**
 * Reads the filter fields of an audit search, every problem at once with
 * the field it is about (DESIGN.md §7: bad input names the field and
 * changes nothing). Empty fields do not filter. Times without an offset
 * are wall times in `timeZone`, as `roster changelog --since` reads them.
 */
export function readAuditFilter(input: AuditSearchInput, timeZone: string): AuditFilter {
  const issues: ErrorIssue[] = [];
  const text = (field: 'actor' | 'action' | 'target'): string | undefined => {
    const v = input[field]?.trim() ?? '';
    if (v === '') return undefined;
    if (!TEXT.test(v)) issues.push({ where: field, message: 'must be at most 256 characters without control characters' });
    return v;
  };
  const time = (field: 'from' | 'to'): string | undefined => {
    const v = input[field]?.trim() ?? '';
    if (v === '') return undefined;
    const t = readIsoTime(v, timeZone);
    if (t === 'malformed') issues.push({ where: field, message: `"${printable(v)}" is not a date or time such as 2026-12-04 or 2026-12-04T22:55` });
    else if (t === 'invalid') issues.push({ where: field, message: `"${printable(v)}" names no such date or time` });
    else return t.toISOString();
    return undefined;
  };
  const actor = text('actor');
  const action = text('action');
  const target = text('target');
  const from = time('from');
  const to = time('to');
  if (from !== undefined && to !== undefined && to <= from) issues.push({ where: 'to', message: 'must be after from' });
  const beforeText = input.before?.trim() ?? '';
  let before: number | undefined;
  if (beforeText !== '') {
    if (/^\d{1,15}$/.test(beforeText) && Number(beforeText) > 0) before = Number(beforeText);
    else issues.push({ where: 'before', message: 'must be a record number' });
  }
  if (issues.length > 0) throw new RosterError('bad_input', `the audit search has ${issues.length} problem${issues.length === 1 ? '' : 's'}`, issues);
  return {
    ...(actor === undefined ? {} : { actorPrefix: actor }),
    ...(action === undefined ? {} : { actionPrefix: action }),
    ...(target === undefined ? {} : { target }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(before === undefined ? {} : { beforeSeq: before }),
  };
}

/**
 * One page of the audit log, newest first, with the key of the next page:
 * keyset paging by sequence number, so a page deep in a million records
 * costs an index seek, and records appended meanwhile never shift a later
 * page (they land before the first).
 */
export async function searchAudit(q: AuditReads, filter: AuditFilter, limit: number): Promise<AuditPage> {
  const rows = await q.listAudit({ ...filter, newestFirst: true, limit: limit + 1 });
  const records = rows.slice(0, limit);
  const last = records.at(-1);
  return { records, next: rows.length > limit && last !== undefined ? last.seq : null, filter };
}
