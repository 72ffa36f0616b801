import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureAccount, fixtureHost, FREEZE_BILLING, RETIRED } from '../../../test/desired-fixture.js';
import { fixedClock } from '../../domain/clock.js';
import type { TargetContext } from '../target.js';
import { cronConfigSchema } from './cron-config.js';
import { cronListed, cronTarget } from './cron-target.js';

const active = fixtureAccount('alice', 10001);
const frozen = fixtureAccount('bob', 10002, { holds: [FREEZE_BILLING] });
const retired = fixtureAccount('carol', 10003, { holds: [RETIRED] });
const elsewhere = fixtureAccount('dave', 10004, { canLogin: false });

describe('cron listing', () => {
  const deny = cronConfigSchema.parse({});
  const allow = cronConfigSchema.parse({ mode: 'allow' });

  it('defaults the path from the mode', () => {
    expect(deny).toEqual({ mode: 'deny', path: '/etc/cron.deny' });
    expect(allow).toEqual({ mode: 'allow', path: '/etc/cron.allow' });
    expect(cronConfigSchema.safeParse({ mode: 'block' }).success).toBe(false);
  });

  it('denies the disabled; allows the active who may log in', () => {
    const desired = fixtureHost([active, frozen, retired, elsewhere]);
    expect(cronListed(desired, deny)).toEqual(['bob', 'carol']);
    expect(cronListed(desired, allow)).toEqual(['alice']);
  });

  it('leaves cron to a freeze that keeps it, but never to retirement', () => {
    const desired = fixtureHost([active, frozen, retired], { freezeKeep: ['mail', 'portal', 'cron'] });
    expect(cronListed(desired, deny)).toEqual(['carol']);
    expect(cronListed(desired, allow)).toEqual(['alice', 'bob']);
  });
});

describe('cron target', () => {
  let root: string;
  const ctx = (): TargetContext => ({ root, host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'roster-cron-'));
    await mkdir(join(root, 'etc'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('freezing lists the account in cron.deny next to the admin lines; unfreezing restores the file byte for byte', async () => {
    const config = cronConfigSchema.parse({ mode: 'deny' });
    const admin = '# no cron for guests\nguest\n';
    await writeFile(join(root, 'etc/cron.deny'), admin);
    const run = async (accounts: Array<typeof active>): Promise<void> => {
      const desired = fixtureHost(accounts, { removed: [{ username: 'erin', uid: 10009, home: '/home/erin', purgedAt: '2026-01-01T00:00:00.000Z' }] });
      const plan = cronTarget.plan(desired, await cronTarget.observe(ctx(), config, desired), config);
      expect((await cronTarget.apply(ctx(), config, plan, desired)).every((r) => r.ok)).toBe(true);
      expect(cronTarget.plan(desired, await cronTarget.observe(ctx(), config, desired), config)).toEqual([]);
    };
    await run([active, frozen]);
    expect(await readFile(join(root, 'etc/cron.deny'), 'utf8')).toBe(`${admin}bob\n`);
    await run([active, { ...frozen, holds: [], disabled: false }]);
    expect(await readFile(join(root, 'etc/cron.deny'), 'utf8')).toBe(admin);
  });

  it('does not create cron.deny when nobody is denied, but always creates cron.allow', async () => {
    const desired = fixtureHost([active]);
    const deny = cronConfigSchema.parse({});
    expect(cronTarget.plan(desired, await cronTarget.observe(ctx(), deny, desired), deny)).toEqual([]);
    const allow = cronConfigSchema.parse({ mode: 'allow' });
    const lonely = fixtureHost([frozen]);
    const plan = cronTarget.plan(lonely, await cronTarget.observe(ctx(), allow, lonely), allow);
    expect(plan.map((c) => c.action)).toEqual(['create']);
    await cronTarget.apply(ctx(), allow, plan, lonely);
    // Empty, yet present: an absent cron.allow would let the frozen account in.
    expect(await readFile(join(root, 'etc/cron.allow'), 'utf8')).toBe('');
  });

  it('drops the line of a purged account', async () => {
    await writeFile(join(root, 'etc/cron.deny'), 'erin\nguest\n');
    const config = cronConfigSchema.parse({});
    const desired = fixtureHost([active], { removed: [{ username: 'erin', uid: 10009, home: '/home/erin', purgedAt: '2026-01-01T00:00:00.000Z' }] });
    const plan = cronTarget.plan(desired, await cronTarget.observe(ctx(), config, desired), config);
    expect(plan.map((c) => c.summary)).toEqual(['/etc/cron.deny (denied crontab): remove erin']);
  });
});
