import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ident, literal } from './postgres-session.js';

/** The session module quotes without loading pg (loaded only to connect): its quoting must be pg's, character for character. */
describe('postgres quoting', () => {
  const samples = ['alice', 'Alice', '', 'a"b', '""', "o'brien", "''", 'back\\slash', '\\', "a'b\\c\"d", 'naïve café', 'line\nbreak', ' spaced ', 'x'.repeat(200)];
  it.each(samples)('ident(%j) is pg.escapeIdentifier', (s) => {
    expect(ident(s)).toBe(pg.escapeIdentifier(s));
  });
  it.each(samples)('literal(%j) is pg.escapeLiteral', (s) => {
    expect(literal(s)).toBe(pg.escapeLiteral(s));
  });
});
