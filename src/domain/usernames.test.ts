import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RosterError } from './errors.js';
import { DEFAULT_USERNAME_PATTERN, foldToAscii, suggestUsernames, usernameCandidates, validateUsername, type UsernamePolicy } from './usernames.js';

const policy: UsernamePolicy = {
  pattern: DEFAULT_USERNAME_PATTERN,
  reserved: ['^[a-z]{1,4}[0-9]+$'],
  reservedNames: ['root', 'daemon', 'bin', 'admin', 'user', 'nobody', 'postmaster'],
  allowDots: false,
  suggestions: 8,
};
const dotted: UsernamePolicy = { ...policy, pattern: '^[a-z][a-z0-9.-]{0,30}$', allowDots: true };
const free = (): boolean => false;

function take<T>(gen: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const x of gen) {
    if (out.length >= n) break;
    out.push(x);
  }
  return out;
}

describe('foldToAscii', () => {
  it('strips accents and maps letters NFKD leaves alone', () => {
    expect(foldToAscii('Søren')).toBe('soren');
    expect(foldToAscii('García-Márquez')).toBe('garciamarquez');
    expect(foldToAscii('Æsa Øster')).toBe('aesaoster');
    expect(foldToAscii('Straße')).toBe('strasse');
    expect(foldToAscii('Łukasz Đorđe')).toBe('lukaszdorde');
    expect(foldToAscii('Þórður')).toBe('thordur');
    expect(foldToAscii('Œuvre')).toBe('oeuvre');
    expect(foldToAscii('Åsa')).toBe('asa');
    expect(foldToAscii('ÅSA')).toBe('asa');
    expect(foldToAscii('İlkay')).toBe('ilkay');
    expect(foldToAscii('Nguyễn')).toBe('nguyen');
    expect(foldToAscii('Dvořák')).toBe('dvorak');
  });

  it('folds compatibility forms and drops everything not [a-z0-9]', () => {
    expect(foldToAscii('ﬁnn')).toBe('finn');
    expect(foldToAscii('ｆｕｌｌ')).toBe('full');
    expect(foldToAscii("O'Brien Jr.")).toBe('obrienjr');
    expect(foldToAscii('王小明')).toBe('');
    expect(foldToAscii('Ἀλέξανδρος')).toBe('');
    expect(foldToAscii('  R2-D2 ')).toBe('r2d2');
    expect(foldToAscii('')).toBe('');
  });

  it('always yields [a-z0-9]* (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      expect(foldToAscii(s)).toMatch(/^[a-z0-9]*$/);
    }));
  });
});

describe('validateUsername', () => {
  it('accepts good names', () => {
    for (const name of ['svette', 'a', 'jo-li', 'x'.repeat(31), 'abcde123', 'ab1c']) expect(validateUsername(name, policy)).toBeNull();
  });

  it('explains each kind of refusal', () => {
    expect(validateUsername('', policy)).toBe('must not be empty');
    expect(validateUsername('x'.repeat(32), policy)).toBe('must be at most 31 characters');
    expect(validateUsername('a:b', policy)).toBe("must not contain ':'");
    expect(validateUsername('ab\ncd', policy)).toMatch(/control characters/);
    expect(validateUsername('ab\u0000', policy)).toMatch(/control characters/);
    expect(validateUsername('Svette', policy)).toBe('must match lower case, starts with a letter, at most 31 characters (use lower case)');
    expect(validateUsername('1abc', policy)).toBe('must match lower case, starts with a letter, at most 31 characters');
    expect(validateUsername('s_vette', policy)).toBe('must match lower case, starts with a letter, at most 31 characters');
    expect(validateUsername('abc123', policy)).toMatch(/^looks like an institutional id/);
    expect(validateUsername('jd1', policy)).toMatch(/institutional id/);
    expect(validateUsername('root', policy)).toBe('is a reserved system name');
    expect(validateUsername('postmaster', policy)).toBe('is a reserved system name');
  });

  it('refuses what would break files, paths and command lines whatever the site’s pattern', () => {
    const lax: UsernamePolicy = { pattern: '.*' };
    expect(validateUsername('-rf', lax)).toMatch(/must not start with '-'/);
    expect(validateUsername('..', lax)).toMatch(/'\.\.'/);
    expect(validateUsername('a/b', lax)).toMatch(/'\/'/);
    expect(validateUsername('a b', lax)).toMatch(/spaces/);
    expect(validateUsername('12345', lax)).toMatch(/all digits/);
    expect(validateUsername('a.b', lax)).toBe("must not contain '.'");
    expect(validateUsername('a.b', { ...lax, allowDots: true })).toBeNull();
  });

  it('matches the pattern against the whole name, and names a custom rule', () => {
    const custom: UsernamePolicy = { pattern: '[a-z]+' };
    expect(validateUsername('abc', custom)).toBeNull();
    expect(validateUsername('abc9', custom)).toBe("must match the site's name rule [a-z]+");
  });

  it('dots need both allowDots and a pattern that allows them', () => {
    expect(validateUsername('soren.vette', policy)).toBe("must not contain '.'");
    expect(validateUsername('soren.vette', { ...policy, allowDots: true })).toMatch(/^must match/);
    expect(validateUsername('soren.vette', dotted)).toBeNull();
  });

  it('reports a broken rule as a configuration error', () => {
    expect(() => validateUsername('abc', { pattern: '([a-z' })).toThrow(RosterError);
  });
});

describe('suggestUsernames (RATS step 6)', () => {
  it('Søren Vette, in order of preference', () => {
    expect(suggestUsernames('Søren', 'Vette', policy, free)).toEqual(['svette', 'sorenv', 'soren', 'vette', 'sorenvette', 'vettes', 'sovette', 'svett']);
  });

  it('with dots allowed, soren.vette comes second', () => {
    const s = suggestUsernames('Søren', 'Vette', dotted, free);
    expect(s.slice(0, 3)).toEqual(['svette', 'soren.vette', 'sorenv']);
    expect(s).toHaveLength(8);
  });

  it('skips taken names and fills with numbered forms', () => {
    const taken = new Set(['svette', 'sorenv', 'soren', 'vette', 'vettes', 'svette2']);
    const s = suggestUsernames('Søren', 'Vette', policy, (n) => taken.has(n));
    expect(s).toEqual(['sorenvette', 'sovette', 'svett', 'vettesoren', 'sorenve', 'sv', 'svette3', 'svette4']);
  });

  it('honours policy.suggestions and defaults to 8', () => {
    expect(suggestUsernames('Søren', 'Vette', { ...policy, suggestions: 3 }, free)).toEqual(['svette', 'sorenv', 'soren']);
    const { suggestions: _omit, ...noCount } = policy;
    expect(suggestUsernames('Søren', 'Vette', noCount, free)).toHaveLength(8);
  });

  it('double-barrelled names use each part too', () => {
    const s = suggestUsernames('Ana', 'García-Márquez', { ...policy, suggestions: 20 }, free);
    expect(s[0]).toBe('agarciamarquez');
    expect(s).toContain('agarcia');
    expect(s).toContain('amarquez');
  });

  it('several given names give initials', () => {
    expect(suggestUsernames('Mary Ann', 'Lee', policy, free)).toContain('malee');
  });

  it('one-letter names: short forms, then numbered forms that do not look like ids', () => {
    const s = suggestUsernames('A', 'B', policy, free);
    expect(s).toEqual(['ab', 'a', 'b', 'ba', 'ab-2', 'ab-3', 'ab-4', 'ab-5']);
  });

  it('names with no Latin letters fall back to a generic stem', () => {
    const s = suggestUsernames('Ἀλέξανδρος', 'Παπαδόπουλος', policy, free);
    expect(s).toHaveLength(8);
    expect(s[0]).toBe('user-2'); // `user` itself is reserved here; `user2` looks like an id
    expect(suggestUsernames('Ἀλέξανδρος', 'Παπαδόπουλος', { ...policy, reservedNames: [] }, free)[0]).toBe('user');
    expect(suggestUsernames('', '', policy, free)).toHaveLength(8);
  });

  it('a mononym uses only the part there is', () => {
    expect(suggestUsernames('王', 'Smith', policy, free)).toEqual(['smith', 'smith2', 'smith3', 'smith4', 'smith5', 'smith6', 'smith7', 'smith8']);
    expect(suggestUsernames('Cher', '', policy, free).slice(0, 2)).toEqual(['cher', 'cher-2']); // cher2 would look like an institutional id
  });

  it('long names are cut to 31 characters, numbered ones too', () => {
    const s = suggestUsernames('Maximilianus', 'Wolfeschlegelsteinhausenbergerdorff', { ...policy, suggestions: 40 }, free);
    expect(s).toHaveLength(40);
    for (const name of s) expect(name.length).toBeLessThanOrEqual(31);
    expect(s.filter((n) => /\d$/.test(n)).every((n) => n.length <= 31)).toBe(true);
  });

  it('under a rule that forbids hyphens, short stems cannot be numbered and generic stems are used', () => {
    const strict: UsernamePolicy = { ...policy, pattern: '^[a-z][a-z0-9]{0,30}$' };
    const s = suggestUsernames('A', 'B', { ...strict, suggestions: 6 }, free);
    expect(s).toEqual(['ab', 'a', 'b', 'ba', 'newuser2', 'newuser3']);
  });

  it('is deterministic, distinct, valid and untaken (property)', () => {
    const name = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('Søren', 'Vette', 'García-Márquez', 'A', 'Ø', '王', "O'Neil", 'Mary Ann', ''));
    fc.assert(
      fc.property(name, name, fc.boolean(), fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('a', 'b', 's', 'v', 'e', 't', '2', '-') }), { maxLength: 30 }), (first, last, dots, takenList) => {
        const p = dots ? dotted : policy;
        const taken = new Set(takenList);
        const s = suggestUsernames(first, last, p, (n) => taken.has(n));
        expect(s).toHaveLength(8);
        expect(new Set(s).size).toBe(8);
        for (const n of s) {
          expect(validateUsername(n, p)).toBeNull();
          expect(taken.has(n)).toBe(false);
        }
        expect(suggestUsernames(first, last, p, (n) => taken.has(n))).toEqual(s);
      }),
      { numRuns: 500 },
    );
  });

  it('an isTaken that refuses everything cannot hang it', () => {
    expect(suggestUsernames('Søren', 'Vette', policy, () => true)).toEqual([]);
  });
});

describe('usernameCandidates', () => {
  it('is lazy and unbounded', () => {
    const names = take(usernameCandidates('Søren', 'Vette', policy), 500);
    expect(names).toHaveLength(500);
    expect(new Set(names).size).toBe(500);
    expect(names.slice(0, 2)).toEqual(['svette', 'sorenv']);
    expect(names.at(-1)).toMatch(/^svette\d+$/);
  });

  it('never yields an invalid or reserved name', () => {
    const onlyRoot = { ...policy, reservedNames: ['root'] };
    const names = take(usernameCandidates('Root', '', onlyRoot), 50);
    expect(names[0]).toBe('user');
    for (const n of names) {
      expect(validateUsername(n, onlyRoot)).toBeNull();
    }
  });

  it('ends when the site’s rule admits nothing', () => {
    expect([...usernameCandidates('Søren', 'Vette', { pattern: '^[0-9]+x$' })]).toEqual([]);
  });
});
