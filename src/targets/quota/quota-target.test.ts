import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureAccount, fixtureHost, FREEZE_BILLING } from '../../../test/desired-fixture.js';
import { fixedClock } from '../../domain/clock.js';
import type { CommandResult } from '../../system/run-command.js';
import type { TargetContext } from '../target.js';
import { parseQgroupShow } from './btrfs-qgroup-show.js';
import { desiredHomeLimits, desiredUserQuotas } from './desired-quotas.js';
import { quotaConfigSchema } from './quota-config.js';
import { createQuotaTarget, type SetquotaData } from './quota-target.js';
import { parseRepquota } from './repquota-report.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

describe('repquota output', () => {
  it('reads block and inode limits per UID from `repquota -u -v -n -p`', async () => {
    const text = await readFile(join(FIXTURES, 'repquota-u-v-n-p.txt'), 'utf8');
    const limits = parseRepquota(text, '/home');
    expect([...limits.keys()]).toEqual([0, 10001, 10002, 10003, 123456789]);
    expect(limits.get(10001)).toEqual({ soft: 1000, hard: 2000, inodeSoft: 0, inodeHard: 0 });
    // Over the soft limit: the grace is a timestamp (-p), still ten fields.
    expect(limits.get(10002)).toEqual({ soft: 1000, hard: 2000, inodeSoft: 100, inodeHard: 200 });
    expect(limits.get(123456789)).toEqual({ soft: 5, hard: 6, inodeSoft: 0, inodeHard: 0 });
  });

  it('refuses a user line it cannot read rather than taking it as "no limit"', () => {
    expect(() => parseRepquota('#10001    --     120    1000    2000   6days       5     0     0\n', '/home')).toThrow(/cannot read repquota output for \/home, line 1/);
  });
});

describe('btrfs qgroup show output', () => {
  it('reads the level-0 limit, or none', () => {
    const header = 'Qgroupid    Referenced    Exclusive  Max referenced  Max exclusive   Path \n--------    ----------    ---------  --------------  -------------   ---- \n';
    expect(parseQgroupShow(`${header}0/256                0            0        10485760           none   alice\n`, '/home/alice')).toEqual({ qgroup: '0/256', maxReferenced: 10485760 });
    expect(parseQgroupShow(`${header}0/257                0            0            none           none   bob\n`, '/home/bob')).toEqual({ qgroup: '0/257', maxReferenced: null });
    expect(() => parseQgroupShow(header, '/home/x')).toThrow(/no level-0 qgroup/);
  });
});

describe('quota config', () => {
  it('defaults to setquota on /home and refuses per-user filesystems on btrfs', () => {
    expect(quotaConfigSchema.parse({})).toEqual({ backend: 'setquota', filesystems: { home: '/home', elsewhere: [] } });
    const r = quotaConfigSchema.safeParse({ backend: 'btrfs', filesystems: { mail: '/var/mail', elsewhere: ['/srv'] } });
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['filesystems.mail', 'filesystems.elsewhere']);
    expect(quotaConfigSchema.safeParse({ filesystems: { home: 'home' } }).success).toBe(false);
    expect(quotaConfigSchema.safeParse({ filesystems: { home: '/home/' } }).success).toBe(false);
    expect(quotaConfigSchema.safeParse({ filesystems: { elsewhere: ['/srv', '/srv'] } }).error?.issues[0]?.message).toBe('/srv is listed twice');
  });
});

const home = { soft: 1000, hard: 2000 };
const mail = { soft: 100, hard: 200, path: '/var/mail' };
const elsewhere = { soft: 1, hard: 1 };

describe('desired quotas (RATS steps 11-13)', () => {
  it('gives each account of a person its own limit, so the person’s allowance is their sum', () => {
    const config = quotaConfigSchema.parse({});
    const desired = fixtureHost([
      fixtureAccount('ann', 10001, { personId: 'P1', targets: { quota: { home } } }),
      fixtureAccount('ann-cs101', 10002, { personId: 'P1', type: 'class', targets: { quota: { home: { soft: 500, hard: 600 } } } }),
    ]);
    const q = desiredUserQuotas(desired, config);
    expect(q.map((x) => [x.filesystem, x.uid, x.soft, x.hard])).toEqual([
      ['/home', 10001, 1000, 2000],
      ['/home', 10002, 500, 600],
    ]);
    expect(q.reduce((sum, x) => sum + x.hard, 0)).toBe(2600);
  });

  it('adds up quotas that land on one (filesystem, UID), with 0 (no limit) absorbing', () => {
    const sameFs = quotaConfigSchema.parse({ filesystems: { home: '/srv', mail: '/srv' } });
    const desired = fixtureHost([fixtureAccount('ann', 10001, { targets: { quota: { home, mail } } }), fixtureAccount('bob', 10002, { targets: { quota: { home: { soft: 0, hard: 50 }, mail } } })]);
    expect(desiredUserQuotas(desired, sameFs).map((x) => [x.filesystem, x.uid, x.kinds, x.soft, x.hard])).toEqual([
      ['/srv', 10001, ['home', 'mail'], 1100, 2200],
      ['/srv', 10002, ['home', 'mail'], 0, 250],
    ]);
  });

  it('puts the mail quota on the mail filesystem or the type’s mail path, and elsewhere on every other filesystem', () => {
    const desired = fixtureHost([fixtureAccount('ann', 10001, { targets: { quota: { home, mail, elsewhere } } })]);
    const withMail = quotaConfigSchema.parse({ filesystems: { home: '/home', mail: '/var/spool/mail', elsewhere: ['/home', '/var/spool/mail', '/srv', '/tmp'] } });
    expect(desiredUserQuotas(desired, withMail).map((x) => [x.filesystem, x.kinds[0], x.hard])).toEqual([
      ['/home', 'home', 2000],
      ['/srv', 'elsewhere', 1],
      ['/tmp', 'elsewhere', 1],
      ['/var/spool/mail', 'mail', 200],
    ]);
    const withoutMail = quotaConfigSchema.parse({});
    expect(desiredUserQuotas(desired, withoutMail).map((x) => x.filesystem)).toEqual(['/home', '/var/mail']);
  });

  it('keeps the quotas of disabled accounts', () => {
    const desired = fixtureHost([fixtureAccount('ann', 10001, { holds: [FREEZE_BILLING], targets: { quota: { home } } })]);
    expect(desiredUserQuotas(desired, quotaConfigSchema.parse({}))).toHaveLength(1);
    expect(desiredHomeLimits(desired).get('/home/ann')).toEqual({ usernames: ['ann'], bytes: 2000 * 1024 });
  });
});

describe('quota target, setquota backend', () => {
  const ctx: TargetContext = { root: '/', host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };

  /** Stands in for the kernel quota tools (unavailable here, DESIGN.md §8): answers repquota from fixtures and records every argv. */
  function fakeQuotaTools(reports: Readonly<Record<string, string>>): { calls: string[][]; run: (argv: readonly string[]) => Promise<CommandResult> } {
    const calls: string[][] = [];
    return {
      calls,
      run: async (argv) => {
        calls.push([...argv]);
        if (argv[0] === 'repquota') {
          const fs = argv.at(-1) ?? '';
          const report = reports[fs];
          return report === undefined ? { code: 2, stdout: '', stderr: `repquota: Mountpoint (or device) ${fs} not found or has no quota enabled.\n` } : { code: 0, stdout: report, stderr: '' };
        }
        return { code: 0, stdout: '', stderr: '' };
      },
    };
  }

  it('produces the exact setquota argument lists, keeps inode limits, clears purged UIDs, and skips what is already right', async () => {
    const report = await readFile(join(FIXTURES, 'repquota-u-v-n-p.txt'), 'utf8');
    const tools = fakeQuotaTools({ '/home': report, '/srv': report });
    const target = createQuotaTarget(tools.run);
    const config = quotaConfigSchema.parse({ filesystems: { home: '/home', elsewhere: ['/srv'] } });
    const desired = fixtureHost(
      [
        // Already 1000/2000 on /home (fixture): only /srv changes.
        fixtureAccount('ann', 10001, { targets: { quota: { home, elsewhere } } }),
        // 1000/2000 with inode limits 100/200 in the fixture: raised, inode limits passed back.
        fixtureAccount('bob', 10002, { targets: { quota: { home: { soft: 3000, hard: 4000 } } } }),
        fixtureAccount('cat', 10004, { holds: [FREEZE_BILLING], targets: { quota: { home } } }),
      ],
      { removed: [{ username: 'old', uid: 123456789, home: '/home/old', purgedAt: '2026-01-01T00:00:00.000Z' }] },
    );
    const observed = await target.observe(ctx, config, desired);
    expect(tools.calls).toEqual([
      ['repquota', '-u', '-v', '-n', '-p', '/home'],
      ['repquota', '-u', '-v', '-n', '-p', '/srv'],
    ]);
    const plan = target.plan(desired, observed, config);
    expect(plan.map((c) => c.summary)).toEqual([
      'set home quota of bob (uid 10002) on /home: soft 3000 KiB, hard 4000 KiB (was 1000 KiB, 2000 KiB)',
      'set home quota of cat (uid 10004) on /home: soft 1000 KiB, hard 2000 KiB (was none, none)',
      'clear quota of old (uid 123456789) on /home: soft none, hard none (was 5 KiB, 6 KiB)',
      'set elsewhere quota of ann (uid 10001) on /srv: soft 1 KiB, hard 1 KiB (was 1000 KiB, 2000 KiB)',
      // bob has no elsewhere quota: the fixture's limit on /srv is Roster's to clear.
      'clear quota of bob (uid 10002) on /srv: soft none, hard none (was 1000 KiB, 2000 KiB)',
      'clear quota of old (uid 123456789) on /srv: soft none, hard none (was 5 KiB, 6 KiB)',
    ]);

    tools.calls.length = 0;
    const results = await target.apply(ctx, config, plan, desired);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(tools.calls).toEqual([
      ['setquota', '-u', '10002', '3000', '4000', '100', '200', '/home'],
      ['setquota', '-u', '10004', '1000', '2000', '0', '0', '/home'],
      ['setquota', '-u', '123456789', '0', '0', '0', '0', '/home'],
      ['setquota', '-u', '10001', '1', '1', '0', '0', '/srv'],
      ['setquota', '-u', '10002', '0', '0', '100', '200', '/srv'],
      ['setquota', '-u', '123456789', '0', '0', '0', '0', '/srv'],
    ]);
    expect(plan.map((c) => (c.data as SetquotaData).filesystem)).toEqual(['/home', '/home', '/home', '/srv', '/srv', '/srv']);
  });

  it('puts the root prefix in front of filesystems and reports a failing setquota as a result, not a throw', async () => {
    const calls: string[][] = [];
    const target = createQuotaTarget(async (argv) => {
      calls.push([...argv]);
      return argv[0] === 'repquota' ? { code: 0, stdout: '', stderr: '' } : { code: 1, stdout: '', stderr: 'setquota: Cannot set quota for user 10001 from kernel on /srv/root/home: No such process\n' };
    });
    const config = quotaConfigSchema.parse({});
    const desired = fixtureHost([fixtureAccount('ann', 10001, { targets: { quota: { home } } })]);
    const rooted = { ...ctx, root: '/srv/root' };
    const plan = target.plan(desired, await target.observe(rooted, config, desired), config);
    const [result] = await target.apply(rooted, config, plan, desired);
    expect(calls.at(-1)).toEqual(['setquota', '-u', '10001', '1000', '2000', '0', '0', '/srv/root/home']);
    expect(result?.ok).toBe(false);
    expect(result?.error).toBe('setquota -u 10001 1000 2000 0 0 /srv/root/home: exit 1: setquota: Cannot set quota for user 10001 from kernel on /srv/root/home: No such process');
  });

  it('reports a filesystem without quotas as unavailable when a type sets quotas, with what to do', async () => {
    const target = createQuotaTarget(fakeQuotaTools({}).run);
    const config = quotaConfigSchema.parse({});
    const desired = fixtureHost([fixtureAccount('ann', 10001, { targets: { quota: { home } } })]);
    const error = await target.observe(ctx, config, desired).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'unavailable' });
    const message = (error as Error).message;
    expect(message).toContain('cannot read quotas on /home: repquota -u -v -n -p /home: exit 2: repquota: Mountpoint (or device) /home not found or has no quota enabled.');
    expect(message).toContain('add usrquota to its mount options in /etc/fstab and remount it (mount -o remount /home)');
    expect(message).toContain('quotacheck -cum /home && quotaon -u /home');
    expect(message).toContain('hosts.shell.targets.quota.backend: btrfs');
    expect(message).toContain('remove quota from hosts.shell.targets');
  });

  it('says to install the quota tools when repquota is not there and a type sets quotas', async () => {
    const target = createQuotaTarget(async () => ({ code: null, stdout: '', stderr: '', failure: 'repquota: spawn repquota ENOENT' }));
    const desired = fixtureHost([fixtureAccount('ann', 10001, { targets: { quota: { home } } })]);
    await expect(target.observe(ctx, quotaConfigSchema.parse({}), desired)).rejects.toThrow(/install the quota tools \(apt-get install quota\)/);
  });

  it('has nothing to do, and needs no quota tools, when no account of the host has a quota', async () => {
    const config = quotaConfigSchema.parse({ filesystems: { home: '/home', elsewhere: ['/srv'] } });
    const desired = fixtureHost([fixtureAccount('ann', 10001), fixtureAccount('bob', 10002, { holds: [FREEZE_BILLING] })]);
    for (const run of [fakeQuotaTools({}).run, async () => ({ code: null, stdout: '', stderr: '', failure: 'repquota: spawn repquota ENOENT' })]) {
      const target = createQuotaTarget(run);
      const observed = await target.observe(ctx, config, desired);
      expect(observed).toEqual({ backend: 'setquota', filesystems: {} });
      expect(target.plan(desired, observed, config)).toEqual([]);
    }
  });

  it('still clears limits it set before when the tools work and no account has a quota any more', async () => {
    const report = await readFile(join(FIXTURES, 'repquota-u-v-n-p.txt'), 'utf8');
    const target = createQuotaTarget(fakeQuotaTools({ '/home': report }).run);
    const config = quotaConfigSchema.parse({});
    const desired = fixtureHost([fixtureAccount('ann', 10001)]);
    const plan = target.plan(desired, await target.observe(ctx, config, desired), config);
    expect(plan.map((c) => c.summary)).toEqual(['clear quota of ann (uid 10001) on /home: soft none, hard none (was 1000 KiB, 2000 KiB)']);
  });
});
