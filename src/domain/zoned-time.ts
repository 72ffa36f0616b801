/**
 * Calendar arithmetic in a named time zone, with nothing but `Intl`.
 *
 * Grace periods are whole calendar days and deadlines fall on "start of day",
 * i.e. midnight in the configured zone (DESIGN.md §3 "Retirement", seed 002:
 * retiring on 2017-10-13 13:00 Europe/Berlin with P=10 purges at 2017-10-23
 * 00:00 Berlin, 2017-10-22T22:00:00Z). Days are therefore not 24 hours: across
 * a DST change they are 23 or 25, and in a few zones midnight itself does not
 * exist on the day clocks spring forward at 00:00 (Asia/Beirut, America/Santiago,
 * America/Havana, America/Sao_Paulo until 2019); the day then starts at the
 * transition instant, which reads 01:00.
 *
 * Internally a *wall* time is the local date and time of an instant written
 * as if it were UTC milliseconds (`Date.UTC(y, m, d, h, mi, s)`), so adding
 * calendar days to a wall time is plain arithmetic and only the conversion
 * back to an instant needs the zone's offset.
 */
import { RosterError } from './errors.js';

const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      // `hourCycle: 'h23'` rather than `hour12: false`: the latter prints
      // midnight as "24" in some ICU versions.
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new RosterError('bad_config', `unknown time zone "${timeZone}"`, [{ where: 'timeZone', message: 'not an IANA time zone name' }]);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

function checkInstant(instant: Date, what = 'instant'): number {
  const t = instant.getTime();
  if (!Number.isFinite(t)) throw new RosterError('bad_input', `${what} is not a valid time`);
  return t;
}

/** Names of UTC itself, whose wall time is the instant: no ICU needed. */
export function isUtc(timeZone: string): boolean {
  return timeZone === 'UTC' || timeZone === 'Etc/UTC';
}

/** The local date and time of `t` in `timeZone`, as wall milliseconds. */
function wallMs(t: number, timeZone: string): number {
  if (isUtc(timeZone)) return t;
  const parts = formatterFor(timeZone).formatToParts(new Date(t));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  const ms = ((t % 1000) + 1000) % 1000;
  return utcMs(get('year'), get('month'), get('day'), get('hour'), get('minute'), get('second')) + ms;
}

/** UTC offset of `timeZone` at instant `t` (epoch ms), in milliseconds (wall − instant). */
export function offsetAt(t: number, timeZone: string): number {
  return wallMs(t, timeZone) - t;
}

/**
 * The instants whose wall time in `timeZone` is exactly `wall`: none (a gap),
 * one, or two (a repeated hour), earliest first. Offsets are taken a day
 * before and after, which covers every transition in tzdata (Samoa's
 * 2011 skip of a whole day included) as long as two transitions are not
 * within two days of each other.
 */
function instantsForWall(wall: number, timeZone: string): { readonly valid: readonly number[]; readonly before: number; readonly after: number } {
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const valid = [...new Set([wall - before, wall - after])].filter((t) => wallMs(t, timeZone) === wall).sort((a, b) => a - b);
  return { valid, before, after };
}

/**
 * Midnight at the start of the calendar day (in `timeZone`) that contains
 * `instant`. Where midnight does not exist that day, the first instant of the
 * day (the transition); where it exists twice, the first.
 */
export function startOfDayInZone(instant: Date, timeZone: string): Date {
  const t = checkInstant(instant);
  const wall = wallMs(t, timeZone);
  const midnight = Math.floor(wall / DAY_MS) * DAY_MS;
  const { valid, before, after } = instantsForWall(midnight, timeZone);
  const first = valid[0];
  if (first !== undefined) return new Date(first);
  // A gap swallowed midnight: binary-search the transition, i.e. the first
  // instant whose wall time is at or past midnight. Before the gap the wall
  // time is below midnight, after it above, so the predicate is monotonic
  // between the two offsets' readings.
  let lo = midnight - Math.max(before, after);
  let hi = midnight - Math.min(before, after);
  if (wallMs(hi, timeZone) < midnight) return new Date(hi);
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (wallMs(mid, timeZone) >= midnight) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/**
 * `instant` moved by `days` calendar days in `timeZone`, keeping its wall
 * time. A wall time that falls in a gap moves forward by the gap's length
 * (02:30 on a spring-forward night becomes 03:30); one that exists twice
 * takes the earlier instant — the same rules as Temporal's "compatible".
 */
export function addDaysInZone(instant: Date, days: number, timeZone: string): Date {
  const t = checkInstant(instant);
  if (!Number.isSafeInteger(days)) throw new RosterError('bad_input', `days must be a whole number, got ${String(days)}`);
  if (days === 0) return new Date(t);
  const wall = wallMs(t, timeZone) + days * DAY_MS;
  const { valid, before } = instantsForWall(wall, timeZone);
  return new Date(valid[0] ?? wall - before);
}

/** The calendar date (`YYYY-MM-DD`) of `instant` in `timeZone`. */
export function calendarDate(instant: Date, timeZone: string): string {
  const t = checkInstant(instant);
  return new Date(Math.floor(wallMs(t, timeZone) / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(date: string): number {
  const m = DATE.exec(date);
  if (m === null) throw new RosterError('bad_input', `"${date}" is not a date (YYYY-MM-DD)`);
  const [, y, mo, d] = m.map(Number) as [number, number, number, number];
  const ms = utcMs(y, mo, d);
  // Reject 2026-02-30 and friends instead of silently rolling over.
  if (new Date(ms).toISOString().slice(0, 10) !== date) throw new RosterError('bad_input', `"${date}" is not a real calendar date`);
  return ms;
}

/**
 * Days from 1970-01-01 to `date` (`YYYY-MM-DD`): the unit of the shadow
 * expiry field (shadow(5)), e.g. 2017-10-18 → 17457 as in seed 002.
 */
export function daysSinceEpoch(date: string): number {
  return Math.round(parseDate(date) / DAY_MS);
}

/** `date` (`YYYY-MM-DD`) plus `days` calendar days. */
export function addDaysToDate(date: string, days: number): string {
  if (!Number.isSafeInteger(days)) throw new RosterError('bad_input', `days must be a whole number, got ${String(days)}`);
  const result = new Date(parseDate(date) + days * DAY_MS);
  const year = result.getUTCFullYear();
  if (!Number.isFinite(result.getTime()) || year < 0 || year > 9999) {
    throw new RosterError('bad_input', `${date} plus ${days} days is outside the years 0000-9999`);
  }
  return result.toISOString().slice(0, 10);
}

/** Whole calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((parseDate(to) - parseDate(from)) / DAY_MS);
}
