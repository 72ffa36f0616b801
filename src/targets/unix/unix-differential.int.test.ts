import { afterEach, describe, expect, it } from 'vitest';
import { converge, etcBytes, makeRoot, removeRoot, run } from '../../../test/unix-root.js';
import type { DesiredAccount } from '../../desired/desired-host.js';
import { hashPassword } from '../../system/libcrypt.js';
import { dayDate } from './change-summary.js';
import { fixtureAccount, fixtureHost, frozen } from './desired-fixture.js';

const roots: string[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) await removeRoot(r);
});

/** shadow with the last-change day masked: useradd writes today, Roster the account's own day. */
function maskDays(shadow: string): string {
  return shadow.replace(/^([^:\n]*:[^:\n]*:)[0-9]+:/gm, '$1DAY:');
}

describe('differential: the same accounts through useradd -R', () => {
  it('gives the same passwd, group and gshadow bytes, and shadow up to the change day', async () => {
    const hash = hashPassword('differential', 'sha512crypt');
    const accounts: DesiredAccount[] = [
      fixtureAccount('alice', 10001, { gecos: 'Alice Liddell', passwordField: hash, groups: ['staff', 'wheel2'] }),
      fixtureAccount('bob', 10002, { gid: 100, primaryGroup: 'users', shell: '/bin/sh', home: '/srv/bob', groups: ['staff'] }),
      fixtureAccount('carol', 10003, { expiryDay: 20788, groups: ['wheel2'] }),
      frozen(fixtureAccount('dave', 10004, { passwordField: hash })),
      fixtureAccount('soren', 10005, { gecos: 'Søren Vette' }),
    ];
    const groups = [
      { name: 'staff', gid: 20000, members: ['alice', 'bob'] },
      { name: 'wheel2', gid: 20001, members: ['alice', 'carol'] },
    ];
    const desired = fixtureHost(accounts, groups);

    // Roster on one root…
    const ours = await makeRoot();
    roots.push(ours);
    const { results } = await converge(ours, desired);
    expect(results.every((x) => x.ok)).toBe(true);

    // …shadow-utils on another, seeded with the same base files and no
    // login.defs (so useradd leaves the aging fields empty, as Roster does).
    const theirs = await makeRoot();
    roots.push(theirs);
    const ok = async (tool: string, args: readonly string[]): Promise<void> => {
      const r = await run(tool, ['-R', theirs, ...args]);
      expect(r.code, `${tool} ${args.join(' ')}: ${r.stderr}`).toBe(0);
    };
    // In the order Roster appends: groups by name, then users by name.
    for (const g of desired.groups) await ok('groupadd', ['-g', String(g.gid), g.name]);
    for (const a of desired.accounts) {
      const args = ['-u', String(a.uid), '-g', String(a.gid), '-N', '-M', '-c', a.gecos, '-d', a.home, '-s', a.shell];
      if (a.groups.length > 0) args.push('-G', a.groups.join(','));
      if (a.passwordField !== '!') args.push('-p', a.passwordField);
      if (a.expiryDay !== null) args.push('-e', dayDate(a.expiryDay));
      await ok('useradd', [...args, a.username]);
      if (a.disabled) await ok('usermod', ['-L', '-e', dayDate(1), a.username]);
    }

    const mine = await etcBytes(ours);
    const shadowUtils = await etcBytes(theirs);
    expect(mine.passwd.toString('latin1')).toBe(shadowUtils.passwd.toString('latin1'));
    expect(mine.group.toString('latin1')).toBe(shadowUtils.group.toString('latin1'));
    expect(mine.gshadow.toString('latin1')).toBe(shadowUtils.gshadow.toString('latin1'));
    expect(maskDays(mine.shadow.toString('latin1'))).toBe(maskDays(shadowUtils.shadow.toString('latin1')));
  });
});
