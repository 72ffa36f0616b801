import { describe, expect, it } from 'vitest';
import { latestSlot, nextSlot } from './job-schedule.js';

describe('job schedules in the configured time zone', () => {
  it('04:50 Berlin: the slot a run covers and the next one, across the spring DST change', () => {
    const purge = '50 4 * * *';
    expect(latestSlot(purge, 'Europe/Berlin', new Date('2026-03-10T03:49:59Z'))?.toISOString()).toBe('2026-03-09T03:50:00.000Z');
    expect(latestSlot(purge, 'Europe/Berlin', new Date('2026-03-10T03:50:00Z'))?.toISOString()).toBe('2026-03-10T03:50:00.000Z');
    expect(nextSlot(purge, 'Europe/Berlin', new Date('2026-03-10T03:50:00Z'))?.toISOString()).toBe('2026-03-11T03:50:00.000Z');
    // Summer time from 2026-03-29: 04:50 is then 02:50 UTC.
    expect(nextSlot(purge, 'Europe/Berlin', new Date('2026-03-28T12:00:00Z'))?.toISOString()).toBe('2026-03-29T02:50:00.000Z');
  });

  it('reads the same expression in another zone', () => {
    expect(nextSlot('0 6 * * *', 'America/New_York', new Date('2026-01-10T00:00:00Z'))?.toISOString()).toBe('2026-01-10T11:00:00.000Z');
    expect(latestSlot('*/15 * * * *', 'UTC', new Date('2026-01-10T10:29:59Z'))?.toISOString()).toBe('2026-01-10T10:15:00.000Z');
  });
});
