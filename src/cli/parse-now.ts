import { RosterError } from '../domain/errors.js';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses `--now` / `ROSTER_NOW`. A time with an offset or `Z` is exact; a
 * wall time without one is read in the configured time zone, so
 * `--now 2017-10-23T00:00:03` means the zone's midnight, as an admin expects.
 */
export function parseNow(text: string, timeZone: string, field = '--now'): Date {
  const m = ISO.exec(text.trim());
  if (m === null) throw new RosterError('usage', `${field} "${text}" is not an ISO 8601 time (e.g. 2026-11-23T04:50:00Z)`, [{ where: field, message: 'expected ISO 8601' }]);
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '0', zone] = m;
  const parts = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), Number(frac.slice(0, 3).padEnd(3, '0'))] as const;
  const wall = Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5], parts[6]);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== parts[0] || check.getUTCMonth() !== parts[1] - 1 || check.getUTCDate() !== parts[2] || parts[3] > 23 || parts[4] > 59 || parts[5] > 59) {
    throw new RosterError('usage', `${field} "${text}" is not a valid date and time`, [{ where: field, message: 'no such date or time' }]);
  }
  if (zone !== undefined) {
    if (zone === 'Z') return new Date(wall);
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    return new Date(wall - offset * 60_000);
  }
  return wallTimeInZone(wall, timeZone);
}

/** The instant whose wall time in `timeZone` is `wall` (given as if it were UTC). */
export function wallTimeInZone(wall: number, timeZone: string): Date {
  let guess = wall;
  // Two rounds settle the offset, also across a DST change.
  for (let i = 0; i < 3; i++) guess = wall - offsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

function offsetMs(instant: Date, timeZone: string): number {
  const f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const p = Object.fromEntries(f.formatToParts(instant).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}
