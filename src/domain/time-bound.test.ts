import { describe, expect, it } from 'vitest';
import { RosterError } from './errors.js';
import { parseTimeBound } from './time-bound.js';

const NOW = new Date('2026-12-04T22:55:00.000Z');
const at = (text: string, zone = 'UTC'): string => parseTimeBound(text, NOW, zone, '--since').toISOString();

describe('parseTimeBound', () => {
  it('reads exact ISO 8601 times with Z or an offset, whatever the zone', () => {
    expect(at('2026-12-01T10:00:00Z', 'Europe/Berlin')).toBe('2026-12-01T10:00:00.000Z');
    expect(at('2026-12-01T10:00:00.5+02:00')).toBe('2026-12-01T08:00:00.500Z');
    expect(at('2026-12-01 10:00-0330')).toBe('2026-12-01T13:30:00.000Z');
  });

  it('reads a date as the start of that day, and a time without offset as a wall time, in the zone', () => {
    expect(at('2026-12-04')).toBe('2026-12-04T00:00:00.000Z');
    expect(at('2026-12-04', 'Europe/Berlin')).toBe('2026-12-03T23:00:00.000Z');
    expect(at('2026-07-04', 'Europe/Berlin')).toBe('2026-07-03T22:00:00.000Z');
    expect(at('2026-12-04', 'Pacific/Kiritimati')).toBe('2026-12-03T10:00:00.000Z');
    expect(at('2026-12-04T08:30', 'America/New_York')).toBe('2026-12-04T13:30:00.000Z');
    // The day clocks go forward in Berlin: 03:30 exists, and is 01:30Z.
    expect(at('2026-03-29T03:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
  });

  it('reads a span back from now', () => {
    expect(at('7d')).toBe('2026-11-27T22:55:00.000Z');
    expect(at('12h')).toBe('2026-12-04T10:55:00.000Z');
    expect(at(' 30m ')).toBe('2026-12-04T22:25:00.000Z');
  });

  it('refuses anything else with the code asked for, naming the field', () => {
    for (const bad of ['yesterday', '2026-02-30', '2026-12-04T24:00', '7w', '', '2026-1-4', '12/04/2026']) {
      let error: unknown;
      try {
        parseTimeBound(bad, NOW, 'UTC', 'query.since', 'bad_input');
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(RosterError);
      expect(error, bad).toMatchObject({ code: 'bad_input', issues: [{ where: 'query.since' }] });
    }
    expect(() => parseTimeBound('soon', NOW, 'UTC', '--until')).toThrow(/--until "soon" is not a date/);
    expect(() => parseTimeBound('soon', NOW, 'UTC', '--until')).toThrow(expect.objectContaining({ code: 'usage' }) as Error);
  });
});
