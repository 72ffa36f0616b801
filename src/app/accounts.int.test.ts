import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { fixedClock } from '../domain/clock.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import type { AppContext } from './app-context.js';
import { createAccounts } from './accounts.js';
import { addPerson } from './people.js';

describe.each(storeFactories)('createAccounts in batches on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;
  beforeAll(async () => {
    s = await factory.open();
    ctx = {
      store: s.store,
      config: parseConfig(exampleConfig(), 'roster.yaml').config,
      clock: fixedClock(new Date('2026-05-01T10:00:00Z')),
      actor: 'test',
      hmacKey: Buffer.alloc(32, 3),
      hasher: { hash: () => '$y$not-used' },
      log: { info: () => undefined, warn: () => undefined },
    };
    for (const [id, role] of [['A', 'MEMBER'], ['B', 'STAFF'], ['C', 'MEMBER'], ['D', 'MEMBER']] as const) {
      await addPerson(ctx, { id, firstName: 'Kim', lastName: `Batch${id}`, roles: [role] });
    }
  });
  afterAll(async () => s.cleanup());

  it('reports each refused item and commits the others, with one audit record per created account', async () => {
    const before = (await s.store.read.auditHead()).seq;
    const results = await createAccounts(ctx, [
      { personId: 'A', type: 'member', username: 'kima' },
      { personId: 'B', type: 'member' },
      { personId: 'C', type: 'member', username: 'kima' },
      { personId: 'D', type: 'member', username: 'kimd' },
      { personId: 'A', type: 'wizard' },
    ], { batchSize: 2 });
    expect(results.map((r) => (r.ok ? r.account.username : r.code))).toEqual(['kima', 'not_eligible', 'conflict', 'kimd', 'not_found']);
    expect((await s.store.read.listAccounts()).map((a) => a.username).sort()).toEqual(['kima', 'kimd']);
    const records = await s.store.read.listAudit({ afterSeq: before });
    expect(records.filter((r) => r.action === 'account.create').map((r) => r.target)).toEqual(['account:kima', 'account:kimd']);
    // The first account also brought the declared group `members` into being.
    expect(records.map((r) => r.action).sort()).toEqual(['account.create', 'account.create', 'group.add']);
    // The refused username stayed free of reservations for C.
    expect((await s.store.read.reservationsOfPerson('C'))).toEqual([]);
  });

  it('a dry run creates nothing and reports the same', async () => {
    const results = await createAccounts(ctx, [{ personId: 'C', type: 'member', username: 'kimc' }], { dryRun: true });
    expect(results.map((r) => r.ok)).toEqual([true]);
    expect(await s.store.read.getAccount('kimc')).toBeUndefined();
  });
});
