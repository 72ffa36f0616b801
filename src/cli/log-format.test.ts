import { describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import { logFormat } from './log-format.js';

describe('logFormat', () => {
  it('writes readable lines to a terminal and JSON lines anywhere else', () => {
    expect(logFormat({ isTTY: true }, {})).toBe('pretty');
    expect(logFormat({ isTTY: false }, {})).toBe('json');
    // A pipe or a file: Node leaves isTTY undefined.
    expect(logFormat({}, {})).toBe('json');
    expect(logFormat({ isTTY: true }, { ROSTER_LOG_FORMAT: '' })).toBe('pretty');
  });

  it('follows ROSTER_LOG_FORMAT whatever the stream is', () => {
    expect(logFormat({ isTTY: true }, { ROSTER_LOG_FORMAT: 'json' })).toBe('json');
    expect(logFormat({}, { ROSTER_LOG_FORMAT: 'pretty' })).toBe('pretty');
  });

  it('refuses any other ROSTER_LOG_FORMAT, naming it', () => {
    expect(() => logFormat({}, { ROSTER_LOG_FORMAT: 'text' })).toThrow(RosterError);
    expect(() => logFormat({}, { ROSTER_LOG_FORMAT: 'text' })).toThrow(/ROSTER_LOG_FORMAT is "text"; it must be json or pretty/);
  });
});
