import { RosterError } from './errors.js';
import { offsetAt, startOfDayInZone } from './zoned-time.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A date, optionally with a time, optionally with `Z` or an offset. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const AGO = /^(\d{1,6})([dhm])$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/**
 * A bound of a time window as people type it (`--since`, `?since=`): an
 * ISO 8601 time (with `Z` or an offset it is exact; without one it is a wall
 * time in `timeZone`), a date (`2026-12-04`: the start of that day in
 * `timeZone`), or a span back from now (`7d`, `12h`, `30m`). Anything else
 * is refused with `code` (`usage` for a flag, `bad_input` for a request),
 * naming `field`.
 */
export function parseTimeBound(text: string, now: Date, timeZone: string, field: string, code: 'usage' | 'bad_input' = 'usage'): Date {
  const value = text.trim();
  const refuse = (why: string): RosterError => new RosterError(code, `${field} "${value.replace(/[\u0000-\u001f\u007f]/g, '?')}" ${why}`, [{ where: field, message: 'expected e.g. 2026-12-04, 2026-12-04T22:55:00Z or 7d' }]);
  const ago = AGO.exec(value);
  if (ago !== null) return new Date(now.getTime() - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS]);
  const date = DATE.exec(value);
  if (date !== null) {
    const noon = wall(date, 12, 0, 0, 0);
    if (noon === null) throw refuse('is not a date');
    // Noon of that day in the zone (whatever its offset), then back to the day's start there.
    return startOfDayInZone(new Date(noon - offsetAt(noon, timeZone)), timeZone);
  }
  const t = readIsoTime(value, timeZone);
  if (t === 'malformed') throw refuse('is not a date, an ISO 8601 time or a span such as 7d, 12h or 30m');
  if (t === 'invalid') throw refuse('is not a valid date and time');
  return t;
}

/**
 * An ISO 8601 date and time as people type it: with `Z` or an offset it is
 * exact; without one (or as a bare date, its midnight) it is a wall time in
 * `timeZone`. `malformed` when it is not of that form, `invalid` when it
 * names no such date or time (February 30th, 24:00).
 */
export function readIsoTime(text: string, timeZone: string): Date | 'malformed' | 'invalid' {
  const m = ISO.exec(text.trim());
  if (m === null) return 'malformed';
  const [, , , , h = '0', mi = '0', s = '0', frac = '0', zone] = m;
  const t = wall(m, Number(h), Number(mi), Number(s), Number(frac.slice(0, 3).padEnd(3, '0')));
  if (t === null) return 'invalid';
  if (zone === 'Z') return new Date(t);
  if (zone !== undefined) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    return new Date(t - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000);
  }
  // A wall time in the zone: two rounds settle the offset, also next to a DST change.
  let guess = t;
  for (let i = 0; i < 3; i++) guess = t - offsetAt(guess, timeZone);
  return new Date(guess);
}

/** The wall time (as UTC milliseconds) of a matched date and the given time of day, or null when there is no such date or time. */
function wall(m: RegExpExecArray, hour: number, minute: number, second: number, ms: number): number | null {
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (hour > 23 || minute > 59 || second > 59) return null;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? d.getTime() : null;
}
