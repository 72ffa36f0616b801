import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureAccount, fixtureHost, FREEZE_BILLING } from '../../../test/desired-fixture.js';
import { fixedClock } from '../../domain/clock.js';
import type { TargetContext } from '../target.js';
import { limitsConfigSchema } from './limits-config.js';
import { limitsTarget } from './limits-target.js';

function issues(input: unknown): string[] {
  const r = limitsConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('limits config', () => {
  it('accepts limits.conf(5) items with numbers, unlimited, -1 and one value for both', () => {
    const c = limitsConfigSchema.parse({ perHost: { nproc: { soft: 100, hard: 200 }, as: 'unlimited', cpu: -1, nice: { hard: -5 } }, perType: { staff: { nofile: { soft: 1024, hard: 'infinity' } } } });
    expect(c.perHost).toEqual({ nproc: { soft: 100, hard: 200 }, as: { soft: 'unlimited', hard: 'unlimited' }, cpu: { soft: 'unlimited', hard: 'unlimited' }, nice: { hard: -5 } });
    expect(c.perType.staff).toEqual({ nofile: { soft: 1024, hard: 'unlimited' } });
    expect(c.path).toBe('/etc/security/limits.d/roster.conf');
  });

  it('names each bad item and value', () => {
    expect(issues({ perHost: { nprocs: 5 } })).toEqual([expect.stringMatching(/^perHost.nprocs: unknown pam_limits item "nprocs"/)]);
    expect(issues({ perHost: { nproc: { soft: 'lots' } } })).toEqual(['perHost.nproc.soft: nproc must be a whole number ≥ 0, or unlimited']);
    expect(issues({ perHost: { nice: 25 } })).toEqual(['perHost.nice: nice must be a nice value from -20 to 19']);
    expect(issues({ perHost: { nonewprivs: 2 } })).toEqual(['perHost.nonewprivs: nonewprivs must be 0 or 1']);
    expect(issues({ perType: { staff: { nproc: { soft: 300, hard: 200 } } } })).toEqual(['perType.staff.nproc: soft limit 300 exceeds hard limit 200']);
    expect(issues({ perHost: { nproc: {} } })).toEqual(['perHost.nproc: give soft, hard or both']);
    expect(issues({ path: '/etc/security/limits.d/roster' })).toEqual(['path: must end in .conf (pam_limits reads only *.conf files in limits.d)']);
    expect(issues({ perhost: {} })).toHaveLength(1);
  });
});

describe('limits target', () => {
  let root: string;
  const ctx = (): TargetContext => ({ root, host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'roster-limits-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const config = limitsConfigSchema.parse({ perHost: { nproc: { soft: 100, hard: 200 }, cpu: { hard: 60 } }, perType: { staff: { nproc: { soft: 500, hard: 1000 }, nofile: 4096 } } });
  const desired = fixtureHost([
    fixtureAccount('alice', 10001),
    fixtureAccount('bob', 10002, { type: 'staff' }),
    // Frozen accounts keep their limits (DESIGN.md §4: unchanged while disabled).
    fixtureAccount('carol', 10003, { holds: [FREEZE_BILLING] }),
  ]);

  it('writes one line per account, item and soft/hard; a type item replaces the host item; apply converges', async () => {
    const observed = await limitsTarget.observe(ctx(), config, desired);
    const plan = limitsTarget.plan(desired, observed, config);
    expect(plan.map((c) => [c.action, c.subject, c.summary])).toEqual([['create', 'file:/etc/security/limits.d/roster.conf', 'write /etc/security/limits.d/roster.conf: limits for 3 account(s)']]);
    const results = await limitsTarget.apply(ctx(), config, plan, desired);
    expect(results.map((r) => r.ok)).toEqual([true]);
    const path = join(root, 'etc/security/limits.d/roster.conf');
    const text = await readFile(path, 'utf8');
    expect(text.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
      // Items in limits.conf(5) order.
      'alice\thard\tcpu\t60', 'alice\tsoft\tnproc\t100', 'alice\thard\tnproc\t200',
      'bob\tsoft\tnofile\t4096', 'bob\thard\tnofile\t4096', 'bob\thard\tcpu\t60', 'bob\tsoft\tnproc\t500', 'bob\thard\tnproc\t1000',
      'carol\thard\tcpu\t60', 'carol\tsoft\tnproc\t100', 'carol\thard\tnproc\t200',
      '',
    ]);
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect(limitsTarget.plan(desired, await limitsTarget.observe(ctx(), config, desired), config)).toEqual([]);
  });

  it('overwrites a hand edit and removes the file once no account has limits', async () => {
    const path = join(root, 'etc/security/limits.d/roster.conf');
    await mkdir(join(root, 'etc/security/limits.d'), { recursive: true });
    await writeFile(path, 'alice hard nproc 1\n');
    const fix = limitsTarget.plan(desired, await limitsTarget.observe(ctx(), config, desired), config);
    expect(fix.map((c) => c.action)).toEqual(['update']);
    await limitsTarget.apply(ctx(), config, fix, desired);
    expect(await readFile(path, 'utf8')).toContain('alice\thard\tnproc\t200');

    const none = limitsConfigSchema.parse({});
    const removal = limitsTarget.plan(desired, await limitsTarget.observe(ctx(), none, desired), none);
    expect(removal.map((c) => c.action)).toEqual(['delete']);
    expect((await limitsTarget.apply(ctx(), none, removal, desired)).every((r) => r.ok)).toBe(true);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
    expect(limitsTarget.plan(desired, await limitsTarget.observe(ctx(), none, desired), none)).toEqual([]);
  });
});
