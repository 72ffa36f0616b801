import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configProblems } from '../../../test/config-problems.js';
import { fixtureAccount, fixtureHost, FREEZE_BILLING, RETIRED } from '../../../test/desired-fixture.js';
import { exampleAppContext } from '../../../test/example-app-context.js';
import { createAccount } from '../../app/accounts.js';
import type { AppContext } from '../../app/app-context.js';
import { freezeAccount, unfreezeAccount } from '../../app/lifecycle-actions.js';
import { addPerson } from '../../app/people.js';
import { parseConfig } from '../../config/load-config.js';
import { fixedClock } from '../../domain/clock.js';
import { planHost } from '../../reconcile/host-plan.js';
import { reconcileHost } from '../../reconcile/reconcile-host.js';
import { openStore } from '../../store/open-store.js';
import { targetRegistry, type AnyTarget } from '../registry.js';
import { WholeHostNeeded, type TargetContext } from '../target.js';
import { userListConfigSchema } from './user-list-config.js';
import { userListTarget } from './user-list-target.js';

const targets: readonly AnyTarget[] = targetRegistry;

/** vsftpd's own /etc/vsftpd.user_list as Debian ships it: comments and system users, one name per line. */
const VSFTPD_USER_LIST = [
  '# vsftpd userlist',
  '# If userlist_deny=NO, only allow users in this file',
  '# If userlist_deny=YES (default), never allow users in this file, and',
  '# do not even prompt for a password.',
  'root',
  'bin',
  'daemon',
  '',
].join('\n');

const CONFIG = `
timeZone: UTC
uids: { min: 2100030000, max: 2100039999 }
gids: { min: 2100030000, max: 2100039999 }
freeze: { keep: [mail, portal, ftp] }
hosts:
  shell:
    targets:
      user-list:
        lists:
          - { path: /etc/vsftpd.user_list, mode: deny, service: ftp }
          - { path: /etc/webmin/deny.users, mode: deny, service: webmin }
          - { path: /etc/domtool/acl, mode: allow, service: domtool }
types:
  member:
    hosts: { live: [shell], login: [shell] }
`;

const problems = (text: string, with_: readonly AnyTarget[] = targets): string[] => configProblems(text, with_);

describe('user-list target: configuration', () => {
  it("accepts the lists, and freeze.keep may name a list's service (and only with a list naming it)", () => {
    expect(problems(CONFIG)).toEqual([]);
    expect(userListTarget.servicesOf?.(userListConfigSchema.parse({ lists: [{ path: '/a', mode: 'deny', service: 'ftp' }, { path: '/b', mode: 'allow', service: 'ftp' }] }))).toEqual(['ftp']);
    // Without the list that names it, ftp is no service at all.
    // (The services named by the other lists are known, besides those of the registered targets.)
    expect(problems(CONFIG.replace('          - { path: /etc/vsftpd.user_list, mode: deny, service: ftp }\n', ''))).toEqual([
      expect.stringMatching(/^roster\.yaml:5:32: freeze\.keep\[2\]: unknown service "ftp" \(services: cron, (?:[a-z-]+, )*domtool, (?:[a-z-]+, )*portal, (?:[a-z-]+, )*webmin\)$/),
    ]);
    // A list of another host names a service just the same: freeze.keep is one list for all hosts.
    expect(problems(CONFIG.replace('hosts:\n  shell:', 'hosts:\n  mail: {}\n  shell:'))).toEqual([]);
  });

  it('names each bad setting with file:line:column', () => {
    const bad = CONFIG.replace('mode: deny, service: ftp', 'mode: block, service: FTP').replace('/etc/webmin/deny.users', 'etc/webmin/deny.users');
    // freeze.keep's ftp is not called unknown: the section that would name it does not check yet.
    expect(problems(bad)).toEqual([
      'roster.yaml:11:50: hosts.shell.targets.user-list.lists[0].mode: must be one of allow, deny, got the string "block"',
      'roster.yaml:11:66: hosts.shell.targets.user-list.lists[0].service: must be a lower-case name: letters, digits and -, starting with a letter (at most 32)',
      'roster.yaml:12:21: hosts.shell.targets.user-list.lists[1].path: must be an absolute path without \'..\', got "etc/webmin/deny.users"',
    ]);
    expect(problems(CONFIG.replace('path: /etc/domtool/acl', 'path: /etc/vsftpd.user_list'))).toEqual([
      'roster.yaml:13:21: hosts.shell.targets.user-list.lists[2].path: /etc/vsftpd.user_list is already lists[0]; each file is one list',
    ]);
    expect(problems(CONFIG.replace(/ {8}lists:\n(?: {10}- .*\n)+/, '        lists: []\n').replace(', ftp', ''))).toEqual(['roster.yaml:10:16: hosts.shell.targets.user-list.lists: name at least one list']);
    expect(problems(CONFIG.replace('mode: deny, service: ftp', 'mode: deny, service: ftp, owner: root'))).toEqual(['roster.yaml:11:70: hosts.shell.targets.user-list.lists[0].owner: unknown key']);
  });
});

describe('user-list target on real files', () => {
  let root: string;
  const tctx = (): TargetContext => ({ root, host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } });
  const config = userListConfigSchema.parse({
    lists: [
      { path: '/etc/vsftpd.user_list', mode: 'deny', service: 'ftp' },
      { path: '/etc/webmin/deny.users', mode: 'deny', service: 'webmin' },
      { path: '/etc/domtool/acl', mode: 'allow', service: 'domtool' },
    ],
  });
  const read = (path: string): Promise<string> => readFile(join(root, path), 'utf8');

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'roster-user-list-'));
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc/vsftpd.user_list'), VSFTPD_USER_LIST);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function converge(desired: ReturnType<typeof fixtureHost>): Promise<string[]> {
    const plan = userListTarget.plan(desired, await userListTarget.observe(tctx(), config, desired), config);
    const results = await userListTarget.apply(tctx(), config, plan, desired);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(await userListTarget.verify?.(tctx(), config, results, desired)).toEqual([]);
    const again = userListTarget.plan(desired, await userListTarget.observe(tctx(), config, desired), config);
    expect(again).toEqual([]);
    return plan.map((c) => c.summary);
  }

  it('deny lists name the accounts whose service is off, allow lists the others; freeze.keep spares a service from a freeze, not from a retirement', async () => {
    const desired = fixtureHost(
      [fixtureAccount('ann', 61501), fixtureAccount('bo', 61502, { holds: [FREEZE_BILLING] }), fixtureAccount('cy', 61503, { holds: [RETIRED] })],
      { removed: [{ username: 'old', uid: 61504, home: '/home/old', purgedAt: '2026-01-01T00:00:00.000Z' }], freezeKeep: ['mail', 'portal', 'ftp'] },
    );
    // A purged account's line in the admin's file is Roster's to remove.
    await writeFile(join(root, 'etc/vsftpd.user_list'), `${VSFTPD_USER_LIST}old\n`);
    expect(await converge(desired)).toEqual([
      '/etc/vsftpd.user_list (ftp denied): add cy; remove old',
      '/etc/webmin/deny.users (webmin denied): add bo, cy',
      '/etc/domtool/acl (domtool allowed): add ann',
    ]);
    // bo keeps ftp through the billing freeze; cy is retired, which reaches every service.
    expect(await read('/etc/vsftpd.user_list')).toBe(`${VSFTPD_USER_LIST}cy\n`);
    expect(await read('/etc/webmin/deny.users')).toBe('bo\ncy\n');
    expect(await read('/etc/domtool/acl')).toBe('ann\n');
    expect((await stat(join(root, 'etc/webmin/deny.users'))).mode & 0o777).toBe(0o644);
  });

  it('keeps a deny list in place even when it names nobody', async () => {
    expect(await converge(fixtureHost([fixtureAccount('ann', 61501)]))).toEqual(['/etc/webmin/deny.users (webmin denied): create it empty', '/etc/domtool/acl (domtool allowed): add ann']);
    expect(await read('/etc/webmin/deny.users')).toBe('');
    expect(await read('/etc/vsftpd.user_list')).toBe(VSFTPD_USER_LIST);
  });

  it("verify reads each file back and fails a change whose names are not there (someone else's write in between)", async () => {
    const desired = fixtureHost([fixtureAccount('ann', 61501), fixtureAccount('bo', 61502, { holds: [FREEZE_BILLING] })]);
    const plan = userListTarget.plan(desired, await userListTarget.observe(tctx(), config, desired), config);
    const results = await userListTarget.apply(tctx(), config, plan, desired);
    // The ftp list (bo added) is as written; the other two are not.
    expect(results.map((r) => r.change.subject)).toEqual(['file:/etc/vsftpd.user_list', 'file:/etc/webmin/deny.users', 'file:/etc/domtool/acl']);
    await writeFile(join(root, 'etc/webmin/deny.users'), 'ann\nlocal-admin\n');
    await rm(join(root, 'etc/domtool/acl'));
    const failures = await userListTarget.verify?.(tctx(), config, results, desired);
    expect(failures?.map((f) => [f.change.subject, f.error])).toEqual([
      ['file:/etc/webmin/deny.users', '/etc/webmin/deny.users lacks bo and also names ann'],
      ['file:/etc/domtool/acl', '/etc/domtool/acl is missing'],
    ]);
  });

  it('plans the whole host before a scoped plan writes a new allow list', async () => {
    const desired = { ...fixtureHost([fixtureAccount('ann', 61501)]), scope: ['ann'] };
    expect(() => userListTarget.plan(desired, { contents: [VSFTPD_USER_LIST, null, null] }, config)).toThrow(WholeHostNeeded);
    expect(userListTarget.plan(desired, { contents: [VSFTPD_USER_LIST, null, ''] }, config).map((c) => c.summary)).toEqual([
      '/etc/webmin/deny.users (webmin denied): create it empty',
      '/etc/domtool/acl (domtool allowed): add ann',
    ]);
  });
});

describe('user-list target through a freeze and an unfreeze', () => {
  let dir: string;
  let root: string;
  let ctx: AppContext;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roster-user-list-app-'));
    root = join(dir, 'root');
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'etc/vsftpd.user_list'), VSFTPD_USER_LIST);
    ctx = exampleAppContext(await openStore(join(dir, 'roster.db')), '2026-11-23T12:00:00Z', { config: parseConfig(CONFIG, 'roster.yaml', { targets }).config });
    await addPerson(ctx, { id: 'P1', firstName: 'Ann', lastName: 'Example' });
    await addPerson(ctx, { id: 'P2', firstName: 'Bo', lastName: 'Example' });
    await createAccount(ctx, { personId: 'P1', type: 'member', username: 'ann' });
    await createAccount(ctx, { personId: 'P2', type: 'member', username: 'bo' });
  });
  afterEach(async () => {
    await ctx.store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const files = ['etc/vsftpd.user_list', 'etc/webmin/deny.users', 'etc/domtool/acl'];
  const snapshot = async (): Promise<string[]> => Promise.all(files.map((f) => readFile(join(root, f), 'utf8')));
  const reconcile = async (): Promise<string[]> => {
    const { report } = await reconcileHost(ctx, targets, { host: 'shell', root });
    expect(report.outcomes.filter((o) => o.status !== 'ok')).toEqual([]);
    return report.outcomes.map((o) => o.summary);
  };

  it('a billing freeze leaves the kept service (ftp) untouched and takes the others away; the unfreeze restores every file byte for byte', async () => {
    expect(await reconcile()).toEqual(['/etc/webmin/deny.users (webmin denied): create it empty', '/etc/domtool/acl (domtool allowed): add ann, bo']);
    const before = await snapshot();

    await freezeAccount(ctx, 'ann', { reason: 'billing' });
    const plan = (await planHost(ctx, targets, { host: 'shell', root })).plan;
    // Nothing at all is planned for the ftp list.
    expect(plan.targets.flatMap((t) => t.changes.map((c) => c.subject))).toEqual(['file:/etc/webmin/deny.users', 'file:/etc/domtool/acl']);
    expect(await reconcile()).toEqual(['/etc/webmin/deny.users (webmin denied): add ann', '/etc/domtool/acl (domtool allowed): remove ann']);
    expect(await snapshot()).toEqual([VSFTPD_USER_LIST, 'ann\n', 'bo\n']);

    await unfreezeAccount(ctx, 'ann', { reason: 'billing' });
    expect(await reconcile()).toEqual(['/etc/webmin/deny.users (webmin denied): remove ann', '/etc/domtool/acl (domtool allowed): add ann']);
    expect(await snapshot()).toEqual(before);
    expect((await planHost(ctx, targets, { host: 'shell', root })).plan.targets.flatMap((t) => t.changes)).toEqual([]);
  });
});
