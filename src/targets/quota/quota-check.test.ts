import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quotaConfigSchema } from './quota-config.js';
import { doctorTestRoot, type DoctorTestRoot } from '../../doctor/doctor-test-root.js';
import type { DoctorCheck } from '../../doctor/doctor-check.js';
import { quotaCheck } from './quota-check.js';

function yaml(quotas: string): string {
  return `timeZone: UTC
types:
  member: { hosts: { live: [shell] }${quotas} }
  guest: { hosts: { live: [web] }, targets: { quota: { home: { soft: 1G, hard: 2G } } } }
hosts: { shell: { targets: { quota: {} } }, web: {} }
`;
}

describe('quota check (quota tools and quota-enabled filesystems)', () => {
  let t: DoctorTestRoot;
  beforeEach(async () => {
    t = await doctorTestRoot();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function run(quotas: string, mounts: string, section: unknown = {}): Promise<DoctorCheck[]> {
    const loaded = await t.config(yaml(quotas));
    // The mount table below mounts <root>/home; the others are directories of /.
    await mkdir(join(t.root, 'home'));
    return [...(await quotaCheck(t.target(loaded, await t.system({ mounts })), quotaConfigSchema.parse(section)))];
  }

  const table = (homeOptions: string, type = 'ext4'): string => `/dev/vda1 / ext4 rw,relatime 0 0\n/dev/vdb1 ${t.root}/home ${type} ${homeOptions} 0 0\n`;

  it('needs nothing when no account type living on the host sets a quota (another host\'s type does)', async () => {
    const checks = await run('', table('rw,relatime'));
    expect(checks).toEqual([{ check: 'quota', host: 'shell', target: 'quota', status: 'ok', message: 'no account type living on shell sets a quota, so nothing is needed' }]);
  });

  it('fails a home filesystem mounted without usrquota, with the fstab option and the commands as the fix', async () => {
    const checks = await run(', targets: { quota: { home: { soft: 5G, hard: 6G } } }', table('rw,relatime'));
    expect(checks[0]).toMatchObject({ status: 'ok', message: 'the quota tools (setquota, repquota) are installed' });
    const home = `${t.root}/home`;
    expect(checks[1]).toMatchObject({
      status: 'fail',
      message: `${home} (holding ${home}, ext4) is mounted without usrquota, so the quotas of the account types cannot be enforced there`,
      fix: `add usrquota to the options of ${home} in /etc/fstab, then: mount -o remount ${home} && quotacheck -cum ${home} && quotaon -u ${home}`,
    });
  });

  it('with usrquota in the mount options but quotas not switched on (real repquota says so), the fix is quotacheck and quotaon', async () => {
    const checks = await run(', targets: { quota: { home: { soft: 5G, hard: 6G } } }', table('rw,relatime,usrquota'));
    const home = `${t.root}/home`;
    expect(checks[1]?.status).toBe('fail');
    expect(checks[1]?.message).toContain(`${home} is mounted with user quotas, but they are not switched on: repquota -u -v -n -p ${home}: exit 1`);
    expect(checks[1]?.fix).toBe(`quotacheck -cum ${home} && quotaon -u ${home}`);
  });

  it('sends a btrfs home to the btrfs backend', async () => {
    const checks = await run(', targets: { quota: { home: { soft: 5G, hard: 6G } } }', table('rw,relatime', 'btrfs'));
    expect(checks[1]?.status).toBe('fail');
    expect(checks[1]?.fix).toMatch(/^set hosts\.shell\.targets\.quota\.backend: btrfs /);
  });

  it('checks the mail and elsewhere filesystems the types use too', async () => {
    const checks = await run(', targets: { quota: { mail: { soft: 1G, hard: 1G, path: /var/mail }, elsewhere: { soft: 1G, hard: 1G } } }', table('rw'), { filesystems: { elsewhere: ['/srv'] } });
    expect(checks.slice(1).map((c) => c.message.split(' ')[0])).toEqual(['/', '/']);
    expect(checks.slice(1).map((c) => c.message)).toEqual([
      `/ (holding ${t.root}/srv, ext4) is mounted without usrquota, so the quotas of the account types cannot be enforced there`,
      `/ (holding ${t.root}/var/mail, ext4) is mounted without usrquota, so the quotas of the account types cannot be enforced there`,
    ]);
  });

  it('fails the btrfs backend when the homes are not on btrfs', async () => {
    const checks = await run(', targets: { quota: { home: { soft: 5G, hard: 6G } } }', table('rw,usrquota'), { backend: 'btrfs' });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ status: 'fail', fix: 'set hosts.shell.targets.quota.backend: setquota, or remove quota from hosts.shell.targets' });
  });
});
