import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unixConfigSchema } from './unix-config.js';
import { doctorTestRoot, type DoctorTestRoot } from '../../doctor/doctor-test-root.js';
import type { DoctorCheck } from '../../doctor/doctor-check.js';
import { nameCacheCheck } from './name-cache-check.js';

const YAML = `timeZone: UTC
types: { member: { hosts: { live: [shell] } } }
hosts: { shell: { targets: { unix: {} } } }
`;
// Debian's nscd.conf, the lines that matter.
const NSCD_CONF = ['\tenable-cache\t\tpasswd\t\tyes', '\tpositive-time-to-live\tpasswd\t\t600', '\tenable-cache\t\tgroup\t\tyes', '\tenable-cache\t\thosts\t\tyes', '#\tenable-cache\t\tnetgroup\tyes'].join('\n');

describe('name cache check (nscd, sssd, nsswitch.conf)', () => {
  let t: DoctorTestRoot;
  beforeEach(async () => {
    t = await doctorTestRoot();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function run(section: unknown = {}): Promise<DoctorCheck[]> {
    return [...(await nameCacheCheck(t.target(await t.config(YAML), await t.system()), unixConfigSchema.parse(section)))];
  }

  it('passes a host with neither cache', async () => {
    await t.put('/etc/nsswitch.conf', 'passwd:         files systemd\ngroup:          files systemd\n');
    await t.put('/etc/nscd.conf', NSCD_CONF); // left behind by a removed package: no program, no cache
    expect(await run()).toMatchObject([{ status: 'ok', message: 'no nscd or sssd cache in front of passwd and group' }]);
  });

  it('warns when nscd caches passwd and group, with the invalidation commands', async () => {
    await t.put('/usr/sbin/nscd', '', 0o755);
    await t.put('/etc/nscd.conf', NSCD_CONF);
    const [check] = await run();
    expect(check).toMatchObject({ status: 'warn', fix: 'nscd -i passwd && nscd -i group (after a change), or set enable-cache passwd/group no in /etc/nscd.conf' });
    expect(check?.message).toContain(`nscd caches passwd and group (${t.root}/etc/nscd.conf), so changes show late; roster apply does not flush it (it flushes only when the root is /)`);
  });

  it('passes nscd that caches only hosts', async () => {
    await t.put('/usr/sbin/nscd', '', 0o755);
    await t.put('/etc/nscd.conf', 'enable-cache hosts yes\nenable-cache passwd no\n');
    expect(await run()).toMatchObject([{ status: 'ok', message: 'nscd is installed but caches neither passwd nor group' }]);
  });

  it('warns when sssd answers passwd lookups, with sss_cache -E', async () => {
    await t.put('/usr/sbin/sssd', '', 0o755);
    await t.put('/etc/nsswitch.conf', 'passwd: files sss\ngroup: files [SUCCESS=merge] sss\n');
    expect(await run()).toMatchObject([{ status: 'warn', fix: '/usr/sbin/sss_cache -E (after a change)' }]);
  });

  it('fails an nsswitch.conf that does not read the files', async () => {
    await t.put('/etc/nsswitch.conf', 'passwd: sss\ngroup: compat\n');
    expect(await run()).toMatchObject([{ status: 'fail', fix: `put files first on the passwd line of ${t.root}/etc/nsswitch.conf: passwd: files sss` }]);
  });
});
