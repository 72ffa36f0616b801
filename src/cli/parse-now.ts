import { RosterError } from '../domain/errors.js';
import { readIsoTime } from '../domain/time-bound.js';

/**
 * Parses `--now` / `ROSTER_NOW`. A time with an offset or `Z` is exact; a
 * wall time without one is read in the configured time zone, so
 * `--now 2017-10-23T00:00:03` means the zone's midnight, as an admin expects.
 */
export function parseNow(text: string, timeZone: string, field = '--now'): Date {
  const t = readIsoTime(text, timeZone);
  if (t === 'malformed') throw new RosterError('usage', `${field} "${text}" is not an ISO 8601 time (e.g. 2026-11-23T04:50:00Z)`, [{ where: field, message: 'expected ISO 8601' }]);
  if (t === 'invalid') throw new RosterError('usage', `${field} "${text}" is not a valid date and time`, [{ where: field, message: 'no such date or time' }]);
  return t;
}
