import { describe, expect, it } from 'vitest';
import type { DesiredHost } from '../../desired/desired-host.js';
import { accountLines } from './account-lines.js';
import { fixtureAccount, fixtureHost, frozen } from './desired-fixture.js';
import { unixConfigSchema } from './unix-config.js';
import type { UnixSnapshot } from './unix-files.js';
import { planUnix } from './unix-plan.js';

const config = unixConfigSchema.parse({});
/** A snapshot given as lines, as the tests write them. */
type LineSnapshot = Omit<UnixSnapshot, 'passwd' | 'shadow' | 'group' | 'gshadow'> & { readonly passwd: readonly string[]; readonly shadow: readonly string[]; readonly group: readonly string[]; readonly gshadow: readonly string[] };

const base: LineSnapshot = {
  passwd: ['root:x:0:0:root:/root:/bin/bash', 'bob:x:1000:1000::/home/bob:/bin/sh'],
  shadow: ['root:*:19000:0:99999:7:::', 'bob:$y$secret:19000::::::'],
  group: ['root:x:0:', 'bob:x:1000:', 'users:x:100:'],
  gshadow: ['root:*::', 'bob:!::', 'users:*::'],
  owned: { users: [], groups: [] },
};

/** The snapshot as it is once `desired` was applied (lines appended, names owned). */
function applied(desired: DesiredHost): UnixSnapshot {
  const users = desired.accounts.map((a) => accountLines(a));
  return {
    passwd: [...base.passwd, ...users.map((l) => l.passwd)],
    shadow: [...base.shadow, ...users.map((l) => l.shadow)],
    group: [...base.group, ...desired.groups.map((g) => `${g.name}:x:${g.gid}:${g.members.join(',')}`)],
    gshadow: [...base.gshadow, ...desired.groups.map((g) => `${g.name}:!::${g.members.join(',')}`)],
    owned: { users: desired.accounts.map((a) => a.username), groups: desired.groups.map((g) => g.name) },
  };
}

describe('planUnix', () => {
  const alice = fixtureAccount('alice', 10001, { passwordField: '$y$hash-of-alice' });
  const carol = fixtureAccount('carol', 10002);

  it('creates missing groups and users, one change each, with readable summaries', () => {
    const plan = planUnix(fixtureHost([alice, carol], [{ name: 'staff', gid: 20000, members: ['alice', 'carol'] }]), base, config);
    expect(plan.map((c) => [c.action, c.subject, c.summary])).toEqual([
      ['create', 'group:alice', 'create group alice (gid 10001)'],
      ['create', 'group:carol', 'create group carol (gid 10002)'],
      ['create', 'group:staff', 'create group staff (gid 20000, 2 members)'],
      ['create', 'user:alice', 'create user alice (uid 10001)'],
      ['create', 'user:carol', 'create user carol (uid 10002)'],
    ]);
    expect(plan.every((c) => c.target === 'unix' && !c.destructive)).toBe(true);
  });

  it('is empty once the files say what the desired state says', () => {
    const desired = fixtureHost([alice, carol], [{ name: 'staff', gid: 20000, members: ['alice', 'carol'] }]);
    expect(planUnix(desired, applied(desired), config)).toEqual([]);
  });

  it('never carries a password hash in a change', () => {
    const plan = planUnix(fixtureHost([alice]), base, config);
    expect(JSON.stringify(plan)).not.toContain('hash-of-alice');
  });

  it('says lock, unlock and expiry in words', () => {
    const retiring = fixtureAccount('carol', 10002, { expiryDay: 20788 });
    const before = applied(fixtureHost([alice, carol]));
    expect(planUnix(fixtureHost([frozen(alice), retiring]), before, config).map((c) => [c.action, c.summary])).toEqual([
      ['lock', 'lock user alice'],
      ['expire', 'set expiry of carol to 2026-12-01'],
    ]);
    const after = applied(fixtureHost([frozen(alice), retiring]));
    expect(planUnix(fixtureHost([alice, carol]), after, config).map((c) => [c.action, c.summary])).toEqual([
      ['unlock', 'unlock user alice'],
      ['expire', 'clear expiry of carol'],
    ]);
  });

  it('describes other drift field by field', () => {
    const before = applied(fixtureHost([alice]));
    const moved = { ...alice, shell: '/bin/zsh', gecos: 'Alice L' };
    const [c] = planUnix(fixtureHost([moved]), before, config);
    expect(c?.summary).toBe('update user alice: gecos "User alice" → "Alice L", shell /bin/bash → /bin/zsh');
  });

  it('blocks a desired name held by a line Roster does not own, naming both lines, and plans the rest', () => {
    const bob = fixtureAccount('bob', 10003);
    const plan = planUnix(fixtureHost([alice, bob]), base, config);
    const blocked = plan.find((c) => c.subject === 'user:bob');
    expect(blocked?.summary).toContain('blocked: user bob (uid 10003) collides with a line Roster does not own: /etc/passwd:2 "bob:x:1000:1000::/home/bob:/bin/sh" has the same name');
    expect(blocked?.summary).toContain('/etc/shadow:2 "bob:…:19000::::::" has the same name');
    expect(blocked?.summary).toContain('Roster\'s line would be /etc/passwd "bob:x:10003:10003:User bob:/home/bob:/bin/bash"');
    expect(blocked?.summary).not.toContain('secret');
    expect(plan.find((c) => c.subject === 'group:bob')?.summary).toContain('/etc/group:2 "bob:x:1000:" has the same name');
    expect(plan.find((c) => c.subject === 'user:alice')?.summary).toBe('create user alice (uid 10001)');
  });

  it('blocks a managed UID or GID taken by a line Roster does not own', () => {
    const plan = planUnix(fixtureHost([fixtureAccount('dave', 1000, { gid: 100, primaryGroup: 'users' })], [{ name: 'team', gid: 100, members: [] }]), base, config);
    expect(plan.find((c) => c.subject === 'user:dave')?.summary).toContain('/etc/passwd:2 "bob:x:1000:1000::/home/bob:/bin/sh" has the same uid');
    expect(plan.find((c) => c.subject === 'group:team')?.summary).toContain('/etc/group:3 "users:x:100:" has the same gid');
  });

  it('removes only what Roster owns', () => {
    const before = applied(fixtureHost([alice, carol]));
    const plan = planUnix(fixtureHost([alice]), before, config);
    expect(plan.map((c) => [c.action, c.summary, c.destructive])).toEqual([
      ['delete', 'delete user carol (uid 10002)', true],
      ['delete', 'delete group carol (gid 10002)', true],
    ]);
    // bob is not Roster's: never planned away, although nobody desires him.
    expect(plan.some((c) => c.summary.includes('bob'))).toBe(false);
  });

  it('splits, then re-trims, a long group', () => {
    const members = Array.from({ length: 200 }, (_, i) => `member${String(i).padStart(3, '0')}`);
    const created = planUnix(fixtureHost([], [{ name: 'big', gid: 30000, members }]), base, config);
    expect(created.map((c) => c.summary)).toEqual(['create group big (gid 30000, 200 members, split into 2 lines)']);
    const split = {
      ...base,
      group: [...base.group, 'big:x:30000:a', 'big-x1:x:30000:b', 'big-x2:x:30000:c'],
      gshadow: [...base.gshadow, 'big:!::a', 'big-x1:!::b', 'big-x2:!::c'],
      owned: { users: [], groups: ['big', 'big-x1', 'big-x2'] },
    };
    expect(planUnix(fixtureHost([], [{ name: 'big', gid: 30000, members: ['a', 'b'] }]), split, config).map((c) => c.summary)).toEqual([
      'update group big: remove c, join into one line',
    ]);
    expect(planUnix(fixtureHost([], []), split, config).map((c) => c.summary)).toEqual(['delete group big (gid 30000)']);
  });

  it('refuses fields that would break the file', () => {
    const eve = fixtureAccount('eve', 10009, { gecos: 'Eve\nroot::0:0', primaryGroup: 'users', gid: 100 });
    const [c] = planUnix(fixtureHost([eve]), base, config);
    expect(c?.summary).toMatch(/blocked: user "eve": gecos must not contain control characters/);
  });
});

describe('planUnix after an interrupted apply', () => {
  it('ignores owned names that have no line (ownership is claimed before the lines are written)', () => {
    const snapshot: UnixSnapshot = {
      ...base,
      group: [...base.group, 'big:x:30000:a'],
      gshadow: [...base.gshadow, 'big:!::a'],
      owned: { users: ['ghost'], groups: ['big', 'big-x1', 'big-x2', 'ghost'] },
    };
    expect(planUnix(fixtureHost([], [{ name: 'big', gid: 30000, members: ['a'] }]), snapshot, config)).toEqual([]);
  });
});
