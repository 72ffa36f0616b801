import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import type { NewStatusEvent, Store } from './store.js';
import { storeFactories, type OpenedTestStore } from './test-stores.js';

const T0 = '2026-03-01T12:00:00.000Z';
const T1 = '2026-03-01T13:00:00.000Z';
const T2 = '2026-03-02T09:30:00.000Z';

function incident(over: Partial<NewStatusEvent> = {}): NewStatusEvent {
  return {
    kind: 'incident',
    title: 'Mail delayed',
    impact: 'minor',
    state: 'investigating',
    components: ['shell', 'web/web'],
    scheduledStart: null,
    scheduledEnd: null,
    startedAt: T0,
    endedAt: null,
    createdAt: T0,
    createdBy: 'cli:alice',
    updatedAt: T0,
    ...over,
  };
}

for (const factory of storeFactories) {
  describe(`status queries on ${factory.name}`, () => {
    let opened: OpenedTestStore;
    let store: Store;

    beforeEach(async () => {
      opened = await factory.open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('keeps incidents and maintenance with their timelines; lists the open ones and those ended since a time', async () => {
      const a = await store.transaction(async (tx) => {
        const e = await tx.insertStatusEvent(incident());
        await tx.insertStatusUpdate({ eventId: e.id, at: T0, state: 'investigating', message: 'Looking into it.', author: 'cli:alice' });
        return e;
      });
      expect(a).toMatchObject({ kind: 'incident', components: ['shell', 'web/web'], startedAt: T0, endedAt: null });
      const m = await store.transaction((tx) =>
        tx.insertStatusEvent(incident({ kind: 'maintenance', title: 'Kernel upgrade', impact: 'maintenance', state: 'scheduled', components: ['shell'], scheduledStart: '2026-03-05T20:00:00+01:00', scheduledEnd: '2026-03-05T22:00:00+01:00', startedAt: null })),
      );
      expect(m.scheduledStart).toBe('2026-03-05T19:00:00.000Z');
      await store.transaction(async (tx) => {
        await tx.insertStatusUpdate({ eventId: a.id, at: T1, state: 'resolved', message: 'Fixed.\nThe queue is empty.', author: 'token:3(admin)' });
        await tx.updateStatusEvent(a.id, { state: 'resolved', endedAt: T1, updatedAt: T1 });
      });

      expect((await store.read.listStatusEvents({ openOnly: true })).map((e) => e.id)).toEqual([m.id]);
      expect((await store.read.listStatusEvents({ endedSince: T1 })).map((e) => e.id)).toEqual([m.id, a.id]);
      expect((await store.read.listStatusEvents({ endedSince: T2 })).map((e) => e.id)).toEqual([m.id]);
      expect((await store.read.listStatusEvents({ kind: 'incident' })).map((e) => e.id)).toEqual([a.id]);
      expect(await store.read.getStatusEvent(a.id)).toMatchObject({ state: 'resolved', endedAt: T1, updatedAt: T1 });
      expect(await store.read.getStatusEvent(9999)).toBeUndefined();

      const timeline = await store.read.listStatusUpdates([a.id, m.id]);
      expect(timeline.map((u) => [u.eventId, u.state, u.message])).toEqual([
        [a.id, 'investigating', 'Looking into it.'],
        [a.id, 'resolved', 'Fixed.\nThe queue is empty.'],
      ]);
      expect((await store.read.latestStatusUpdates(1)).map((u) => u.state)).toEqual(['resolved']);
      // Deleting an event takes its timeline with it (the foreign key cascades).
      await opened.raw.deleteFrom('status_events').where('id', '=', a.id).execute();
      expect(await store.read.listStatusUpdates([a.id])).toEqual([]);
    });

    it('keeps one override in force per component, and the cleared ones for the history', async () => {
      await store.transaction((tx) => tx.setStatusOverride({ component: 'shell', state: 'degraded', note: 'slow disks', setAt: T0, setBy: 'cli:alice' }));
      await store.transaction((tx) => tx.setStatusOverride({ component: 'shell', state: 'partial_outage', note: 'one disk gone', setAt: T1, setBy: 'cli:bob' }));
      const inForce = await store.read.listStatusOverrides();
      expect(inForce.map((o) => [o.component, o.state, o.note])).toEqual([['shell', 'partial_outage', 'one disk gone']]);
      expect(await store.transaction((tx) => tx.clearStatusOverride('shell', T2, 'cli:bob'))).toBe(true);
      expect(await store.transaction((tx) => tx.clearStatusOverride('shell', T2, 'cli:bob'))).toBe(false);
      expect(await store.read.listStatusOverrides()).toEqual([]);
      const history = await store.read.listStatusOverrides({ clearedSince: T0 });
      expect(history.map((o) => [o.state, o.setAt, o.clearedAt, o.clearedBy])).toEqual([
        ['degraded', T0, T1, 'cli:bob'],
        ['partial_outage', T1, T2, 'cli:bob'],
      ]);
    });

    it('keeps the worst level of a day, and an agent call only moves forward', async () => {
      await store.transaction(async (tx) => {
        await tx.raiseStatusDay('shell', '2026-03-01', 2);
        await tx.raiseStatusDay('shell', '2026-03-01', 1);
        await tx.raiseStatusDay('shell', '2026-03-02', 3);
        await tx.raiseStatusDay('web/web', '2026-02-27', 4);
      });
      expect(await store.read.listStatusDays('2026-03-01')).toEqual([
        { component: 'shell', day: '2026-03-01', level: 2 },
        { component: 'shell', day: '2026-03-02', level: 3 },
      ]);
      await expect(store.transaction((tx) => tx.raiseStatusDay('shell', 'yesterday', 1))).rejects.toThrow(RosterError);

      await store.transaction((tx) => tx.touchStatusContact('shell', T1));
      await store.transaction((tx) => tx.touchStatusContact('shell', T0));
      await store.transaction((tx) => tx.touchStatusContact('web', T2));
      expect(await store.read.listStatusContacts()).toEqual([
        { host: 'shell', lastSeenAt: T1 },
        { host: 'web', lastSeenAt: T2 },
      ]);
      expect(await store.read.getStatusContact('web')).toEqual({ host: 'web', lastSeenAt: T2 });
      expect(await store.read.getStatusContact('db')).toBeUndefined();
    });

    it('keeps subscribers by lower-cased address; a confirmation hash works once; expired sign-ups go', async () => {
      const s = await store.transaction((tx) => tx.insertStatusSubscriber({ address: 'Ann@Example.org', secret: 's1', createdAt: T0, confirmHash: 'h1', confirmExpiresAt: T1, confirmedAt: null }));
      expect(s.address).toBe('ann@example.org');
      await expect(store.transaction((tx) => tx.insertStatusSubscriber({ address: 'ann@example.ORG', secret: 's2', createdAt: T0, confirmHash: 'h2', confirmExpiresAt: T1, confirmedAt: null }))).rejects.toMatchObject({ code: 'conflict' });
      expect((await store.read.getStatusSubscriberByAddress('ANN@example.org'))?.id).toBe(s.id);
      expect((await store.read.getStatusSubscriberByConfirmHash('h1'))?.id).toBe(s.id);
      expect(await store.read.countStatusSubscribers()).toEqual({ confirmed: 0, pending: 1 });

      await store.transaction((tx) => tx.setStatusSubscriberConfirm(s.id, 'h3', T2));
      expect(await store.read.getStatusSubscriberByConfirmHash('h1')).toBeUndefined();
      expect(await store.transaction((tx) => tx.confirmStatusSubscriber(s.id, 'h1', T1))).toBe(false);
      expect(await store.transaction((tx) => tx.confirmStatusSubscriber(s.id, 'h3', T1))).toBe(true);
      expect(await store.transaction((tx) => tx.confirmStatusSubscriber(s.id, 'h3', T1))).toBe(false);
      expect(await store.read.getStatusSubscriber(s.id)).toMatchObject({ confirmedAt: T1, confirmHash: null, confirmExpiresAt: null });

      const b = await store.transaction((tx) => tx.insertStatusSubscriber({ address: 'bo@example.org', secret: 's4', createdAt: T0, confirmHash: 'h4', confirmExpiresAt: T1, confirmedAt: null }));
      expect(await store.read.countStatusSubscribers()).toEqual({ confirmed: 1, pending: 1 });
      expect((await store.read.listConfirmedStatusSubscribers(0, 10)).map((x) => x.address)).toEqual(['ann@example.org']);
      // Bo's link expired at T1: gone at T2; Ann, confirmed, stays.
      expect(await store.transaction((tx) => tx.deleteExpiredStatusSubscribers(T0))).toBe(0);
      expect(await store.transaction((tx) => tx.deleteExpiredStatusSubscribers(T2))).toBe(1);
      expect(await store.read.getStatusSubscriber(b.id)).toBeUndefined();
      expect(await store.transaction((tx) => tx.deleteStatusSubscriber(s.id))).toBe(true);
      expect(await store.read.countStatusSubscribers()).toEqual({ confirmed: 0, pending: 0 });
    });

    it('refuses writes outside a transaction', async () => {
      await expect(store.read.touchStatusContact('shell', T0)).rejects.toMatchObject({ code: 'internal' });
    });
  });
}
