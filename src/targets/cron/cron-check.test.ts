import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cronConfigSchema } from './cron-config.js';
import { doctorTestRoot, type DoctorTestRoot } from '../../doctor/doctor-test-root.js';
import type { DoctorCheck } from '../../doctor/doctor-check.js';
import { cronCheck } from './cron-check.js';

const YAML = `timeZone: UTC
types: { member: { hosts: { live: [shell] } } }
hosts: { shell: { targets: { cron: {} } } }
`;

describe('cron check (cron honours cron.allow / cron.deny)', () => {
  let t: DoctorTestRoot;
  beforeEach(async () => {
    t = await doctorTestRoot();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function run(section: unknown): Promise<DoctorCheck[]> {
    const loaded = await t.config(YAML);
    return [...(await cronCheck(t.target(loaded, await t.system()), cronConfigSchema.parse(section)))];
  }

  it("finds the machine's Debian cron (the test root holds no programs) and passes a root-owned 0644 cron.deny", async () => {
    await t.put('/etc/cron.deny', 'frozen1\n', 0o644);
    const checks = await run({ mode: 'deny' });
    expect(checks.map((c) => c.status)).toEqual(['ok', 'ok']);
    expect(checks[0]?.message).toMatch(/^\/usr\/sbin\/cron.* read \/etc\/cron\.allow and \/etc\/cron\.deny$/);
    expect(checks[1]?.message).toBe(`${t.root}/etc/cron.deny is a root-only-writable file (mode 0644)`);
  });

  it('uses a cron installed under the root when there is one', async () => {
    await t.put('/usr/sbin/cron', '', 0o755);
    const [programs] = await run({ mode: 'deny' });
    expect(programs?.message).toBe(`${t.root}/usr/sbin/cron reads /etc/cron.allow and /etc/cron.deny`);
  });

  it('fails deny mode when cron.allow exists (cron then never reads cron.deny)', async () => {
    await t.put('/etc/cron.allow', 'someone\n');
    const checks = await run({ mode: 'deny' });
    expect(checks[1]).toMatchObject({ status: 'fail', fix: `rm ${t.root}/etc/cron.allow, or set hosts.shell.targets.cron.mode: allow` });
  });

  it('fails a group- or world-writable list file with the chmod to run', async () => {
    await t.put('/etc/cron.deny', 'frozen1\n', 0o666);
    const checks = await run({});
    expect(checks[1]).toMatchObject({ status: 'fail', fix: `chmod 0644 ${t.root}/etc/cron.deny` });
  });

  it('warns in allow mode while cron.allow is not written yet', async () => {
    const checks = await run({ mode: 'allow' });
    expect(checks[1]).toMatchObject({ status: 'warn', fix: `roster apply --host shell --root ${t.root}` });
  });

  it('fails a path cron does not read', async () => {
    const checks = await run({ mode: 'deny', path: '/etc/roster/cron.deny' });
    expect(checks[1]).toMatchObject({ status: 'fail', fix: 'set hosts.shell.targets.cron.path: /etc/cron.deny (or leave path out)' });
  });
});
