import { describe, expect, it } from 'vitest';
import { accountLineProblem, accountLines } from './account-lines.js';
import { fixtureAccount, frozen } from './desired-fixture.js';

const hash = '$y$j9T$abcdefghijklmnop$0123456789012345678901234567890123456789012';

describe('accountLines', () => {
  it('renders passwd and shadow as useradd does with no login.defs aging', () => {
    const a = fixtureAccount('alice', 10001, { gecos: 'Alice Liddell', passwordField: hash, lastChangeDay: 20415 });
    expect(accountLines(a)).toEqual({
      passwd: 'alice:x:10001:10001:Alice Liddell:/home/alice:/bin/bash',
      shadow: `alice:${hash}:20415::::::`,
    });
  });

  it('freezes with ! before the password and expiry day 1, and changes nothing else', () => {
    const a = fixtureAccount('alice', 10001, { passwordField: hash });
    const active = accountLines(a);
    const locked = accountLines(frozen(a));
    expect(locked.passwd).toBe(active.passwd);
    expect(locked.shadow).toBe(`alice:!${hash}:20000:::::1:`);
    expect(locked.shadow.replace(`!${hash}`, hash).replace(':1:', '::')).toBe(active.shadow);
  });

  it('writes a scheduled retirement as the expiry day; disabled wins over it', () => {
    const a = fixtureAccount('bob', 10002, { expiryDay: 20788 });
    expect(accountLines(a).shadow).toBe('bob:!:20000:::::20788:');
    expect(accountLines(frozen(a)).shadow).toBe('bob:!!:20000:::::1:');
  });

  it('encodes a UTF-8 GECOS as its bytes', () => {
    const line = accountLines(fixtureAccount('soren', 10003, { gecos: 'Søren' })).passwd;
    expect(Buffer.from(line, 'latin1').toString('utf8')).toContain('Søren');
  });

  it('names the field that would break a line', () => {
    expect(accountLineProblem(fixtureAccount('alice', 1))).toBeNull();
    expect(accountLineProblem(fixtureAccount('Alice:x', 1))).toMatch(/username/);
    expect(accountLineProblem(fixtureAccount('alice', 1, { gecos: 'a:b' }))).toMatch(/gecos/);
    expect(accountLineProblem(fixtureAccount('alice', 1, { home: 'home/alice' }))).toMatch(/home/);
    expect(accountLineProblem(fixtureAccount('alice', 1, { shell: '/bin/sh\n' }))).toMatch(/shell/);
    expect(accountLineProblem(fixtureAccount('alice', 1, { passwordField: 'a:b' }))).toMatch(/password field/);
    expect(accountLineProblem(fixtureAccount('alice', -1))).toMatch(/uid/);
    expect(accountLineProblem(fixtureAccount('alice', 1, { expiryDay: 1.5 }))).toMatch(/expiryDay/);
  });
});
