import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAccount, fixtureHost, FREEZE_BILLING } from '../../../test/desired-fixture.js';
import { inMountNamespace, userLines } from '../../../test/in-mount-namespace.js';
import { fixedClock } from '../../domain/clock.js';
import type { TargetContext } from '../target.js';
import { cronConfigSchema } from './cron-config.js';
import { cronTarget } from './cron-target.js';

/**
 * The real judge (DESIGN.md §8): Debian's crontab(1), run as each test user
 * with `runuser`, in a mount namespace where the root's passwd files and
 * cron list stand in for the host's.
 */
describe('cron target with crontab(1)', () => {
  let scratch: string;
  let root: string;
  const users = [
    { name: 'rcron-active', uid: 61401 },
    { name: 'rcron-frozen', uid: 61402 },
  ];
  const desired = fixtureHost([fixtureAccount('rcron-active', 61401), fixtureAccount('rcron-frozen', 61402, { holds: [FREEZE_BILLING] })]);

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'roster-cron-int-'));
    root = join(scratch, 'root');
    await mkdir(join(root, 'etc'), { recursive: true });
    const lines = userLines(users);
    await writeFile(join(root, 'etc/passwd'), `root:x:0:0:root:/root:/bin/bash\n${lines.passwd}`);
    await writeFile(join(root, 'etc/shadow'), `root:*:20000:0:99999:7:::\n${lines.shadow}`);
    await chmod(join(root, 'etc/shadow'), 0o640);
    await writeFile(join(root, 'etc/group'), `root:x:0:\n${lines.group}`);
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  const ctx = (): TargetContext => ({ root, host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } });

  async function crontabAs(user: string, list: string): Promise<{ code: number | null; stderr: string }> {
    const binds = ['passwd', 'shadow', 'group'].map((f) => ({ from: join(root, 'etc', f), to: `/etc/${f}` }));
    binds.push({ from: join(root, list), to: list });
    return inMountNamespace(scratch, binds, ['runuser', '-u', user, '--', 'crontab', '-l']);
  }

  for (const mode of ['deny', 'allow'] as const) {
    it(`${mode} mode: the frozen account is refused, the active one is not`, async () => {
      const config = cronConfigSchema.parse({ mode });
      const plan = cronTarget.plan(desired, await cronTarget.observe(ctx(), config, desired), config);
      expect((await cronTarget.apply(ctx(), config, plan, desired)).every((r) => r.ok)).toBe(true);

      const refused = await crontabAs('rcron-frozen', config.path);
      expect(refused.stderr).toContain('You (rcron-frozen) are not allowed to use this program (crontab)');
      // crontab -l exits 1 for "no crontab" too, so the message is the verdict.
      const allowed = await crontabAs('rcron-active', config.path);
      expect(allowed.stderr).toContain('no crontab for rcron-active');
      expect(allowed.stderr).not.toContain('not allowed');
    });
  }
});
