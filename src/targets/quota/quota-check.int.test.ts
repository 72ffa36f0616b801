import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quotaConfigSchema } from './quota-config.js';
import { doctorTestRoot, type DoctorTestRoot } from '../../doctor/doctor-test-root.js';
import { quotaCheck } from './quota-check.js';

const exec = promisify(execFile);

/**
 * The btrfs backend's prerequisite on a real filesystem: a btrfs image on a
 * loop device of our own mounted at <root>/home, read through the real
 * mount table, with qgroups off and then on. The device is detached by the
 * name losetup gave us, never by searching.
 */
describe('quota check, btrfs backend on a loop-mounted image', () => {
  let t: DoctorTestRoot;
  let device: string | null = null;
  let mounted = false;

  beforeAll(async () => {
    t = await doctorTestRoot();
    const image = join(t.dir, 'btrfs.img');
    await writeFile(image, '');
    await exec('truncate', ['-s', '256M', image]);
    await exec('mkfs.btrfs', ['-q', image]);
    device = (await exec('losetup', ['--find', '--show', image])).stdout.trim();
    await mkdir(join(t.root, 'home'));
    await exec('mount', [device, join(t.root, 'home')]);
    mounted = true;
  }, 120_000);

  afterAll(async () => {
    if (mounted) await exec('umount', [join(t.root, 'home')]);
    if (device !== null) await exec('losetup', ['-d', device]);
    await t.cleanup();
  });

  it('fails while qgroups are off, with btrfs quota enable as the fix, and passes once they are on', async () => {
    const loaded = await t.config(`timeZone: UTC
types: { member: { hosts: { live: [shell] }, targets: { quota: { home: { soft: 1G, hard: 1G } } } } }
hosts: { shell: { targets: { quota: { backend: btrfs } } } }
`);
    const ctx = t.target(loaded, await t.system());
    const config = quotaConfigSchema.parse({ backend: 'btrfs' });
    const home = join(t.root, 'home');
    const off = await quotaCheck(ctx, config);
    expect(off).toHaveLength(1);
    expect(off[0]).toMatchObject({ status: 'fail', fix: `btrfs quota enable ${home}` });
    expect(off[0]?.message).toContain(`qgroups are not enabled on ${home}`);
    await exec('btrfs', ['quota', 'enable', home]);
    expect(await quotaCheck(ctx, config)).toEqual([{ check: 'quota', host: 'shell', target: 'quota', status: 'ok', message: `qgroups are enabled on ${home} (holding ${home})` }]);
  });
});
