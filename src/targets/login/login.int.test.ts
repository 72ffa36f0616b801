import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAccount, fixtureHost, FREEZE_BILLING } from '../../../test/desired-fixture.js';
import { inMountNamespace } from '../../../test/in-mount-namespace.js';
import { fixedClock } from '../../domain/clock.js';
import type { TargetContext } from '../target.js';
import { loginConfigSchema } from './login-config.js';
import { loginTarget } from './login-target.js';

// The lines docs/pam-login.md recommends, with pam_permit after them so the
// list file alone decides.
const SERVICE = `auth    required pam_listfile.so item=user sense=deny file=/etc/security/roster-frozen.users onerr=succeed
auth    required pam_permit.so
account required pam_listfile.so item=user sense=deny file=/etc/security/roster-frozen.users onerr=succeed
account required pam_permit.so
`;

/** The real judge (DESIGN.md §8): pamtester against a pam.d service using pam_listfile, in a mount namespace. */
describe('login target with pam_listfile', () => {
  let scratch: string;
  let root: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'roster-login-int-'));
    root = join(scratch, 'root');
    await mkdir(join(scratch, 'pam.d'), { recursive: true });
    await writeFile(join(scratch, 'pam.d/roster-login-test'), SERVICE);
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('refuses the frozen account and lets the active one in, then lets it in again after unfreeze', async () => {
    const ctx: TargetContext = { root, host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
    const config = loginConfigSchema.parse({});
    const converge = async (desired: ReturnType<typeof fixtureHost>): Promise<void> => {
      const plan = loginTarget.plan(desired, await loginTarget.observe(ctx, config, desired), config);
      expect((await loginTarget.apply(ctx, config, plan, desired)).every((r) => r.ok)).toBe(true);
    };
    const binds = [
      { from: join(scratch, 'pam.d/roster-login-test'), to: '/etc/pam.d/roster-login-test' },
      { from: join(root, 'etc/security/roster-frozen.users'), to: '/etc/security/roster-frozen.users' },
    ];
    const pam = async (user: string, step: 'authenticate' | 'acct_mgmt'): Promise<number | null> =>
      (await inMountNamespace(scratch, binds, ['pamtester', 'roster-login-test', user, step])).code;

    await converge(fixtureHost([fixtureAccount('rlogin-active', 61501), fixtureAccount('rlogin-frozen', 61502, { holds: [FREEZE_BILLING] })]));
    for (const step of ['authenticate', 'acct_mgmt'] as const) {
      expect(await pam('rlogin-frozen', step)).not.toBe(0);
      expect(await pam('rlogin-active', step)).toBe(0);
    }

    await converge(fixtureHost([fixtureAccount('rlogin-active', 61501), fixtureAccount('rlogin-frozen', 61502)]));
    expect(await pam('rlogin-frozen', 'authenticate')).toBe(0);
    expect(await pam('rlogin-frozen', 'acct_mgmt')).toBe(0);
  });
});
