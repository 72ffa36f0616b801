import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import type { Store } from './store.js';
import { insertTestMembers, storeFactories, type OpenedTestStore } from './test-stores.js';

const T0 = '2026-01-02T03:04:05.000Z';

for (const factory of storeFactories) {
  describe(`resource queries on ${factory.name}`, () => {
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

    it('stores resources with their settings, lists them by owner, kind and host, and deletes them', async () => {
      const db = await store.transaction((tx) => tx.insertResource({ accountId: ann, kind: 'database', name: 'ann_main', host: 'db1', settings: { encoding: 'UTF8', size: 3 }, createdAt: T0, updatedAt: T0 }));
      expect(db).toEqual({ id: expect.any(Number), accountId: ann, kind: 'database', name: 'ann_main', host: 'db1', settings: { encoding: 'UTF8', size: 3 }, createdAt: T0, updatedAt: T0 });
      const list = await store.transaction((tx) => tx.insertResource({ accountId: bo, kind: 'list', name: 'bo-news', host: 'mail', settings: {}, createdAt: T0, updatedAt: T0 }));
      const other = await store.transaction((tx) => tx.insertResource({ accountId: ann, kind: 'list', name: 'ann-news', host: 'mail', settings: {}, createdAt: T0, updatedAt: T0 }));

      expect(await store.read.getResource(db.id)).toEqual(db);
      expect(await store.read.getResource(db.id + 1000)).toBeUndefined();
      expect(await store.read.listResources()).toEqual([db, list, other]);
      expect(await store.read.listResources({ accountId: ann })).toEqual([db, other]);
      expect(await store.read.listResources({ kind: 'list' })).toEqual([list, other]);
      expect(await store.read.listResources({ host: 'db1' })).toEqual([db]);
      expect(await store.read.listResources({ accountId: bo, kind: 'database' })).toEqual([]);
      expect(await store.read.resourcesOfAccounts([bo, ann])).toEqual([db, list, other]);
      expect(await store.read.resourcesOfAccounts([])).toEqual([]);

      expect(await store.transaction((tx) => tx.deleteResource(db.id))).toBe(true);
      expect(await store.transaction((tx) => tx.deleteResource(db.id))).toBe(false);
      expect(await store.transaction((tx) => tx.deleteResources([list.id, other.id, 99999]))).toBe(2);
      expect(await store.read.listResources()).toEqual([]);
    });

    it('refuses a second resource of the same kind and name on a host, and writes outside a transaction', async () => {
      const base = { accountId: ann, kind: 'database', name: 'shared', host: 'db1', settings: {}, createdAt: T0, updatedAt: T0 };
      await store.transaction((tx) => tx.insertResource(base));
      const dup = await store.transaction((tx) => tx.insertResource({ ...base, accountId: bo })).catch((e: unknown) => e);
      expect(dup).toBeInstanceOf(RosterError);
      expect((dup as RosterError).code).toBe('conflict');
      expect((dup as RosterError).message).toBe('a database named shared already exists on host db1');
      // The same name is free on another host and for another kind.
      await store.transaction((tx) => tx.insertResource({ ...base, host: 'db2' }));
      await store.transaction((tx) => tx.insertResource({ ...base, kind: 'list' }));
      expect(await store.read.listResources({ accountId: bo })).toEqual([]);
      await expect(store.read.insertResource(base)).rejects.toThrow(/insertResource changes the database/);
      await expect(store.read.deleteResource(1)).rejects.toThrow(/deleteResource changes the database/);
    });

    it('a resource needs an owner that exists, and goes with its deleted owner', async () => {
      await expect(store.transaction((tx) => tx.insertResource({ accountId: 424242, kind: 'database', name: 'x', host: 'db1', settings: {}, createdAt: T0, updatedAt: T0 }))).rejects.toThrow();
      await store.transaction((tx) => tx.insertResource({ accountId: bo, kind: 'database', name: 'x', host: 'db1', settings: {}, createdAt: T0, updatedAt: T0 }));
      await store.transaction(async (tx) => {
        await tx.updateAccount(bo, { purgedAt: T0 });
        expect(await tx.deletePurgedAccounts([bo])).toBe(1);
      });
      expect(await store.read.listResources()).toEqual([]);
    });
  });
}
