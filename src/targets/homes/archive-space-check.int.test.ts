import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { homesConfigSchema } from './homes-config.js';
import { doctorTestRoot, type DoctorTestRoot } from '../../doctor/doctor-test-root.js';
import { archiveSpaceCheck } from './archive-space-check.js';

const exec = promisify(execFile);

function yaml(quota: string): string {
  return `timeZone: UTC
purge: { archiveDir: /var/lib/roster/archive }
types: { member: { hosts: { live: [shell] }${quota} } }
hosts: { shell: { targets: { homes: {} } } }
`;
}

/** Free space measured for real: a 4 MiB tmpfs of our own mounted as the archive directory's parent. */
describe('archive space check (free disk for purged homes)', () => {
  let t: DoctorTestRoot;
  let small: string | null = null;
  beforeEach(async () => {
    t = await doctorTestRoot();
  });
  afterEach(async () => {
    if (small !== null) await exec('umount', [small]);
    small = null;
    await t.cleanup();
  });

  async function mountSmall(): Promise<void> {
    const dir = join(t.root, 'var/lib');
    await mkdir(dir, { recursive: true });
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    small = dir;
  }

  it('passes with room to spare, naming where the directory will be made', async () => {
    const loaded = await t.config(yaml(''));
    const [check] = await archiveSpaceCheck(t.target(loaded, await t.system()), homesConfigSchema.parse({}));
    expect(check?.status).toBe('ok');
    expect(check?.message).toMatch(new RegExp(`free for archives at ${t.root}, where ${t.root}/var/lib/roster/archive will be made$`));
  });

  it('warns under 1 GiB free, and fails when one home at its quota would not fit', async () => {
    await mountSmall();
    const fix = `free space on the filesystem of ${t.root}/var/lib, or set hosts.shell.targets.homes.archiveDir to a directory on a larger one`;
    const low = await archiveSpaceCheck(t.target(await t.config(yaml('')), await t.system()), homesConfigSchema.parse({}));
    expect(low).toEqual([{ check: 'archive space', host: 'shell', target: 'homes', status: 'warn', message: `only 4.0 MiB free for archives at ${t.root}/var/lib, where ${t.root}/var/lib/roster/archive will be made; a purge stops when a home's archive does not fit`, fix }]);
    const full = await archiveSpaceCheck(t.target(await t.config(yaml(', targets: { quota: { home: { soft: 5M, hard: 6M } } }')), await t.system()), homesConfigSchema.parse({}));
    expect(full[0]).toMatchObject({ status: 'fail', fix });
    expect(full[0]?.message).toContain('less than one home may hold (home quota 6.0 MiB)');
  });

  it('fails an archive directory others can read, and passes when archiving is off', async () => {
    await mkdir(join(t.root, 'var/lib/roster/archive'), { recursive: true, mode: 0o755 });
    const loaded = await t.config(yaml(''));
    const open = await archiveSpaceCheck(t.target(loaded, await t.system()), homesConfigSchema.parse({}));
    expect(open[0]).toMatchObject({ status: 'fail', fix: `chmod 0700 ${t.root}/var/lib/roster/archive` });
    const off = await archiveSpaceCheck(t.target(loaded, await t.system()), homesConfigSchema.parse({ archive: false }));
    expect(off).toMatchObject([{ status: 'ok', message: 'archiving purged homes is off, so no space is needed' }]);
  });
});
