import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zonedDayCounter } from './zoned-day-counter.js';
import { calendarDate, daysSinceEpoch } from './zoned-time.js';

// Zones with midnight transitions (Santiago), half-hour DST (Lord Howe),
// odd offsets (Kathmandu), a skipped day (Apia) and plain ones.
const ZONES = ['UTC', 'Europe/Berlin', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Apia', 'America/New_York'];

describe('zonedDayCounter', () => {
  it('agrees with daysSinceEpoch(calendarDate(t)) for any instant in any zone', () => {
    for (const zone of ZONES) {
      const days = zonedDayCounter(zone);
      fc.assert(
        fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }), (t) => {
          expect(days(t)).toBe(daysSinceEpoch(calendarDate(new Date(t), zone)));
        }),
        { numRuns: 2000 },
      );
    }
  });

  it('is exact around transitions and midnights', () => {
    // Santiago falls back at 00:00 on 2024-04-07 (to 23:00 on the 6th); Berlin springs forward 2026-03-29.
    const instants = ['2024-04-07T02:59:59.999Z', '2024-04-07T03:00:00Z', '2024-04-07T03:59:59Z', '2024-04-07T04:00:00Z', '2026-03-28T22:59:59Z', '2026-03-28T23:00:00Z', '2026-03-29T00:59:59Z', '2026-03-29T01:00:00Z', '2026-03-29T21:59:59Z', '2026-03-29T22:00:00Z'];
    for (const zone of ZONES) {
      const days = zonedDayCounter(zone);
      for (const iso of instants) expect(days(Date.parse(iso)), `${zone} ${iso}`).toBe(daysSinceEpoch(calendarDate(new Date(iso), zone)));
    }
  });
});
