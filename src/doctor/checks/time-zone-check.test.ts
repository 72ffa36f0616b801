import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { doctorTestRoot, type DoctorTestRoot } from '../doctor-test-root.js';
import type { DoctorCheck } from '../doctor-check.js';
import { timeZoneCheck } from './time-zone-check.js';

describe('time zone check', () => {
  let t: DoctorTestRoot;
  beforeEach(async () => {
    t = await doctorTestRoot();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function run(zoneLine: string, env: NodeJS.ProcessEnv = {}): Promise<DoctorCheck[]> {
    return [...(await timeZoneCheck(t.global(await t.config(`${zoneLine}\ntypes: { member: {} }\n`), await t.system({ env }))))];
  }

  it("passes a configured zone that is the host's (/etc/localtime under the root; Etc/UTC is UTC)", async () => {
    await t.link('/etc/localtime', '/usr/share/zoneinfo/Etc/UTC');
    expect(await run('timeZone: UTC')).toEqual([{ check: 'time zone', status: 'ok', message: `timeZone UTC is valid and matches the host's zone (from ${t.root}/etc/localtime)` }]);
  });

  it("warns when the host's zone differs, with the link to make", async () => {
    await t.link('/etc/localtime', '/usr/share/zoneinfo/America/New_York');
    const [check] = await run('timeZone: Europe/Berlin');
    expect(check).toMatchObject({ status: 'warn', fix: `ln -sf /usr/share/zoneinfo/Europe/Berlin ${t.root}/etc/localtime, or timeZone: America/New_York in ${t.dir}/roster.yaml if that is meant` });
    expect(check?.message).toContain("the host's zone is America/New_York");
  });

  it('reads TZ before the files, and /etc/timezone when there is no link', async () => {
    await t.put('/etc/timezone', 'Europe/Berlin\n');
    expect((await run('timeZone: Europe/Berlin'))[0]?.status).toBe('ok');
    const [byTz] = await run('timeZone: Europe/Berlin', { TZ: 'Asia/Tokyo' });
    expect(byTz).toMatchObject({ status: 'warn' });
    expect(byTz?.fix).toMatch(/^export TZ=Europe\/Berlin, /);
  });

  it('warns when no zone is set on the host, and when roster.yaml sets none', async () => {
    expect((await run('timeZone: Europe/Berlin'))[0]).toMatchObject({ status: 'warn', fix: `ln -sf /usr/share/zoneinfo/Europe/Berlin ${t.root}/etc/localtime` });
    const [unset] = await run('# timeZone: Europe/Berlin', { TZ: 'Europe/Paris' });
    expect(unset).toMatchObject({ status: 'warn', fix: `timeZone: Europe/Paris (add to ${t.dir}/roster.yaml)` });
  });
});
