import { link, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, converge, etcBytes, judge, makeHomes, makeRoot, planOnly, removeRoot, run, testContext, unixConfig } from '../../../test/unix-root.js';
import { hashPassword } from '../../system/libcrypt.js';
import { fixtureAccount, fixtureHost, frozen } from './desired-fixture.js';
import type { Change } from '../target.js';
import { unixTarget } from './unix-target.js';

const roots: string[] = [];
async function root(options: { readonly base?: boolean } = {}): Promise<string> {
  const r = await makeRoot(options);
  roots.push(r);
  return r;
}
afterEach(async () => {
  for (const r of roots.splice(0)) await removeRoot(r);
});

const hash = hashPassword('correct horse battery staple', 'yescrypt');
const alice = fixtureAccount('alice', 10001, { passwordField: hash, gecos: 'Alice Liddell' });
const carol = fixtureAccount('carol', 10002, { passwordField: hash, expiryDay: 20788 });
const dave = fixtureAccount('dave', 10003, { gid: 100, primaryGroup: 'users' });
const staff = { name: 'staff', gid: 20000, members: ['alice', 'carol', 'dave'] };

async function expectClean(r: string): Promise<void> {
  const { pwck, grpck } = await judge(r);
  expect(pwck.stdout + pwck.stderr).toBe('');
  expect(grpck.stdout + grpck.stderr).toBe('');
  expect([pwck.code, grpck.code]).toEqual([0, 0]);
}

describe('unix target against shadow-utils', () => {
  it('writes accounts that pwck and grpck accept, and that passwd -S and chage -l read as intended', async () => {
    const r = await root();
    const desired = fixtureHost([alice, carol, dave], [staff]);
    await makeHomes(r, desired);
    const { results } = await converge(r, desired);
    expect(results.every((x) => x.ok)).toBe(true);
    await expectClean(r);
    expect((await run('passwd', ['-S', '-R', r, 'alice'])).stdout).toMatch(/^alice P /);
    expect((await run('passwd', ['-S', '-R', r, 'dave'])).stdout).toMatch(/^dave L /);
    expect((await run('chage', ['-l', '-R', r, 'carol'])).stdout).toMatch(/Account expires\s*: Dec 01, 2026/);
    expect((await run('chage', ['-l', '-R', r, 'alice'])).stdout).toMatch(/Account expires\s*: never/);
    expect(await planOnly(r, desired)).toEqual([]);

    const locked = fixtureHost([frozen(alice), carol, dave], [staff]);
    const { plan } = await converge(r, locked);
    expect(plan.map((c) => c.summary)).toEqual(['lock user alice']);
    await expectClean(r);
    expect((await run('passwd', ['-S', '-R', r, 'alice'])).stdout).toMatch(/^alice L /);
    expect((await run('chage', ['-l', '-R', r, 'alice'])).stdout).toMatch(/Account expires\s*: Jan 02, 1970/);
  });

  it('freeze then unfreeze leaves all four files byte-identical', async () => {
    const r = await root();
    const active = fixtureHost([alice, carol, dave], [staff]);
    await converge(r, active);
    const before = await etcBytes(r);
    await converge(r, fixtureHost([frozen(alice), frozen(carol), dave], [staff]));
    const during = await etcBytes(r);
    expect(during.shadow.equals(before.shadow)).toBe(false);
    expect(during.passwd.equals(before.passwd)).toBe(true);
    await converge(r, active);
    const after = await etcBytes(r);
    for (const f of ['passwd', 'shadow', 'group', 'gshadow'] as const) expect(after[f].toString('latin1'), f).toBe(before[f].toString('latin1'));
  });

  it('keeps unmanaged lines byte for byte and in place, and modes and owners of the files', async () => {
    const r = await root();
    const odd = Buffer.from('root:x:0:0:root:/root:/bin/bash\n# local accounts below\nb\xf6b:x:1000:100:B\xf6b \xe9t\xe9:/home/bob:/bin/sh\n+@netgroup::::::\n', 'latin1');
    await writeFile(join(r, 'etc/passwd'), odd);
    await converge(r, fixtureHost([alice]));
    const text = (await readFile(join(r, 'etc/passwd'))).toString('latin1');
    expect(text).toBe(odd.toString('latin1').replace('+@netgroup', 'alice:x:10001:10001:Alice Liddell:/home/alice:/bin/bash\n+@netgroup'));
    const s = await stat(join(r, 'etc/shadow'));
    expect([s.mode & 0o7777, s.uid, s.gid]).toEqual([0o640, 0, 42]);
    const p = await stat(join(r, 'etc/passwd'));
    expect([p.mode & 0o7777, p.uid, p.gid]).toEqual([0o644, 0, 0]);
    // The previous version is kept as <file>-.
    expect((await readFile(join(r, 'etc/passwd-'))).equals(odd)).toBe(true);
  });

  it('creates missing files with Debian modes: shadow 0640 root:shadow when the root has group shadow, else 0600', async () => {
    const empty = await root({ base: false });
    await converge(empty, fixtureHost([alice]));
    const s1 = await stat(join(empty, 'etc/shadow'));
    expect([s1.mode & 0o7777, s1.uid, s1.gid]).toEqual([0o600, 0, 0]);
    const g1 = await stat(join(empty, 'etc/group'));
    expect(g1.mode & 0o7777).toBe(0o644);

    const withGroup = await root({ base: false });
    await writeFile(join(withGroup, 'etc/group'), BASE.group);
    await converge(withGroup, fixtureHost([alice]));
    for (const f of ['shadow', 'gshadow']) {
      const s = await stat(join(withGroup, 'etc', f));
      expect([s.mode & 0o7777, s.uid, s.gid]).toEqual([0o640, 0, 42]);
    }
  });

  it('fails only the change whose name or id an unmanaged line holds, naming both lines', async () => {
    const r = await root();
    await writeFile(join(r, 'etc/passwd'), `${BASE.passwd}alice:x:1000:100:Someone else:/home/alice:/bin/sh\n`);
    const before = await etcBytes(r);
    const { results } = await converge(r, fixtureHost([alice, carol]));
    const failed = results.filter((x) => !x.ok);
    expect(failed.map((x) => x.change.subject)).toEqual(['user:alice']);
    expect(failed[0]?.error).toContain('/etc/passwd:4 "alice:x:1000:100:Someone else:/home/alice:/bin/sh" has the same name');
    expect(failed[0]?.error).toContain('"alice:x:10001:10001:Alice Liddell:/home/alice:/bin/bash"');
    const after = await etcBytes(r);
    expect(after.passwd.toString().startsWith(before.passwd.toString())).toBe(true);
    expect(after.passwd.toString()).toContain('carol:x:10002:');
    // Still blocked next time: the line is never adopted silently.
    expect((await planOnly(r, fixtureHost([alice, carol]))).map((c) => c.subject)).toEqual(['user:alice']);
  });

  it('removes accounts and groups only when Roster owns them', async () => {
    const r = await root();
    await writeFile(join(r, 'etc/passwd'), `${BASE.passwd}bob:x:1000:100::/home/bob:/bin/sh\n`);
    await converge(r, fixtureHost([alice, carol], [staff]));
    const purged = { ...fixtureHost([alice], [{ ...staff, members: ['alice'] }]), removed: [{ username: 'carol', uid: 10002, home: '/home/carol', purgedAt: '2026-11-23T00:00:00.000Z' }, { username: 'bob', uid: 1000, home: '/home/bob', purgedAt: '2026-11-23T00:00:00.000Z' }] };
    const { plan, results } = await converge(r, purged);
    expect(plan.map((c) => c.summary)).toEqual(['update group staff: remove carol, dave', 'delete user carol (uid 10002)', 'delete group carol (gid 10002)']);
    expect(results.every((x) => x.ok)).toBe(true);
    const files = await etcBytes(r);
    expect(files.passwd.toString()).toContain('bob:x:1000:');
    expect(files.passwd.toString()).not.toContain('carol');
    expect(files.group.toString()).not.toMatch(/^carol:/m);
    const owned = JSON.parse(await readFile(join(r, 'var/lib/roster/unix-owned.json'), 'utf8')) as { users: string[]; groups: string[] };
    expect(owned).toEqual({ version: 1, users: ['alice'], groups: ['alice', 'staff'] });
  });

  it('is idempotent: applying the same changes again writes nothing', async () => {
    const r = await root();
    const desired = fixtureHost([alice, carol], [staff]);
    const ctx = testContext(r);
    const config = unixConfig();
    const plan = unixTarget.plan(desired, await unixTarget.observe(ctx, config, desired), config);
    await unixTarget.apply(ctx, config, plan, desired);
    const inode = (await stat(join(r, 'etc/passwd'))).ino;
    const again = await unixTarget.apply(ctx, config, plan, desired);
    expect(again.every((x) => x.ok)).toBe(true);
    expect((await stat(join(r, 'etc/passwd'))).ino).toBe(inode);
  });

  it('applies a plan that went through JSON as the plan itself, and one in another order with a change twice', async () => {
    const desired = fixtureHost([alice, carol, dave], [staff]);
    const config = unixConfig();
    const [direct, viaJson, shuffled] = [await root(), await root(), await root()];
    const plan = unixTarget.plan(desired, await unixTarget.observe(testContext(direct), config, desired), config);
    const first = await unixTarget.apply(testContext(direct), config, plan, desired);
    // A copy knows no desired entry by index: each change is applied by its subject.
    const copy = JSON.parse(JSON.stringify(plan)) as Change[];
    const again = await unixTarget.apply(testContext(viaJson), config, copy, desired);
    expect(again).toEqual(first.map((r, i) => ({ ...r, change: copy[i] })));
    const [a, b] = [await etcBytes(direct), await etcBytes(viaJson)];
    for (const f of ['passwd', 'shadow', 'group', 'gshadow'] as const) expect(b[f].toString('latin1'), f).toBe(a[f].toString('latin1'));
    // Names claimed out of order, and a group's line claimed twice: the second change fails alone.
    const twice = plan.find((c) => c.subject === 'group:alice');
    if (twice === undefined) throw new Error('no group:alice change');
    const results = await unixTarget.apply(testContext(shuffled), config, [...plan].reverse().concat(twice), desired);
    expect(results.filter((r) => !r.ok).map((r) => [r.change.subject, r.error])).toEqual([['group:alice', 'group alice: line alice is written by another change of this apply']]);
    const owned = (r: string): Promise<string> => readFile(join(r, 'var/lib/roster/unix-owned.json'), 'utf8');
    expect(await owned(shuffled)).toBe(await owned(direct));
    expect((await etcBytes(shuffled)).group.toString('latin1').split('\n').filter((l) => l.startsWith('alice:'))).toEqual(['alice:x:10001:']);
  });

  it('merges into the files as they are under the lock: a useradd between plan and apply is kept', async () => {
    const r = await root();
    const desired = fixtureHost([alice], [staff]);
    const ctx = testContext(r);
    const config = unixConfig();
    const plan = unixTarget.plan(desired, await unixTarget.observe(ctx, config, desired), config);
    const added = await run('useradd', ['-R', r, '-u', '3000', '-U', '-M', '-d', '/home/zoe', '-s', '/bin/sh', 'zoe']);
    expect(added.code).toBe(0);
    // …and a collision that appeared since the plan is caught, not overwritten.
    await run('groupadd', ['-R', r, '-g', '20000', 'staff']);
    const results = await unixTarget.apply(ctx, config, plan, desired);
    expect(results.find((x) => x.change.subject === 'group:staff')?.error).toMatch(/\/etc\/group:\d+ "staff:x:20000:" has the same name/);
    const files = await etcBytes(r);
    expect(files.passwd.toString()).toMatch(/^zoe:x:3000:3000::\/home\/zoe:\/bin\/sh$/m);
    expect(files.shadow.toString()).toMatch(/^zoe:/m);
    expect(files.passwd.toString()).toMatch(/^alice:x:10001:/m);
  });

  it('splits long groups into continuation lines grpck accepts, and trims them again', async () => {
    const r = await root();
    const people = Array.from({ length: 300 }, (_, i) => fixtureAccount(`student${String(i).padStart(3, '0')}`, 11000 + i));
    const many = fixtureHost(people, [{ name: 'students', gid: 30000, members: people.map((a) => a.username) }]);
    await makeHomes(r, many);
    await converge(r, many, unixConfig({ groupLineLimit: 512, splitExtension: 'part' }));
    const group = (await etcBytes(r)).group.toString();
    const lines = group.split('\n').filter((l) => l.startsWith('students'));
    expect(lines.map((l) => l.split(':')[0])).toEqual(['students', ...Array.from({ length: lines.length - 1 }, (_, i) => `students-part${i + 1}`)]);
    expect(lines.length).toBeGreaterThan(4);
    expect(lines.every((l) => l.length <= 512 && l.split(':')[2] === '30000')).toBe(true);
    await expectClean(r);
    const few = fixtureHost(people, [{ name: 'students', gid: 30000, members: people.slice(0, 10).map((a) => a.username) }]);
    await converge(r, few, unixConfig({ groupLineLimit: 512, splitExtension: 'part' }));
    const after = await etcBytes(r);
    expect(after.group.toString()).not.toContain('students-part');
    expect(after.gshadow.toString()).not.toContain('students-part');
    await expectClean(r);
  });

  it('replaces a <file>- that was another link to the file with the previous version', async () => {
    const r = await root();
    await link(join(r, 'etc/group'), join(r, 'etc/group-'));
    await converge(r, fixtureHost([alice]));
    expect((await readFile(join(r, 'etc/group-'), 'utf8'))).toBe(BASE.group);
    await mkdir(join(r, 'home/alice'), { recursive: true });
    await expectClean(r);
  });
});
