import { describe, expect, it } from 'vitest';
import { asRosterError, errorCatalogue, errorMessage, outcomeExit, RosterError } from './errors.js';

describe('error catalogue', () => {
  it('gives each error its exit code and HTTP status from the catalogue', () => {
    const e = new RosterError('lock_timeout', 'another apply holds /');
    expect([e.exitCode, e.status]).toEqual([75, 503]);
    expect(new RosterError('unavailable', 'x').exitCode).toBe(errorCatalogue.unavailable.exit);
    expect(outcomeExit).toEqual({ ok: 0, someFailed: 1, pendingChanges: 2 });
  });

  it('carries a SCIM type and a cause only when given', () => {
    const cause = new Error('ENOENT');
    const e = new RosterError('conflict', 'taken', [{ where: 'userName', message: 'uniqueness' }], { scimType: 'uniqueness', cause });
    expect([e.scimType, e.cause]).toEqual(['uniqueness', cause]);
    const plain = new RosterError('conflict', 'taken');
    expect([plain.scimType, 'cause' in plain]).toEqual([undefined, false]);
  });
});

describe('errorMessage', () => {
  it('is the message of an Error and the string of anything else', () => {
    expect(errorMessage(new TypeError('bad type'))).toBe('bad type');
    expect(errorMessage(new RosterError('usage', 'no such flag'))).toBe('no such flag');
    expect(errorMessage('plain text')).toBe('plain text');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });

  it('names an Error with an empty message by its code, else its class', () => {
    const refused = Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' });
    expect(errorMessage(refused)).toBe('ECONNREFUSED');
    expect(errorMessage(new RangeError(''))).toBe('RangeError');
  });

  it('gives the stack trace when asked, for logs', () => {
    const e = new Error('boom');
    expect(errorMessage(e, { stack: true })).toMatch(/^Error: boom\n\s+at /);
    expect(errorMessage('not an error', { stack: true })).toBe('not an error');
  });

  it('turns anything thrown into a catalogue error, keeping catalogue errors as they are', () => {
    const known = new RosterError('not_found', 'no such account');
    expect(asRosterError(known)).toBe(known);
    expect(asRosterError(new Error('disk full'))).toMatchObject({ code: 'internal', message: 'disk full' });
  });
});
