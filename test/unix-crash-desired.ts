/**
 * The two desired states of the unix crash test: `old` has `n` accounts;
 * `new` freezes every third, retires every seventh, drops every fifth, adds
 * `n` more and regroups everybody, so one apply rewrites all four files.
 */
import type { DesiredAccount, DesiredHost } from '../src/desired/desired-host.js';
import { fixtureAccount, fixtureHost, frozen } from '../src/targets/unix/desired-fixture.js';

export function crashAccountNames(n: number): string[] {
  return Array.from({ length: 2 * n }, (_, i) => `c${String(i).padStart(5, '0')}`);
}

export function crashDesired(version: 'old' | 'new', n: number): DesiredHost {
  const names = crashAccountNames(n);
  const accounts: DesiredAccount[] = [];
  for (let i = 0; i < (version === 'old' ? n : 2 * n); i++) {
    const name = names[i] ?? '';
    if (version === 'new' && i < n && i % 5 === 0) continue;
    let a = fixtureAccount(name, 10_000 + i, { passwordField: `$6$salt${i}$${'h'.repeat(86)}`, gecos: `Crash Test ${i}` });
    if (version === 'new' && i % 7 === 0) a = { ...a, expiryDay: 21_000 };
    if (version === 'new' && i % 3 === 0) a = frozen(a);
    accounts.push(a);
  }
  const members = accounts.map((a) => a.username);
  const groups = version === 'old'
    ? [{ name: 'everyone', gid: 30_000, members }]
    : [{ name: 'everyone', gid: 30_000, members: members.filter((_, i) => i % 2 === 0) }, { name: 'newcomers', gid: 30_001, members: members.slice(-n) }];
  return fixtureHost(accounts, groups);
}
