import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewChangelogEntry, Store } from './store.js';
import { storeFactories, type OpenedTestStore } from './test-stores.js';

const CREATED = '2026-05-01T00:00:00.000Z';

function entry(host: string, at: string, text: string, over: Partial<NewChangelogEntry> = {}): NewChangelogEntry {
  return { host, at, author: 'alice', text, public: false, source: 'cli', ref: null, createdAt: CREATED, ...over };
}

for (const factory of storeFactories) {
  describe(`changelog queries on ${factory.name}`, () => {
    let opened: OpenedTestStore;
    let store: Store;

    beforeEach(async () => {
      opened = await factory.open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('stores entries and lists them by time, then id, filtered by host, time window, public and id', async () => {
      const added = await store.transaction(async (tx) => [
        await tx.addChangelogEntry(entry('shell', '2026-04-02T10:00:00+02:00', 'Upgraded nginx to 1.26\nand reloaded it.')),
        await tx.addChangelogEntry(entry('web', '2026-04-01T09:00:00Z', 'Rotated the TLS certificate.', { public: true, source: 'api', author: 'token:3(admin)' })),
        // Backdated: a hand-written entry stored later, about an earlier time.
        await tx.addChangelogEntry(entry('shell', '2026-03-30T23:59:59.999Z', 'Purged mailboxes over 5 GB.', { public: true, source: 'host-file', ref: 'sha256:abc' })),
        await tx.addChangelogEntry(entry('shell', '2026-04-02T08:00:00.000Z', 'applied revision 1a2b3c: 1 change — unix: freeze bob', { author: 'roster', source: 'apply', ref: 'report:7' })),
      ]);
      expect(added[0]).toEqual({ id: added[0]?.id, host: 'shell', at: '2026-04-02T08:00:00.000Z', author: 'alice', text: 'Upgraded nginx to 1.26\nand reloaded it.', public: false, source: 'cli', ref: null });
      const ids = added.map((e) => e.id) as [number, number, number, number];
      expect(new Set(ids).size).toBe(4);

      // Same `at` on one host: the entry stored first comes first.
      expect((await store.read.listChangelog()).map((e) => e.text.slice(0, 12))).toEqual(['Purged mailb', 'Rotated the ', 'Upgraded ngi', 'applied revi']);
      expect((await store.read.listChangelog({ host: 'shell' })).map((e) => e.source)).toEqual(['host-file', 'cli', 'apply']);
      expect((await store.read.listChangelog({ since: '2026-04-01T09:00:00Z', until: '2026-04-02T08:00:00Z' })).map((e) => e.host)).toEqual(['web']);
      expect((await store.read.listChangelog({ publicOnly: true })).map((e) => e.host)).toEqual(['shell', 'web']);
      expect((await store.read.listChangelog({ host: 'shell', afterId: ids[0] })).map((e) => e.id)).toEqual([ids[2], ids[3]]);
      expect((await store.read.listChangelog({ limit: 1 })).map((e) => e.id)).toEqual([ids[2]]);
      // Keyset pages in time order: after an entry, the later ones and those stored later at the same time.
      const [, b, c, d] = await store.read.listChangelog();
      const key = (e: typeof b): { at: string; id: number } => ({ at: e?.at ?? '', id: e?.id ?? 0 });
      expect((await store.read.listChangelog({ after: key(b), limit: 1 })).map((e) => e.id)).toEqual([ids[0]]);
      expect((await store.read.listChangelog({ after: key(b) })).map((e) => e.id)).toEqual([ids[0], ids[3]]);
      expect((await store.read.listChangelog({ after: key(c) })).map((e) => e.id)).toEqual([ids[3]]);
      expect(await store.read.listChangelog({ after: key(d) })).toEqual([]);
      // Pages in the order entries were stored, whatever their time: how an agent catches up.
      expect((await store.read.listChangelog({ host: 'shell', order: 'stored', limit: 2 })).map((e) => e.id)).toEqual([ids[0], ids[2]]);
      expect((await store.read.listChangelog({ host: 'shell', order: 'stored', afterId: ids[2], limit: 2 })).map((e) => e.id)).toEqual([ids[3]]);
      expect(await store.read.listChangelog({ host: 'mail' })).toEqual([]);
    });

    it('finds an entry by its ref, says which id is newest per host, and refuses a ref twice on the same host and source', async () => {
      expect(await store.read.changelogHead('shell')).toBe(0);
      const first = await store.transaction((tx) => tx.addChangelogEntry(entry('shell', '2026-04-01T00:00:00Z', 'by hand', { source: 'host-file', ref: 'sha256:1' })));
      const other = await store.transaction((tx) => tx.addChangelogEntry(entry('web', '2026-04-01T00:00:00Z', 'by hand', { source: 'host-file', ref: 'sha256:1' })));
      expect(await store.read.changelogHead('shell')).toBe(first.id);
      expect(await store.read.changelogHead('web')).toBe(other.id);
      expect(await store.read.findChangelogByRef('shell', 'host-file', 'sha256:1')).toEqual(first);
      expect(await store.read.findChangelogByRef('shell', 'apply', 'sha256:1')).toBeUndefined();
      await expect(store.transaction((tx) => tx.addChangelogEntry(entry('shell', '2026-04-02T00:00:00Z', 'again', { source: 'host-file', ref: 'sha256:1' })))).rejects.toMatchObject({ code: 'conflict' });
      // Entries without a ref never collide.
      await store.transaction(async (tx) => {
        await tx.addChangelogEntry(entry('shell', '2026-04-01T00:00:00Z', 'same'));
        await tx.addChangelogEntry(entry('shell', '2026-04-01T00:00:00Z', 'same'));
      });
      expect((await store.read.listChangelog({ host: 'shell' })).length).toBe(3);
    });

    it('refuses what is not a time, a source it does not know, and writes outside a transaction', async () => {
      await expect(store.transaction((tx) => tx.addChangelogEntry(entry('shell', 'yesterday', 'x')))).rejects.toThrow(/changelog at is not an ISO 8601 time/);
      await expect(store.read.listChangelog({ since: 'last week' })).rejects.toThrow(/changelog since/);
      await expect(store.transaction((tx) => tx.addChangelogEntry(entry('shell', '2026-04-01T00:00:00Z', 'x', { source: 'mail' as 'cli' })))).rejects.toThrow();
      await expect(store.read.addChangelogEntry(entry('shell', '2026-04-01T00:00:00Z', 'x'))).rejects.toThrow(/addChangelogEntry changes the database/);
      expect(await store.read.listChangelog()).toEqual([]);
    });
  });
}
