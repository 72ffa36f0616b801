import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import type { AppContext } from '../src/app/app-context.js';
import { addPerson } from '../src/app/people.js';
import { listUsage, measureUsage, recordUsage } from '../src/app/usage.js';
import { parseConfig } from '../src/config/load-config.js';
import { RosterError } from '../src/domain/errors.js';
import { storeFactories, type OpenedTestStore } from '../src/store/test-stores.js';
import { orderedTargets, targetRegistry, type AnyTarget } from '../src/targets/registry.js';
import { defineTarget, type UsageItem } from '../src/targets/target.js';
import { exampleAppContext } from './example-app-context.js';
import { TestClock } from './server-fixture.js';

/** A target whose usage is whatever the test sets (or a failure), to see what the use case makes of it. */
let meterSays: readonly UsageItem[] | Error = [];
const meterTarget = defineTarget<{ readonly scale: number }, null>({
  name: 'meter',
  hostSettings: z.strictObject({ scale: z.int().default(1).describe('what each figure is multiplied by') }).describe('a test meter'),
  observe: () => Promise.resolve(null),
  plan: () => [],
  apply: () => Promise.resolve([]),
  usage(_ctx, config) {
    if (meterSays instanceof Error) return Promise.reject(meterSays);
    return Promise.resolve(meterSays.map((i) => ({ ...i, bytes: i.bytes * config.scale })));
  },
});
/** Measures nothing, to show that a target without `usage` is not asked. */
const silentTarget = defineTarget<Record<string, never>, null>({
  name: 'silent',
  hostSettings: z.strictObject({}).describe('a test target without usage'),
  observe: () => Promise.resolve(null),
  plan: () => [],
  apply: () => Promise.resolve([]),
});
const targets: readonly AnyTarget[] = orderedTargets([meterTarget, silentTarget, ...targetRegistry]);

const CONFIG = `
timeZone: UTC
uids: { min: 2100040000, max: 2100049999 }
gids: { min: 2100040000, max: 2100049999 }
hosts:
  shell: { targets: { meter: {}, silent: {} } }
  db: { targets: { meter: { scale: 1000 } } }
  web: { targets: { silent: {} } }
types:
  member:
    hosts: { live: [shell, db, web] }
`;

for (const factory of storeFactories) {
  describe(`usage per member on ${factory.name}`, () => {
    let opened: OpenedTestStore;
    let ctx: AppContext;
    let clock: TestClock;
    let root: string;

    beforeEach(async () => {
      opened = await factory.open();
      root = await mkdtemp(join(tmpdir(), 'roster-usage-'));
      clock = new TestClock('2026-11-23T12:00:00Z');
      ctx = exampleAppContext(opened.store, clock, { config: parseConfig(CONFIG, 'roster.yaml', { targets }).config });
      await addPerson(ctx, { id: 'P1', firstName: 'Ann', lastName: 'Example' });
      await addPerson(ctx, { id: 'P2', firstName: 'Bo', lastName: 'Example' });
      await createAccount(ctx, { personId: 'P1', type: 'member', username: 'ann' });
      await createAccount(ctx, { personId: 'P2', type: 'member', username: 'bo' });
      meterSays = [
        { account: 'bo', subject: 'db:bo_main', bytes: 7 },
        { account: 'ann', subject: 'db:ann_blog', bytes: 3 },
        { account: 'ann', subject: 'db:ann_wiki', bytes: 2 },
      ];
    });
    afterEach(async () => {
      await opened.cleanup();
      await rm(root, { recursive: true, force: true });
    });

    it('measures every host whose targets measure, stores the figures with the time, one audit record per host', async () => {
      const auditBefore = (await ctx.store.read.auditHead()).seq;
      expect(await measureUsage(ctx, targets, { root })).toEqual([
        { host: 'shell', target: 'meter', ok: true, figures: 3 },
        { host: 'db', target: 'meter', ok: true, figures: 3 },
      ]);
      expect(await listUsage(ctx.store.read, { user: 'ann' })).toEqual([
        { user: 'ann', host: 'db', target: 'meter', subject: 'db:ann_blog', bytes: 3000, measuredAt: '2026-11-23T12:00:00.000Z' },
        { user: 'ann', host: 'db', target: 'meter', subject: 'db:ann_wiki', bytes: 2000, measuredAt: '2026-11-23T12:00:00.000Z' },
        { user: 'ann', host: 'shell', target: 'meter', subject: 'db:ann_blog', bytes: 3, measuredAt: '2026-11-23T12:00:00.000Z' },
        { user: 'ann', host: 'shell', target: 'meter', subject: 'db:ann_wiki', bytes: 2, measuredAt: '2026-11-23T12:00:00.000Z' },
      ]);
      expect((await listUsage(ctx.store.read)).map((u) => `${u.user}@${u.host}`)).toEqual(['ann@db', 'ann@db', 'ann@shell', 'ann@shell', 'bo@db', 'bo@shell']);
      expect((await listUsage(ctx.store.read, { host: 'shell', user: 'bo' })).map((u) => u.bytes)).toEqual([7]);
      const records = await ctx.store.read.listAudit({ afterSeq: auditBefore });
      expect(records.map((r) => [r.action, r.target, r.after])).toEqual([
        ['usage.measure', 'host:shell', { measuredAt: '2026-11-23T12:00:00.000Z', figures: { meter: 3 } }],
        ['usage.measure', 'host:db', { measuredAt: '2026-11-23T12:00:00.000Z', figures: { meter: 3 } }],
      ]);
      // A host whose targets do not measure has nothing to say.
      expect(await measureUsage(ctx, targets, { host: 'web', root })).toEqual([]);
    });

    it('keeps the earlier figures when a target fails or measures what cannot be, and leaves out accounts it does not know', async () => {
      await measureUsage(ctx, targets, { host: 'shell', root });
      clock.advanceDays(1);
      const before = await listUsage(ctx.store.read);

      meterSays = new Error('the server went away');
      expect(await measureUsage(ctx, targets, { host: 'shell', root })).toEqual([{ host: 'shell', target: 'meter', ok: false, figures: 0, error: 'the server went away' }]);
      meterSays = [{ account: 'ann', subject: 'db:x', bytes: -1 }];
      expect((await measureUsage(ctx, targets, { host: 'shell', root }))[0]?.error).toBe('ann db:x: -1 is not a number of bytes');
      meterSays = [{ account: 'ann', subject: 'db:x', bytes: 1.5 }];
      expect((await measureUsage(ctx, targets, { host: 'shell', root }))[0]?.error).toBe('ann db:x: 1.5 is not a number of bytes');
      meterSays = [{ account: 'ann', subject: 'db:x', bytes: 1 }, { account: 'ann', subject: 'db:x', bytes: 2 }];
      expect((await measureUsage(ctx, targets, { host: 'shell', root }))[0]?.error).toBe('ann db:x is measured twice');
      expect(await listUsage(ctx.store.read)).toEqual(before);

      meterSays = [{ account: 'ghost', subject: 'db:ghost', bytes: 1 }, { account: 'bo', subject: 'db:bo_main', bytes: 8 }];
      expect(await measureUsage(ctx, targets, { host: 'shell', root })).toEqual([{ host: 'shell', target: 'meter', ok: true, figures: 1, unknownAccounts: ['ghost'] }]);
      expect((await listUsage(ctx.store.read, { host: 'shell' })).map((u) => [u.user, u.bytes, u.measuredAt])).toEqual([['bo', 8, '2026-11-24T12:00:00.000Z']]);
      // A measurement a host reports for a target it does not run is refused.
      expect(await recordUsage(ctx, 'web', '2026-11-24T12:00:00.000Z', [{ target: 'meter', items: [] }], new Set(['silent']))).toEqual([
        { host: 'web', target: 'meter', ok: false, figures: 0, error: 'the meter target is not enabled on host web' },
      ]);
    });

    it('refuses an unknown host, an unknown user and a root that is not a directory', async () => {
      const refusal = async (p: Promise<unknown>): Promise<string> => p.then(() => 'no error', (e: unknown) => (e instanceof RosterError ? `${e.code}: ${e.message}` : String(e)));
      expect(await refusal(measureUsage(ctx, targets, { host: 'mail', root }))).toBe('not_found: no host "mail" in roster.yaml (declared: shell, db, web)');
      expect(await refusal(measureUsage(ctx, targets, { host: 'shell', root: join(root, 'nope') }))).toMatch(/^usage: --root .*nope is not a directory/);
      expect(await refusal(listUsage(ctx.store.read, { user: 'nobody' }))).toBe('not_found: user: no account "nobody"');
    });
  });
}
