import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Person } from '../domain/person.js';
import type { NewAccount, Queries, Store } from './store.js';
import { storeFactories, type OpenedTestStore } from './test-stores.js';

const T0 = '2026-01-02T03:04:05.000Z';
const RANGE = { min: 10_000, max: 19_999 };

function person(id: string): Person {
  return { id, source: 'manual', firstName: 'Kim', lastName: id, roles: ['MEMBER'], classes: [], campuses: [], majors: [], emails: {}, verification: {}, createdAt: T0, updatedAt: T0 };
}

function account(personId: string, type: string, username: string, uid: number, purgedAt: string | null = null): NewAccount {
  return {
    personId, type, username, uid, gid: uid, primaryGroup: username, gecos: 'Kim', shell: '/bin/bash', home: `/home/${username}`,
    passwordHash: null, principal: null, groups: [], expiresAt: null, purgeAt: null, purgedAt, pending: false, createdAt: T0, updatedAt: T0,
  };
}

/** The bulk reads createAccounts checks a batch with, on both dialects. */
describe.each(storeFactories)('account batch queries on $name', (factory) => {
  let opened: OpenedTestStore;
  let store: Store;
  const tx = <T>(fn: (q: Queries) => Promise<T>): Promise<T> => store.transaction(fn);

  beforeEach(async () => {
    opened = await factory.open();
    store = opened.store;
    await tx(async (q) => {
      await q.putPeople([person('A'), person('B'), person('C')]);
      await q.insertAccounts([account('B', 'member', 'bee', 10_005), account('A', 'member', 'old', 10_001, T0), account('A', 'student', 'ay', 10_002)]);
      await q.putHold((await q.getAccount('ay'))?.id ?? 0, { kind: 'freeze', reason: 'test', since: T0, note: null, setBy: 'test' });
      await q.allocateUid('ay', 'A', RANGE, T0);
      await q.allocateUid('old', 'A', RANGE, T0);
      await q.allocateUid('cee', 'C', RANGE, T0);
    });
  });
  afterEach(async () => {
    await opened.cleanup();
  });

  it('accountsOfPeople returns every account of the people, tombstones and holds included, in id order', async () => {
    const found = await store.read.accountsOfPeople(['A', 'C', 'A', 'nobody']);
    expect(found.map((a) => [a.username, a.purgedAt, a.holds.map((h) => h.kind)])).toEqual([['old', T0, []], ['ay', null, ['freeze']]]);
    expect(found[0]?.id).toBeLessThan(found[1]?.id ?? 0);
    expect(await store.read.accountsOfPeople([])).toEqual([]);
    const many = await store.read.accountsOfPeople([...Array.from({ length: 1_200 }, (_, i) => `X${i}`), 'B']);
    expect(many.map((a) => a.username)).toEqual(['bee']);
  });

  it('accountsByUsernames matches names exactly, in id order', async () => {
    const found = await store.read.accountsByUsernames(['ay', 'BEE', 'old', 'bee', 'none']);
    expect(found.map((a) => a.username)).toEqual(['bee', 'old', 'ay']);
    expect(found.find((a) => a.username === 'ay')?.holds).toHaveLength(1);
    expect(await store.read.accountsByUsernames([])).toEqual([]);
  });

  it('reservationsOfPeople lists each person\'s reservations in UID order', async () => {
    const found = await store.read.reservationsOfPeople(['C', 'A', 'nobody']);
    expect(found.map((r) => [r.personId, r.username])).toEqual([['A', 'ay'], ['A', 'old'], ['C', 'cee']]);
    expect(found.map((r) => r.uid)).toEqual([...found.map((r) => r.uid)].sort((x, y) => x - y));
    expect(await store.read.reservationsOfPeople([])).toEqual([]);
  });
});
