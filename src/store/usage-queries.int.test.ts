import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from './store.js';
import { insertTestMembers, storeFactories, type OpenedTestStore } from './test-stores.js';

const T0 = '2026-01-02T03:04:05.000Z';
const T1 = '2026-01-03T03:04:05.000Z';

for (const factory of storeFactories) {
  describe(`usage queries on ${factory.name}`, () => {
    let opened: OpenedTestStore;
    let store: Store;
    let ann: number;
    let bo: number;

    beforeEach(async () => {
      opened = await factory.open();
      store = opened.store;
      [ann, bo] = await insertTestMembers(store, [['ann', 2100000001], ['bo', 2100000002]]);
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('stores a measurement of a host and target, replacing only that host and target, and lists it by account and host', async () => {
      // Beyond 2^32 and 2^53 / 1024: bigint columns, read back as exact numbers.
      const big = 5 * 2 ** 40 + 7;
      expect(await store.transaction((tx) => tx.replaceUsage('shell', 'homes', T0, [{ accountId: ann, subject: 'home:/home/ann', bytes: big }, { accountId: bo, subject: 'home:/home/bo', bytes: 0 }]))).toBe(2);
      await store.transaction((tx) => tx.replaceUsage('db', 'postgres', T0, [{ accountId: ann, subject: 'postgres-database:ann_blog', bytes: 8_000_000 }]));
      await store.transaction((tx) => tx.replaceUsage('shell', 'postgres', T0, [{ accountId: bo, subject: 'postgres-database:bo_main', bytes: 1 }]));
      expect(await store.read.listUsage({ accountId: ann })).toEqual([
        { accountId: ann, host: 'db', target: 'postgres', subject: 'postgres-database:ann_blog', bytes: 8_000_000, measuredAt: T0 },
        { accountId: ann, host: 'shell', target: 'homes', subject: 'home:/home/ann', bytes: big, measuredAt: T0 },
      ]);

      // The next measurement of shell's homes: bo is no longer measured there, ann's figure changes; the others stay.
      await store.transaction((tx) => tx.replaceUsage('shell', 'homes', '2026-01-03T04:04:05+01:00', [{ accountId: ann, subject: 'home:/home/ann', bytes: 4096 }]));
      expect((await store.read.listUsage()).map((f) => [f.accountId, f.host, f.target, f.bytes, f.measuredAt])).toEqual([
        [ann, 'db', 'postgres', 8_000_000, T0],
        [ann, 'shell', 'homes', 4096, T1],
        [bo, 'shell', 'postgres', 1, T0],
      ]);
      expect((await store.read.listUsage({ host: 'shell' })).map((f) => f.subject)).toEqual(['home:/home/ann', 'postgres-database:bo_main']);
      expect(await store.read.listUsage({ accountId: bo, host: 'db' })).toEqual([]);
      // An empty measurement clears the host and target.
      expect(await store.transaction((tx) => tx.replaceUsage('db', 'postgres', T1, []))).toBe(0);
      expect((await store.read.listUsage({ host: 'db' }))).toEqual([]);
    });

    it('takes many figures in one measurement, refuses a subject twice, and writes only in a transaction', async () => {
      const many = Array.from({ length: 1001 }, (_, i) => ({ accountId: i % 2 === 0 ? ann : bo, subject: `file:${i}`, bytes: i }));
      expect(await store.transaction((tx) => tx.replaceUsage('shell', 'homes', T0, many))).toBe(1001);
      expect((await store.read.listUsage({ accountId: bo })).length).toBe(500);
      await expect(store.transaction((tx) => tx.replaceUsage('shell', 'homes', T1, [{ accountId: ann, subject: 'x', bytes: 1 }, { accountId: ann, subject: 'x', bytes: 2 }]))).rejects.toThrow();
      // The failed measurement left the earlier one as it was.
      expect((await store.read.listUsage()).length).toBe(1001);
      await expect(store.read.replaceUsage('shell', 'homes', T0, [])).rejects.toThrow(/replaceUsage changes the database/);
    });

    it("a deleted owner's figures go with it", async () => {
      await store.transaction((tx) => tx.replaceUsage('shell', 'homes', T0, [{ accountId: bo, subject: 'home:/home/bo', bytes: 10 }]));
      await store.transaction(async (tx) => {
        await tx.updateAccount(bo, { purgedAt: T0 });
        expect(await tx.deletePurgedAccounts([bo])).toBe(1);
      });
      expect(await store.read.listUsage()).toEqual([]);
    });
  });
}
