import { CompiledQuery, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { purgeCandidatesQuery } from './queries/account-queries.js';
import { storeFactories, type OpenedTestStore } from './test-stores.js';

const NOW = '2026-11-23T12:00:00.000Z';

/**
 * DESIGN.md §3 "Purge": candidates come through an index, never a full scan.
 * These tests EXPLAIN the exact query purgeCandidates runs.
 */
describe.each(storeFactories)('purge candidates index on $name', (factory) => {
  let opened: OpenedTestStore;

  beforeEach(async () => {
    opened = await factory.open();
    await opened.store.transaction(async (q) => {
      const t = '2026-01-01T00:00:00.000Z';
      await q.putPerson({ id: 'P', source: 'manual', firstName: 'A', lastName: 'B', roles: [], classes: [], campuses: [], majors: [], emails: {}, verification: {}, createdAt: t, updatedAt: t });
      for (let i = 0; i < 300; i++) {
        const purgeAt = i % 10 === 0 ? '2026-11-01T00:00:00.000Z' : i % 3 === 0 ? '2027-01-01T00:00:00.000Z' : null;
        await q.insertAccount({
          personId: 'P', type: 'member', username: `u${i}`, uid: 1_000 + i, gid: 1_000 + i, primaryGroup: `u${i}`, gecos: '', shell: '/bin/sh', home: `/home/u${i}`,
          passwordHash: null, principal: null, groups: [], expiresAt: null, purgeAt, purgedAt: i % 20 === 0 ? t : null, pending: false, createdAt: t, updatedAt: t,
        });
      }
    });
  });
  afterEach(async () => {
    await opened.cleanup();
  });

  it('finds the due live accounts', async () => {
    expect(await opened.store.read.purgeCandidates(NOW)).toHaveLength(15);
  });

  for (const limit of [undefined, 100]) {
    it(`answers from the partial index accounts_purge_due${limit === undefined ? '' : ' with a limit'}`, async () => {
      const query = purgeCandidatesQuery(opened.raw, NOW, limit).compile();
      if (factory.name === 'sqlite') {
        const plan = await opened.raw.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
        const details = plan.rows.map((r) => r.detail);
        expect(details.join(' | ')).toMatch(/accounts_purge_due/);
        for (const d of details) {
          expect(d).not.toMatch(/^SCAN accounts$/);
          expect(d).not.toMatch(/TEMP B-TREE/);
        }
      } else {
        const plan = await opened.raw.connection().execute(async (conn) => {
          // A 300-row table is cheaper to scan; forbid that to see which index the planner can use.
          await sql`set enable_seqscan = off`.execute(conn);
          return conn.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]));
        });
        const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(text).toMatch(/Index (Only )?Scan using accounts_purge_due/);
        expect(text).not.toMatch(/Seq Scan/);
      }
    });
  }
});
