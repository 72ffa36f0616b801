import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from './store.js';
import { insertTestMembers, storeFactories, type OpenedTestStore } from './test-stores.js';

const T0 = '2026-01-02T03:04:05.000Z';
const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

for (const factory of storeFactories) {
  describe(`portal queries on ${factory.name}`, () => {
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

    it('keeps sessions by the hash of their secret, touches them, and ends one, a person\'s all, or the expired ones', async () => {
      const session = (idHash: string, personId: string, accountId: number, created: number) => ({
        idHash,
        personId,
        accountId,
        createdAt: at(created),
        lastSeenAt: at(created),
        expiresAt: at(created + 720),
        address: '192.0.2.1',
        userAgent: null,
      });
      await store.transaction(async (tx) => {
        await tx.insertPortalSession(session('a1', 'P1', ann, 0));
        await tx.insertPortalSession(session('a2', 'P1', ann, 10));
        await tx.insertPortalSession(session('b1', 'P2', bo, 0));
      });
      expect(await store.read.getPortalSession('a1')).toEqual(session('a1', 'P1', ann, 0));
      expect((await store.read.listPortalSessions('P1')).map((s) => s.idHash)).toEqual(['a2', 'a1']);
      await expect(store.read.touchPortalSession('a1', at(5))).rejects.toThrow(/store.transaction/);
      await store.transaction((tx) => tx.touchPortalSession('a1', '2026-01-02T04:24:05+01:00'));
      expect((await store.read.getPortalSession('a1'))?.lastSeenAt).toBe(at(20));
      // Idle before minute 15: a2 (seen at 10) and b1 (0) go, a1 (seen at 20) stays.
      expect(await store.transaction((tx) => tx.deleteExpiredPortalSessions(at(30), at(15)))).toBe(2);
      expect((await store.read.listPortalSessions('P1')).map((s) => s.idHash)).toEqual(['a1']);
      // Past its absolute end, a session goes however recently it was seen.
      expect(await store.transaction((tx) => tx.deleteExpiredPortalSessions(at(720), at(0)))).toBe(1);
      await store.transaction(async (tx) => {
        await tx.insertPortalSession(session('c1', 'P1', ann, 0));
        await tx.insertPortalSession(session('c2', 'P1', ann, 1));
        await tx.insertPortalSession(session('c3', 'P2', bo, 1));
      });
      expect(await store.transaction((tx) => tx.deletePortalSession('c1'))).toBe(true);
      expect(await store.transaction((tx) => tx.deletePortalSession('c1'))).toBe(false);
      expect(await store.transaction((tx) => tx.deletePersonPortalSessions('P1'))).toBe(1);
      expect((await store.read.listPortalSessions('P2')).map((s) => s.idHash)).toEqual(['c3']);
    });

    it('counts failed attempts per key within a window, with the oldest, and forgets them', async () => {
      expect(await store.read.countPortalAttempts('login:username:ann', at(0))).toEqual({ count: 0, oldest: null });
      await store.transaction(async (tx) => {
        for (const m of [0, 5, 10]) await tx.recordPortalAttempt('login:username:ann', at(m));
        await tx.recordPortalAttempt('login:address:192.0.2.1', at(7));
      });
      expect(await store.read.countPortalAttempts('login:username:ann', at(0))).toEqual({ count: 3, oldest: at(0) });
      expect(await store.read.countPortalAttempts('login:username:ann', at(4))).toEqual({ count: 2, oldest: at(5) });
      expect(await store.transaction((tx) => tx.prunePortalAttempts(at(6)))).toBe(2);
      await store.transaction((tx) => tx.clearPortalAttempts('login:username:ann'));
      expect(await store.read.countPortalAttempts('login:username:ann', at(0))).toEqual({ count: 0, oldest: null });
      expect(await store.read.countPortalAttempts('login:address:192.0.2.1', at(0))).toEqual({ count: 1, oldest: at(7) });
    });

    it('keeps e-mail changes by their token hash, used once', async () => {
      const change = await store.transaction((tx) =>
        tx.insertPortalEmailChange({ tokenHash: 'h1', personId: 'P1', newAddress: 'ann@new.example', oldAddress: null, createdAt: at(0), expiresAt: at(60) }),
      );
      expect(await store.read.getPortalEmailChange('h1')).toEqual({ ...change, usedAt: null });
      await expect(store.transaction((tx) => tx.insertPortalEmailChange({ tokenHash: 'h1', personId: 'P2', newAddress: 'x@y.example', oldAddress: null, createdAt: at(0), expiresAt: at(60) }))).rejects.toThrow(/already exists/);
      expect(await store.transaction((tx) => tx.usePortalEmailChange(change.id, at(5)))).toBe(true);
      expect(await store.transaction((tx) => tx.usePortalEmailChange(change.id, at(6)))).toBe(false);
      expect((await store.read.getPortalEmailChange('h1'))?.usedAt).toBe(at(5));
    });

    it('lists the outbox messages sent to given addresses, newest first (the member page\'s "messages we sent you")', async () => {
      const message = (recipient: string | null, kind: string) => ({ kind, recipient, data: {}, dedupeKey: null, queuedAt: at(0) });
      await store.transaction((tx) => tx.enqueueMessages([message('ann@example.org', 'frozen'), message('bo@example.org', 'frozen'), message(null, 'frozen'), message('ann@school.example', 'unfrozen')]));
      const ann = await store.read.listMessages({ recipients: ['ann@example.org', 'ann@school.example'] });
      expect(ann.map((m) => [m.recipient, m.kind])).toEqual([['ann@school.example', 'unfrozen'], ['ann@example.org', 'frozen']]);
      expect(await store.read.listMessages({ recipients: ['ann@example.org', 'ann@school.example'], limit: 1 })).toHaveLength(1);
      expect(await store.read.listMessages({ recipients: [] })).toEqual([]);
      expect(await store.read.listMessages()).toHaveLength(4);
    });
  });
}
