import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAccount, fixtureHost, FREEZE_BILLING } from '../../../test/desired-fixture.js';
import { fixedClock } from '../../domain/clock.js';
import { runCommand } from '../../system/run-command.js';
import type { TargetContext } from '../target.js';
import { quotaConfigSchema } from './quota-config.js';
import { quotaTarget } from './quota-target.js';

const exec = promisify(execFile);
const log = { info: () => undefined, warn: () => undefined };
const clock = fixedClock(new Date('2026-11-23T12:00:00Z'));

/**
 * Real enforcement (DESIGN.md §8): a btrfs image on a loop device of our
 * own, mounted at <root>/home with qgroups on, one subvolume per home. The
 * device is detached by the name losetup gave us, never by searching.
 */
describe('quota target, btrfs backend on a loop-mounted image', () => {
  let scratch: string;
  let root: string;
  let device: string | null = null;
  let mounted = false;
  let unavailable: string | null = null;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'roster-quota-int-'));
    // The test users must reach their homes through the scratch dir.
    await chmod(scratch, 0o755);
    root = join(scratch, 'root');
    await mkdir(join(root, 'home'), { recursive: true, mode: 0o755 });
    const image = join(scratch, 'btrfs.img');
    await writeFile(image, '');
    await exec('truncate', ['-s', '512M', image]);
    await exec('mkfs.btrfs', ['-q', image]);
    try {
      device = (await exec('losetup', ['--find', '--show', image])).stdout.trim();
    } catch (e) {
      unavailable = `no loop device could be attached here (${(e as Error).message.split('\n')[0] ?? ''})`;
      return;
    }
    await exec('mount', [device, join(root, 'home')]);
    mounted = true;
    await exec('btrfs', ['quota', 'enable', join(root, 'home')]);
    for (const [name, uid] of [['rq-limited', 61601], ['rq-free', 61602]] as const) {
      await exec('btrfs', ['subvolume', 'create', join(root, 'home', name)]);
      await chown(join(root, 'home', name), uid, uid);
    }
    // Made by hand as a plain directory: qgroups cannot limit it.
    await mkdir(join(root, 'home/rq-plain'));
  }, 120_000);

  afterAll(async () => {
    if (mounted) await exec('umount', [join(root, 'home')]);
    if (device !== null) await exec('losetup', ['-d', device]);
    await rm(scratch, { recursive: true, force: true });
  });

  async function fill(uid: number, file: string, mib: number): Promise<{ code: number | null; stderr: string }> {
    const r = await runCommand(['setpriv', '--reuid', String(uid), '--regid', String(uid), '--clear-groups', 'dd', 'if=/dev/zero', `of=${file}`, 'bs=1M', `count=${mib}`, 'conv=fsync']);
    return { code: r.code, stderr: r.stderr };
  }

  it('limits the home subvolume so writing as the user stops at EDQUOT; other homes are not limited', async (t) => {
    if (unavailable !== null) t.skip(unavailable);
    const ctx: TargetContext = { root, host: 'shell', clock, log };
    const config = quotaConfigSchema.parse({ backend: 'btrfs' });
    const desired = fixtureHost([
      // Frozen, yet its quota is set like anyone's (unchanged while disabled).
      fixtureAccount('rq-limited', 61601, { holds: [FREEZE_BILLING], targets: { quota: { home: { soft: 8 * 1024, hard: 10 * 1024 } } } }),
      fixtureAccount('rq-free', 61602),
      fixtureAccount('rq-plain', 61603, { targets: { quota: { home: { soft: 1024, hard: 1024 } } } }),
    ]);
    const plan = quotaTarget.plan(desired, await quotaTarget.observe(ctx, config, desired), config);
    expect(plan.map((c) => c.summary)).toEqual([
      'limit the subvolume /home/rq-limited of rq-limited to 10485760 bytes (was none)',
      'limit the subvolume /home/rq-plain of rq-plain to 1048576 bytes (was not-subvolume)',
    ]);
    const results = await quotaTarget.apply(ctx, config, plan, desired);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(results[1]?.error).toMatch(/^\/home\/rq-plain is not a btrfs subvolume/);

    const over = await fill(61601, join(root, 'home/rq-limited/fill'), 20);
    expect(over.code).not.toBe(0);
    expect(over.stderr).toContain('Disk quota exceeded');
    const free = await fill(61602, join(root, 'home/rq-free/fill'), 20);
    expect(free).toEqual({ code: 0, stderr: expect.stringContaining('20971520 bytes') });

    // Converged except for the home that cannot carry a qgroup limit.
    const again = quotaTarget.plan(desired, await quotaTarget.observe(ctx, config, desired), config);
    expect(again.map((c) => c.subject)).toEqual(['quota:rq-plain@/home/rq-plain']);

    // Lifting the quota removes the limit, and the user can write again.
    const lifted = fixtureHost([fixtureAccount('rq-limited', 61601)]);
    const lift = quotaTarget.plan(lifted, await quotaTarget.observe(ctx, config, lifted), config);
    expect(lift.map((c) => [c.action, c.summary])).toEqual([['clear', 'limit the subvolume /home/rq-limited of rq-limited to none (was 10485760 bytes)']]);
    expect((await quotaTarget.apply(ctx, config, lift, lifted)).every((r) => r.ok)).toBe(true);
    expect((await fill(61601, join(root, 'home/rq-limited/fill2'), 20)).code).toBe(0);
  });
});

/** The setquota backend against the real quota tools on a filesystem without kernel quotas (all these machines have, DESIGN.md §8). */
describe('quota target, setquota backend with the real tools', () => {
  it('reports repquota’s refusal as the target being unavailable, and setquota’s as a failed change', async () => {
    const root = await mkdtemp(join(tmpdir(), 'roster-quota-real-'));
    await mkdir(join(root, 'home'));
    try {
      const ctx: TargetContext = { root, host: 'shell', clock, log };
      const config = quotaConfigSchema.parse({});
      const desired = fixtureHost([fixtureAccount('ann', 61701, { targets: { quota: { home: { soft: 10, hard: 20 } } } })]);
      await expect(quotaTarget.observe(ctx, config, desired)).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('no quota enabled') });
      const plan = quotaTarget.plan(desired, { backend: 'setquota', filesystems: { '/home': {} } }, config);
      const [result] = await quotaTarget.apply(ctx, config, plan, desired);
      expect(result?.ok).toBe(false);
      expect(result?.error).toContain(`setquota -u 61701 10 20 0 0 ${root}/home: exit 1:`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
