import { offsetAt } from './zoned-time.js';

const DAY_MS = 86_400_000;

/**
 * `daysSinceEpoch(calendarDate(t, timeZone))` for many instants at once — a
 * projection turns 100,000 creation times into shadow "last change" days,
 * and one `Intl` formatting per instant cost a second. The zone's offset is
 * read at both ends of each UTC day and cached per day: where they agree,
 * every instant of that day has that offset (tzdata never has two
 * transitions within a day, the assumption zoned-time.ts makes as well);
 * where they differ, the instant is converted on its own.
 */
export function zonedDayCounter(timeZone: string): (t: number) => number {
  const days = new Map<number, number | null>();
  const exact = (t: number): number => Math.floor((t + offsetAt(t, timeZone)) / DAY_MS);
  return (t: number): number => {
    const utcDay = Math.floor(t / DAY_MS);
    let offset = days.get(utcDay);
    if (offset === undefined) {
      const start = offsetAt(utcDay * DAY_MS, timeZone);
      const end = offsetAt((utcDay + 1) * DAY_MS - 1, timeZone);
      offset = start === end ? start : null;
      days.set(utcDay, offset);
    }
    return offset === null ? exact(t) : Math.floor((t + offset) / DAY_MS);
  };
}
