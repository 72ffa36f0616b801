import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureAccount, fixtureHost, FREEZE_BILLING, RETIRED } from '../../../test/desired-fixture.js';
import { fixedClock } from '../../domain/clock.js';
import type { TargetContext } from '../target.js';
import { loginConfigSchema } from './login-config.js';
import { loginTarget } from './login-target.js';

describe('login target', () => {
  let root: string;
  const ctx = (): TargetContext => ({ root, host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'roster-login-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('validates its paths', () => {
    expect(loginConfigSchema.parse({})).toEqual({ path: '/etc/security/roster-frozen.users' });
    expect(loginConfigSchema.safeParse({ path: 'frozen.users' }).success).toBe(false);
    expect(loginConfigSchema.safeParse({ noLoginPath: '/etc/security/roster-frozen.users' }).error?.issues[0]?.message).toBe('must differ from path (each file is rewritten on its own)');
  });

  it('lists accounts whose login a hold disables, and in the second file those whose type may not log in here', async () => {
    const config = loginConfigSchema.parse({ noLoginPath: '/etc/security/roster-nologin.users' });
    const desired = fixtureHost([
      fixtureAccount('alice', 10001),
      fixtureAccount('bob', 10002, { holds: [FREEZE_BILLING] }),
      fixtureAccount('carol', 10003, { holds: [RETIRED], canLogin: false }),
      fixtureAccount('dave', 10004, { canLogin: false }),
    ]);
    const plan = loginTarget.plan(desired, await loginTarget.observe(ctx(), config, desired), config);
    expect(plan.map((c) => c.summary)).toEqual([
      '/etc/security/roster-frozen.users (login disabled): add bob, carol',
      '/etc/security/roster-nologin.users (may not log into this host): add carol, dave',
    ]);
    expect((await loginTarget.apply(ctx(), config, plan, desired)).every((r) => r.ok)).toBe(true);
    const frozen = join(root, 'etc/security/roster-frozen.users');
    expect(await readFile(frozen, 'utf8')).toBe('bob\ncarol\n');
    // pam_listfile refuses a world-writable list.
    expect((await stat(frozen)).mode & 0o777).toBe(0o644);
    expect(loginTarget.plan(desired, await loginTarget.observe(ctx(), config, desired), config)).toEqual([]);
  });

  it('keeps login through a freeze when freeze.keep lists it, and creates the (empty) file anyway', async () => {
    const config = loginConfigSchema.parse({});
    const desired = fixtureHost([fixtureAccount('bob', 10002, { holds: [FREEZE_BILLING] })], { freezeKeep: ['login'] });
    const plan = loginTarget.plan(desired, await loginTarget.observe(ctx(), config, desired), config);
    expect(plan.map((c) => c.action)).toEqual(['create']);
    await loginTarget.apply(ctx(), config, plan, desired);
    expect(await readFile(join(root, 'etc/security/roster-frozen.users'), 'utf8')).toBe('');
  });
});
