import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RosterError } from './errors.js';
import { addDaysInZone, addDaysToDate, calendarDate, daysBetween, daysSinceEpoch, startOfDayInZone } from './zoned-time.js';

const iso = (d: Date): string => d.toISOString();
const at = (s: string): Date => new Date(s);

describe('startOfDayInZone / addDaysInZone: seed 002', () => {
  it('retiring 2017-10-13 13:00 Berlin with P=10 purges at 2017-10-23 00:00 Berlin', () => {
    const now = at('2017-10-13T13:00:00+02:00');
    expect(iso(startOfDayInZone(addDaysInZone(now, 10, 'Europe/Berlin'), 'Europe/Berlin'))).toBe('2017-10-22T22:00:00.000Z');
  });

  it('D=5 gives 2017-10-18 00:00 Berlin = sambaKickoffTime 1508277600, shadowExpire 17457', () => {
    const now = at('2017-10-13T13:00:17+02:00');
    const expiry = startOfDayInZone(addDaysInZone(now, 5, 'Europe/Berlin'), 'Europe/Berlin');
    expect(expiry.getTime() / 1000).toBe(1508277600);
    expect(daysSinceEpoch(calendarDate(expiry, 'Europe/Berlin'))).toBe(17457);
  });

  it('D=7, P=12345 give shadowExpire 17459 and a purge on 2051-08-01', () => {
    const now = at('2017-10-13T13:00:17+02:00');
    const expiry = startOfDayInZone(addDaysInZone(now, 7, 'Europe/Berlin'), 'Europe/Berlin');
    expect(expiry.getTime() / 1000).toBe(1508450400);
    expect(daysSinceEpoch(calendarDate(expiry, 'Europe/Berlin'))).toBe(17459);
    const purge = startOfDayInZone(addDaysInZone(now, 12345, 'Europe/Berlin'), 'Europe/Berlin');
    expect(calendarDate(purge, 'Europe/Berlin')).toBe('2051-08-01');
    expect(iso(purge)).toBe('2051-07-31T22:00:00.000Z');
  });
});

describe('startOfDayInZone', () => {
  it('UTC', () => {
    expect(iso(startOfDayInZone(at('2024-02-29T23:59:59.999Z'), 'UTC'))).toBe('2024-02-29T00:00:00.000Z');
    expect(iso(startOfDayInZone(at('2024-03-01T00:00:00.000Z'), 'UTC'))).toBe('2024-03-01T00:00:00.000Z');
  });

  it('uses the zone’s calendar day, not UTC’s', () => {
    // 23:30 UTC on the 9th is already the 10th in Berlin.
    expect(iso(startOfDayInZone(at('2024-06-09T23:30:00Z'), 'Europe/Berlin'))).toBe('2024-06-09T22:00:00.000Z');
    // 03:00 UTC on the 10th is still the 9th in New York.
    expect(iso(startOfDayInZone(at('2024-06-10T03:00:00Z'), 'America/New_York'))).toBe('2024-06-09T04:00:00.000Z');
  });

  it('Europe/Berlin spring-forward and fall-back days start at their own offset', () => {
    // 2024-03-31: 02:00 CET → 03:00 CEST; midnight is still CET (+01).
    expect(iso(startOfDayInZone(at('2024-03-31T20:00:00Z'), 'Europe/Berlin'))).toBe('2024-03-30T23:00:00.000Z');
    // The day after starts at CEST (+02).
    expect(iso(startOfDayInZone(at('2024-04-01T12:00:00Z'), 'Europe/Berlin'))).toBe('2024-03-31T22:00:00.000Z');
    // 2024-10-27: 03:00 CEST → 02:00 CET; midnight is CEST.
    expect(iso(startOfDayInZone(at('2024-10-27T20:00:00Z'), 'Europe/Berlin'))).toBe('2024-10-26T22:00:00.000Z');
    // During the repeated hour (the second 02:30, CET).
    expect(iso(startOfDayInZone(at('2024-10-27T01:30:00Z'), 'Europe/Berlin'))).toBe('2024-10-26T22:00:00.000Z');
  });

  it('America/New_York DST days', () => {
    expect(iso(startOfDayInZone(at('2024-03-10T12:00:00Z'), 'America/New_York'))).toBe('2024-03-10T05:00:00.000Z');
    expect(iso(startOfDayInZone(at('2024-03-11T12:00:00Z'), 'America/New_York'))).toBe('2024-03-11T04:00:00.000Z');
    expect(iso(startOfDayInZone(at('2024-11-03T12:00:00Z'), 'America/New_York'))).toBe('2024-11-03T04:00:00.000Z');
    expect(iso(startOfDayInZone(at('2024-11-04T12:00:00Z'), 'America/New_York'))).toBe('2024-11-04T05:00:00.000Z');
  });

  it('where midnight does not exist, the day starts at the transition (which reads 01:00)', () => {
    // America/Santiago 2023-09-03: 00:00 -04 → 01:00 -03.
    const santiago = startOfDayInZone(at('2023-09-03T18:00:00Z'), 'America/Santiago');
    expect(iso(santiago)).toBe('2023-09-03T04:00:00.000Z');
    expect(calendarDate(santiago, 'America/Santiago')).toBe('2023-09-03');
    expect(calendarDate(new Date(santiago.getTime() - 1), 'America/Santiago')).toBe('2023-09-02');
    // Asia/Beirut 2022-03-27: 00:00 +02 → 01:00 +03.
    expect(iso(startOfDayInZone(at('2022-03-27T10:00:00Z'), 'Asia/Beirut'))).toBe('2022-03-26T22:00:00.000Z');
    // America/Sao_Paulo 2018-11-04 (DST began at midnight until 2019).
    expect(iso(startOfDayInZone(at('2018-11-04T15:00:00Z'), 'America/Sao_Paulo'))).toBe('2018-11-04T03:00:00.000Z');
  });

  it('where midnight exists twice, the day starts at the first one', () => {
    // Asia/Beirut 2022-10-30: 00:00 +03 → 23:00 +02 of the 29th; the 30th first begins at 00:00 +02.
    const beirut = startOfDayInZone(at('2022-10-30T10:00:00Z'), 'Asia/Beirut');
    expect(iso(beirut)).toBe('2022-10-29T22:00:00.000Z');
    expect(calendarDate(beirut, 'Asia/Beirut')).toBe('2022-10-30');
  });

  it('Pacific/Apia skipped 2011-12-30 entirely', () => {
    expect(iso(startOfDayInZone(at('2011-12-31T12:00:00Z'), 'Pacific/Apia'))).toBe('2011-12-31T10:00:00.000Z');
    expect(iso(startOfDayInZone(at('2011-12-30T11:00:00Z'), 'Pacific/Apia'))).toBe('2011-12-30T10:00:00.000Z');
    expect(calendarDate(at('2011-12-30T09:59:59Z'), 'Pacific/Apia')).toBe('2011-12-29');
  });

  it('Australia/Lord_Howe: half-hour offsets', () => {
    expect(iso(startOfDayInZone(at('2024-10-06T12:00:00Z'), 'Australia/Lord_Howe'))).toBe('2024-10-05T13:30:00.000Z');
  });

  it('is the first instant of its day, in any zone, at any time (property)', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Santiago', 'Asia/Beirut', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Havana'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom(...zones), (t, zone) => {
        const start = startOfDayInZone(new Date(t), zone);
        const day = calendarDate(new Date(t), zone);
        expect(start.getTime()).toBeLessThanOrEqual(t);
        expect(calendarDate(start, zone)).toBe(day);
        expect(calendarDate(new Date(start.getTime() - 1), zone) < day).toBe(true);
        // Idempotent.
        expect(startOfDayInZone(start, zone).getTime()).toBe(start.getTime());
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects unknown zones and invalid dates', () => {
    expect(() => startOfDayInZone(at('2024-01-01T00:00:00Z'), 'Mars/Olympus')).toThrow(RosterError);
    expect(() => startOfDayInZone(new Date(NaN), 'UTC')).toThrow(RosterError);
  });
});

describe('addDaysInZone', () => {
  it('keeps the wall time across a DST change (a calendar day is 23 or 25 hours)', () => {
    // 12:00 CET on 2024-03-30 → 12:00 CEST on 2024-03-31: 23 hours later.
    const before = at('2024-03-30T11:00:00Z');
    const after = addDaysInZone(before, 1, 'Europe/Berlin');
    expect(iso(after)).toBe('2024-03-31T10:00:00.000Z');
    expect(after.getTime() - before.getTime()).toBe(23 * 3600_000);
    expect(iso(addDaysInZone(at('2024-10-26T10:00:00Z'), 1, 'Europe/Berlin'))).toBe('2024-10-27T11:00:00.000Z');
    expect(iso(addDaysInZone(at('2024-11-02T16:00:00Z'), 1, 'America/New_York'))).toBe('2024-11-03T17:00:00.000Z');
  });

  it('a wall time inside a gap moves forward by the gap; a repeated one takes the earlier instant', () => {
    // 02:30 EST on 2024-03-09 + 1 day: 02:30 does not exist on the 10th → 03:30 EDT.
    expect(iso(addDaysInZone(at('2024-03-09T07:30:00Z'), 1, 'America/New_York'))).toBe('2024-03-10T07:30:00.000Z');
    // 01:30 EDT on 2024-11-02 + 1 day: 01:30 happens twice on the 3rd → the EDT one.
    expect(iso(addDaysInZone(at('2024-11-02T05:30:00Z'), 1, 'America/New_York'))).toBe('2024-11-03T05:30:00.000Z');
  });

  it('handles negative and zero days, and month/year/leap boundaries', () => {
    expect(iso(addDaysInZone(at('2024-03-01T12:00:00Z'), -1, 'UTC'))).toBe('2024-02-29T12:00:00.000Z');
    expect(iso(addDaysInZone(at('2023-12-31T12:00:00Z'), 1, 'UTC'))).toBe('2024-01-01T12:00:00.000Z');
    expect(iso(addDaysInZone(at('2023-12-31T12:34:56.789Z'), 0, 'Europe/Berlin'))).toBe('2023-12-31T12:34:56.789Z');
    expect(iso(addDaysInZone(at('2024-01-01T12:34:56.789Z'), 366, 'UTC'))).toBe('2025-01-01T12:34:56.789Z');
  });

  it('moves the calendar date by exactly n days (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.integer({ min: -400, max: 400 }),
        fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'America/Santiago', 'Asia/Beirut'),
        (t, n, zone) => {
          const moved = addDaysInZone(new Date(t), n, zone);
          expect(calendarDate(moved, zone)).toBe(addDaysToDate(calendarDate(new Date(t), zone), n));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects fractional days', () => {
    expect(() => addDaysInZone(at('2024-01-01T00:00:00Z'), 1.5, 'UTC')).toThrow(/whole number/);
  });
});

describe('calendar dates', () => {
  it('calendarDate is the zone’s date', () => {
    expect(calendarDate(at('2024-06-09T23:30:00Z'), 'UTC')).toBe('2024-06-09');
    expect(calendarDate(at('2024-06-09T23:30:00Z'), 'Europe/Berlin')).toBe('2024-06-10');
    expect(calendarDate(at('2024-06-09T03:30:00Z'), 'America/Los_Angeles')).toBe('2024-06-08');
  });

  it('daysSinceEpoch is the shadow(5) day number', () => {
    expect(daysSinceEpoch('1970-01-01')).toBe(0);
    expect(daysSinceEpoch('1970-01-02')).toBe(1);
    expect(daysSinceEpoch('2017-10-18')).toBe(17457);
    expect(daysSinceEpoch('1969-12-31')).toBe(-1);
  });

  it('rejects malformed or impossible dates', () => {
    for (const bad of ['2024-02-30', '2023-02-29', '2024-13-01', '2024-1-01', '20240101', '', '2024-01-01T00:00']) {
      expect(() => daysSinceEpoch(bad)).toThrow(RosterError);
    }
    expect(daysSinceEpoch('2024-02-29')).toBe(19782);
  });

  it('addDaysToDate and daysBetween are inverse', () => {
    expect(addDaysToDate('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDaysToDate('2024-02-28', 2)).toBe('2024-03-01');
    expect(addDaysToDate('2024-01-01', -1)).toBe('2023-12-31');
    expect(daysBetween('2024-01-01', '2025-01-01')).toBe(366);
    expect(daysBetween('2025-01-01', '2024-01-01')).toBe(-366);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: -5000, max: 5000 }), (d, n) => {
        const date = new Date(d * 86_400_000).toISOString().slice(0, 10);
        expect(daysBetween(date, addDaysToDate(date, n))).toBe(n);
      }),
    );
  });
});
