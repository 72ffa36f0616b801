import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewWatchReport, Store } from './store.js';
import { storeFactories, type OpenedTestStore } from './test-stores.js';

function report(host: string, reportId: string, madeAt: string, over: Partial<NewWatchReport> = {}): NewWatchReport {
  return { host, reportId, madeAt, receivedAt: '2026-05-01T12:00:00.000Z', actor: 'token:4(agent)', files: 2, unexplained: 1, packages: 0, report: { id: reportId, files: [{ path: '/etc/hosts' }] }, ...over };
}

for (const factory of storeFactories) {
  describe(`watch report queries on ${factory.name}`, () => {
    let opened: OpenedTestStore;
    let store: Store;

    beforeEach(async () => {
      opened = await factory.open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('stores reports, lists them newest first by host with keyset pages, and finds one by its host id', async () => {
      const [a, b, c] = await store.transaction(async (tx) => [
        await tx.insertWatchReport(report('shell', '20260501-100000-aaaaaa', '2026-05-01T12:00:00+02:00')),
        await tx.insertWatchReport(report('web', '20260501-110000-bbbbbb', '2026-05-01T11:00:00Z', { files: 7, unexplained: 0, packages: 3 })),
        await tx.insertWatchReport(report('shell', '20260501-120000-cccccc', '2026-05-01T12:00:00Z')),
      ]);
      expect(a).toEqual({ id: a.id, host: 'shell', reportId: '20260501-100000-aaaaaa', madeAt: '2026-05-01T10:00:00.000Z', receivedAt: '2026-05-01T12:00:00.000Z', actor: 'token:4(agent)', files: 2, unexplained: 1, packages: 0, report: { id: '20260501-100000-aaaaaa', files: [{ path: '/etc/hosts' }] } });
      expect((await store.read.listWatchReports()).map((r) => r.reportId)).toEqual([c.reportId, b.reportId, a.reportId]);
      expect((await store.read.listWatchReports({ host: 'shell' })).map((r) => r.id)).toEqual([c.id, a.id]);
      expect((await store.read.listWatchReports({ host: 'shell', beforeId: c.id, limit: 5 })).map((r) => r.id)).toEqual([a.id]);
      expect((await store.read.listWatchReports({ limit: 1 })).map((r) => r.id)).toEqual([c.id]);
      expect(await store.read.findWatchReport('web', '20260501-110000-bbbbbb')).toMatchObject({ files: 7, unexplained: 0, packages: 3 });
      expect(await store.read.findWatchReport('shell', '20260501-110000-bbbbbb')).toBeUndefined();
    });

    it('refuses a second report of the same id on the same host; another host may use it', async () => {
      await store.transaction((tx) => tx.insertWatchReport(report('shell', 'r1', '2026-05-01T10:00:00Z')));
      await expect(store.transaction((tx) => tx.insertWatchReport(report('shell', 'r1', '2026-05-01T10:00:00Z')))).rejects.toThrow();
      await store.transaction((tx) => tx.insertWatchReport(report('web', 'r1', '2026-05-01T10:00:00Z')));
      expect(await store.read.listWatchReports()).toHaveLength(2);
      await expect(store.read.insertWatchReport(report('web', 'r2', '2026-05-01T10:00:00Z'))).rejects.toThrow(/insertWatchReport/);
    });
  });
}
