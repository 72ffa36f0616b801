import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMON_PASSWORDS } from './common-passwords.js';
import { checkPassword, MAX_PASSWORD_LENGTH } from './password-policy.js';

const policy = { minLength: 10, minClasses: 3 };

describe('checkPassword (RATS step 7)', () => {
  it('accepts a long password mixing three classes', () => {
    expect(checkPassword('correct Horse battery', policy)).toEqual([]);
    expect(checkPassword('Tr0ubadour-and-3', policy)).toEqual([]);
    expect(checkPassword('zebra7 Marmalade', policy, { username: 'svette', firstName: 'Søren', lastName: 'Vette' })).toEqual([]);
  });

  it('minimum length counts characters, not UTF-16 units', () => {
    expect(checkPassword('Ab1!', policy)).toContain('must be at least 10 characters long');
    expect(checkPassword('Ab1!Ab1!Ab', { minLength: 10, minClasses: 1 })).toEqual([]);
    // 9 astral characters are 18 UTF-16 code units but 9 characters.
    expect(checkPassword('😀'.repeat(9), { minLength: 10, minClasses: 1 })).toContain('must be at least 10 characters long');
  });

  it('counts the four classes: lower, upper, digit, other', () => {
    expect(checkPassword('abcdefghijkl', policy)).toEqual(['must mix at least 3 of the 4 kinds of character (lower case, upper case, digits, others); it has 1']);
    expect(checkPassword('abcdefghijKL', policy)[0]).toMatch(/it has 2$/);
    expect(checkPassword('abcdefghijK1', policy)).toEqual([]);
    expect(checkPassword('abcdefghij K', policy)).toEqual([]); // space is "other"
    expect(checkPassword('ABCDEFGHIJ1.', policy)).toEqual([]);
    expect(checkPassword('éèàçôüabcdÉ1', policy)).toEqual([]); // accented letters have case too
    expect(checkPassword('密码密码密码密码密码a1', policy)).toEqual([]); // caseless script counts as other
    expect(checkPassword('aB1!aB1!aB1!', { minLength: 1, minClasses: 4 })).toEqual([]);
    expect(checkPassword('aB1aB1aB1aB1', { minLength: 1, minClasses: 4 })[0]).toMatch(/at least 4 .* it has 3$/);
  });

  it('refuses common passwords case-insensitively and with trailing digits or symbols', () => {
    const lax = { minLength: 1, minClasses: 1 };
    const common = 'is too common (it is on the list of most-used passwords)';
    expect(checkPassword('password', lax)).toEqual([common]);
    expect(checkPassword('PassWord', lax)).toEqual([common]);
    expect(checkPassword('Password123', lax)).toEqual([common]);
    expect(checkPassword('Password123!', lax)).toEqual([common]);
    expect(checkPassword('Qwerty2024', lax)).toEqual([common]);
    expect(checkPassword('123456789', lax)).toEqual([common]);
    expect(checkPassword('Dragon!!', lax)).toEqual([common]);
    expect(checkPassword('password-manager', lax)).toEqual([]);
    expect(checkPassword('1password', lax)).toEqual([]);
  });

  it('ships roughly 200 lower-case entries', () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThanOrEqual(200);
    for (const p of COMMON_PASSWORDS) expect(p).toBe(p.toLowerCase());
  });

  it('refuses the username and names of three or more characters, case- and accent-insensitively', () => {
    const ctx = { username: 'svette', firstName: 'Søren', lastName: 'Vette-Larsen' };
    expect(checkPassword('xxSVETTE42!yy', policy, ctx)).toEqual(['must not contain the username', 'must not contain your last name']);
    expect(checkPassword('My-soren-42!!', policy, ctx)).toEqual(['must not contain your first name']);
    expect(checkPassword('My-Søren-42!!', policy, ctx)).toEqual(['must not contain your first name']);
    expect(checkPassword('Larsen-for-42', policy, ctx)).toEqual(['must not contain your last name']);
    // Two-letter names are too common a substring to forbid.
    expect(checkPassword('Wholesale-42!', policy, { firstName: 'Al', lastName: 'Le' })).toEqual([]);
    expect(checkPassword('Wholesale-42!', policy, { username: 'al' })).toEqual([]);
  });

  it('refuses control characters and line breaks', () => {
    for (const bad of ['Zebra7-Mar\n', 'Zeb\tra7-Mar', 'Zebra7-Mar\u0000', 'Zebra7-Mar\u007f', 'Zebra7-Mar\u2028', 'Zebra7-Mar\r', 'Zebra7-Mar\u0085']) {
      expect(checkPassword(bad, policy)).toEqual(['must not contain control characters or line breaks']);
    }
  });

  it('caps the length', () => {
    expect(checkPassword(`aB1!${'x'.repeat(MAX_PASSWORD_LENGTH)}`, policy)).toEqual([`must be at most ${MAX_PASSWORD_LENGTH} characters long`]);
  });

  it('lists every problem at once', () => {
    expect(checkPassword('svette\n', policy, { username: 'svette' })).toHaveLength(4);
  });

  it('never echoes the password (property)', () => {
    fc.assert(
      // A marker no message template contains stands for "any part of the password".
      fc.property(fc.string({ maxLength: 40, unit: 'grapheme' }), fc.string({ maxLength: 10 }), (rest, username) => {
        const password = `§${rest}`;
        for (const message of checkPassword(password, policy, { username, firstName: password, lastName: password })) {
          expect(message).not.toContain('§');
          if (rest.length >= 8) expect(message).not.toContain(rest);
        }
      }),
      { numRuns: 500 },
    );
  });
});
