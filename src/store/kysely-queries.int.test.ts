import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Account, Hold } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import type { NewAccount, Queries, Store } from './store.js';
import { storeFactories, type OpenedTestStore } from './test-stores.js';

const T0 = '2026-01-02T03:04:05.000Z';
const T1 = '2026-02-03T04:05:06.000Z';
const RANGE = { min: 10_000, max: 10_009 };

function person(id: string, over: Partial<Person> = {}): Person {
  return {
    id,
    source: 'manual',
    firstName: 'Søren',
    lastName: 'Vette',
    roles: ['MEMBER', 'STAFF'],
    classes: ['01:198:111 (2026 fall)'],
    campuses: ['Busch'],
    majors: [],
    emails: { MEMBER: `${id.toLowerCase()}@example.org` },
    verification: { studentNumber: 'ab'.repeat(32) },
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

function account(personId: string, username: string, uid: number, over: Partial<NewAccount> = {}): NewAccount {
  return {
    personId,
    type: 'member',
    username,
    uid,
    gid: uid,
    primaryGroup: username,
    gecos: 'Søren Vette',
    shell: '/bin/bash',
    home: `/home/${username}`,
    passwordHash: '$y$j9T$salt$hash',
    principal: null,
    groups: ['users', 'staff'],
    expiresAt: null,
    purgeAt: null,
    purgedAt: null,
    pending: false,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

const freeze: Hold = { kind: 'freeze', reason: 'billing', since: T0, note: 'balance runs out', setBy: 'job:billing' };
const retired: Hold = { kind: 'retired', reason: 'admin', since: T1, note: null, setBy: 'cli:root' };

async function rejection(p: Promise<unknown>): Promise<RosterError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RosterError) return e;
    throw e;
  }
  throw new Error('expected a RosterError, but the call succeeded');
}

describe.each(storeFactories)('store queries on $name', (factory) => {
  let opened: OpenedTestStore;
  let store: Store;
  const tx = <T>(fn: (q: Queries) => Promise<T>): Promise<T> => store.transaction(fn);

  beforeEach(async () => {
    opened = await factory.open();
    store = opened.store;
  });
  afterEach(async () => {
    await opened.cleanup();
  });

  describe('people', () => {
    it('round-trips every field, JSON lists and maps included', async () => {
      const p = person('S1', { majors: ['Math', 'Ω physics'], emails: { STUDENT: 's1@example.edu', STAFF: 's1@staff.example.edu' } });
      await tx((q) => q.putPerson(p));
      expect(await store.read.getPerson('S1')).toEqual(p);
      expect(await store.read.getPerson('nobody')).toBeUndefined();
    });

    it('putPerson replaces by id', async () => {
      await tx((q) => q.putPerson(person('S1')));
      const changed = person('S1', { lastName: 'Other', roles: [], emails: {}, updatedAt: T1 });
      await tx((q) => q.putPerson(changed));
      expect(await store.read.getPerson('S1')).toEqual(changed);
      expect(await store.read.listPeople()).toHaveLength(1);
    });

    it('normalises times to toISOString form', async () => {
      await tx((q) => q.putPerson(person('S1', { createdAt: '2026-01-02T04:04:05+01:00' })));
      expect((await store.read.getPerson('S1'))?.createdAt).toBe(T0);
      await expect(tx((q) => q.putPerson(person('S2', { createdAt: 'yesterday' })))).rejects.toMatchObject({ code: 'bad_input' });
    });

    it('lists by source with keyset pages in bytewise id order', async () => {
      await tx(async (q) => {
        for (const id of ['b', 'A', 'a', 'C', 'c']) await q.putPerson(person(id, { source: id === 'C' ? 'scim' : 'manual' }));
      });
      expect((await store.read.listPeople()).map((p) => p.id)).toEqual(['A', 'C', 'a', 'b', 'c']);
      expect((await store.read.listPeople({ source: 'manual' })).map((p) => p.id)).toEqual(['A', 'a', 'b', 'c']);
      expect((await store.read.listPeople({ afterId: 'C', limit: 2 })).map((p) => p.id)).toEqual(['a', 'b']);
      expect((await store.read.listPeople({ source: 'scim', afterId: 'C' })).map((p) => p.id)).toEqual([]);
    });
  });

  describe('accounts', () => {
    beforeEach(async () => {
      await tx(async (q) => {
        await q.putPerson(person('P1'));
        await q.putPerson(person('P2'));
      });
    });

    it('insertAccount returns the stored account and it round-trips', async () => {
      const fields = account('P1', 'alice', 10_000, { principal: 'alice@EXAMPLE.ORG', passwordHash: null, pending: true, expiresAt: T1, purgeAt: T1 });
      const inserted = await tx((q) => q.insertAccount(fields));
      expect(inserted).toEqual({ ...fields, id: inserted.id, holds: [] });
      expect(await store.read.getAccount('alice')).toEqual(inserted);
      expect(await store.read.getAccountById(inserted.id)).toEqual(inserted);
      expect(await store.read.getAccountById(inserted.id + 1000)).toBeUndefined();
    });

    it('getAccount is an exact, case-sensitive match', async () => {
      await tx((q) => q.insertAccount(account('P1', 'alice', 10_000)));
      expect(await store.read.getAccount('Alice')).toBeUndefined();
      expect(await store.read.getAccount('alice ')).toBeUndefined();
    });

    it('loads holds with the account; putHold upserts by (kind, reason); removeHold lifts one', async () => {
      const a = await tx((q) => q.insertAccount(account('P1', 'alice', 10_000)));
      await tx(async (q) => {
        await q.putHold(a.id, freeze);
        await q.putHold(a.id, retired);
        await q.putHold(a.id, { ...freeze, reason: 'admin', note: null });
      });
      const loaded = await store.read.getAccount('alice');
      expect(loaded?.holds).toEqual([{ ...freeze, reason: 'admin', note: null }, freeze, retired]);
      await tx((q) => q.putHold(a.id, { ...freeze, note: 'updated', since: T1 }));
      await tx((q) => q.removeHold(a.id, 'freeze', 'admin'));
      expect((await store.read.getAccountById(a.id))?.holds).toEqual([{ ...freeze, note: 'updated', since: T1 }, retired]);
      expect((await store.read.listAccounts())[0]?.holds).toHaveLength(2);
      await expect(tx((q) => q.putHold(a.id + 99, freeze))).rejects.toMatchObject({ code: 'not_found' });
    });

    it('updateAccount applies only the given fields, including nulls', async () => {
      const a = await tx((q) => q.insertAccount(account('P1', 'alice', 10_000, { expiresAt: T1, principal: 'p' })));
      await tx((q) => q.updateAccount(a.id, { shell: '/bin/zsh', groups: ['x'], expiresAt: null, purgeAt: T1, pending: true, updatedAt: T1 }));
      const after = await store.read.getAccount('alice');
      expect(after).toEqual({ ...a, shell: '/bin/zsh', groups: ['x'], expiresAt: null, purgeAt: T1, pending: true, updatedAt: T1 });
      await tx((q) => q.updateAccount(a.id, {}));
      expect(await store.read.getAccount('alice')).toEqual(after);
      await expect(tx((q) => q.updateAccount(a.id + 99, { shell: '/bin/sh' }))).rejects.toMatchObject({ code: 'not_found' });
      await expect(tx((q) => q.updateAccount(a.id + 99, {}))).rejects.toMatchObject({ code: 'not_found' });
    });

    it('unique username (also without regard to case) and UID give conflict naming the value', async () => {
      await tx((q) => q.insertAccount(account('P1', 'alice', 10_000)));
      const dupName = await rejection(tx((q) => q.insertAccount(account('P2', 'alice', 10_001))));
      expect(dupName.code).toBe('conflict');
      expect(dupName.message).toContain('alice');
      const dupCase = await rejection(tx((q) => q.insertAccount(account('P2', 'ALICE', 10_001))));
      expect(dupCase.code).toBe('conflict');
      expect(dupCase.message).toContain('ALICE');
      const dupUid = await rejection(tx((q) => q.insertAccount(account('P2', 'bob', 10_000))));
      expect(dupUid.code).toBe('conflict');
      expect(dupUid.message).toContain('10000');
      const b = await tx((q) => q.insertAccount(account('P2', 'bob', 10_001)));
      const rename = await rejection(tx((q) => q.updateAccount(b.id, { username: 'Alice' })));
      expect(rename.code).toBe('conflict');
      expect(rename.message).toContain('Alice');
      expect(await store.read.countAccounts()).toBe(2);
    });

    it('an account of an unknown person is not_found', async () => {
      const e = await rejection(tx((q) => q.insertAccount(account('nobody', 'zed', 10_005))));
      expect(e.code).toBe('not_found');
      expect(e.message).toContain('nobody');
    });

    it('lists by id with filters, keyset pages and tombstones on request; counts alike', async () => {
      const ids = await tx(async (q) => {
        const out: Account[] = [];
        out.push(await q.insertAccount(account('P1', 'a1', 10_000)));
        out.push(await q.insertAccount(account('P1', 'a2', 10_001, { type: 'shell' })));
        out.push(await q.insertAccount(account('P2', 'a3', 10_002, { purgedAt: T1 })));
        out.push(await q.insertAccount(account('P2', 'a4', 10_003)));
        return out.map((a) => a.id);
      });
      const names = (as: readonly Account[]): string[] => as.map((a) => a.username);
      expect(names(await store.read.listAccounts())).toEqual(['a1', 'a2', 'a4']);
      expect(names(await store.read.listAccounts({ includePurged: true }))).toEqual(['a1', 'a2', 'a3', 'a4']);
      expect(names(await store.read.listAccounts({ type: 'member' }))).toEqual(['a1', 'a4']);
      expect(names(await store.read.listAccounts({ personId: 'P2', includePurged: true }))).toEqual(['a3', 'a4']);
      expect(names(await store.read.listAccounts({ afterId: ids[0] ?? 0, limit: 1 }))).toEqual(['a2']);
      expect(names(await store.read.listAccounts({ afterId: ids[1] ?? 0, limit: 5, includePurged: true }))).toEqual(['a3', 'a4']);
      expect(await store.read.countAccounts()).toBe(3);
      expect(await store.read.countAccounts({ includePurged: true })).toBe(4);
      expect(await store.read.countAccounts({ type: 'shell' })).toBe(1);
    });

    it('loads holds for pages larger than one IN list', async () => {
      const n = 1_203;
      await tx(async (q) => {
        for (let i = 0; i < n; i++) {
          const a = await q.insertAccount(account('P1', `u${i}`, 20_000 + i));
          if (i % 2 === 0) await q.putHold(a.id, freeze);
        }
      });
      const all = await store.read.listAccounts();
      expect(all).toHaveLength(n);
      expect(all.filter((a) => a.holds.length === 1)).toHaveLength(Math.ceil(n / 2));
    });

    it('purgeCandidates: live accounts with purgeAt <= now, in purgeAt order', async () => {
      await tx(async (q) => {
        await q.insertAccount(account('P1', 'late', 10_000, { purgeAt: '2026-03-01T00:00:00.000Z' }));
        await q.insertAccount(account('P1', 'due2', 10_001, { purgeAt: '2026-02-01T00:00:00.000Z' }));
        await q.insertAccount(account('P1', 'due1', 10_002, { purgeAt: '2026-01-01T00:00:00.000Z' }));
        await q.insertAccount(account('P1', 'gone', 10_003, { purgeAt: '2026-01-01T00:00:00.000Z', purgedAt: T0 }));
        await q.insertAccount(account('P1', 'never', 10_004));
        await q.insertAccount(account('P1', 'exact', 10_005, { purgeAt: '2026-02-15T00:00:00.000Z' }));
      });
      const due = await store.read.purgeCandidates('2026-02-15T00:00:00.000Z');
      expect(due.map((c) => c.username)).toEqual(['due1', 'due2', 'exact']);
      expect(due[0]?.purgeAt).toBe('2026-01-01T00:00:00.000Z');
      expect((await store.read.purgeCandidates('2026-02-15T00:00:00.000Z', 1)).map((c) => c.username)).toEqual(['due1']);
      expect(await store.read.purgeCandidates('2025-12-31T23:59:59.999Z')).toEqual([]);
      // A time with an offset is compared as the instant it names.
      expect((await store.read.purgeCandidates('2026-02-15T01:00:00+01:00')).map((c) => c.username)).toEqual(['due1', 'due2', 'exact']);
    });
  });

  describe('reservations and UIDs', () => {
    it('allocates from range.min upward and records a reservation', async () => {
      const a = await tx((q) => q.allocateUid('alice', 'P1', RANGE, T0));
      const b = await tx((q) => q.allocateUid('bob', 'P2', RANGE, T1));
      expect([a, b]).toEqual([10_000, 10_001]);
      expect(await store.read.getReservation('alice')).toEqual({ username: 'alice', uid: 10_000, personId: 'P1', createdAt: T0 });
      expect(await store.read.getReservation('Alice')).toBeUndefined();
      expect(await store.read.reservationsOfPerson('P2')).toEqual([{ username: 'bob', uid: 10_001, personId: 'P2', createdAt: T1 }]);
      expect((await store.read.listReservations()).map((r) => r.username)).toEqual(['alice', 'bob']);
    });

    it('returns the reserved UID to its person and refuses it to anyone else', async () => {
      await tx((q) => q.allocateUid('alice', 'P1', RANGE, T0));
      expect(await tx((q) => q.allocateUid('alice', 'P1', RANGE, T1))).toBe(10_000);
      const other = await rejection(tx((q) => q.allocateUid('alice', 'P2', RANGE, T1)));
      expect(other.code).toBe('conflict');
      expect(other.message).toContain('alice');
      expect((await rejection(tx((q) => q.allocateUid('ALICE', 'P1', RANGE, T1)))).code).toBe('conflict');
      expect(await store.read.listReservations()).toHaveLength(1);
    });

    it('never reuses a UID, even after its reservation is deleted', async () => {
      await tx(async (q) => {
        await q.allocateUid('a', 'P1', RANGE, T0);
        await q.allocateUid('b', 'P1', RANGE, T0);
      });
      expect(await tx((q) => q.deleteReservations(['a', 'b', 'missing']))).toBe(2);
      expect(await tx((q) => q.deleteReservations([]))).toBe(0);
      expect(await tx((q) => q.allocateUid('c', 'P1', RANGE, T0))).toBe(10_002);
      // A re-created name gets a new number too.
      expect(await tx((q) => q.allocateUid('a', 'P1', RANGE, T0))).toBe(10_003);
    });

    it('skips UIDs held by accounts or reservations above the high-water mark', async () => {
      await tx(async (q) => {
        await q.putPerson(person('P1'));
        await q.insertAccount(account('P1', 'manual', 10_000));
        await q.insertAccount(account('P1', 'manual2', 10_002, { gid: 5 }));
      });
      expect(await tx((q) => q.allocateUid('x', 'P1', RANGE, T0))).toBe(10_001);
      expect(await tx((q) => q.allocateUid('y', 'P1', RANGE, T0))).toBe(10_003);
    });

    it('a rolled-back allocation leaves nothing behind', async () => {
      await expect(
        tx(async (q) => {
          await q.allocateUid('a', 'P1', RANGE, T0);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.read.listReservations()).toEqual([]);
      expect(await tx((q) => q.allocateUid('a', 'P1', RANGE, T0))).toBe(10_000);
    });

    it('reports an exhausted range as bad_input', async () => {
      const small = { min: 500, max: 501 };
      await tx(async (q) => {
        await q.allocateUid('a', 'P1', small, T0);
        await q.allocateUid('b', 'P1', small, T0);
      });
      const e = await rejection(tx((q) => q.allocateUid('c', 'P1', small, T0)));
      expect(e.code).toBe('bad_input');
      expect(e.message).toBe('UID range 500–501 is exhausted');
      // The reserved ones still come back to their person.
      expect(await tx((q) => q.allocateUid('b', 'P1', small, T0))).toBe(501);
    });

    it('continues above the high-water mark when the range moves up, never down', async () => {
      await tx((q) => q.allocateUid('a', 'P1', RANGE, T0));
      expect(await tx((q) => q.allocateUid('b', 'P1', { min: 50_000, max: 60_000 }, T0))).toBe(50_000);
      expect(await tx((q) => q.allocateUid('c', 'P1', RANGE, T0)).catch((e: unknown) => e)).toMatchObject({ code: 'bad_input' });
      expect(await tx((q) => q.allocateUid('d', 'P1', { min: 1, max: 100_000 }, T0))).toBe(50_001);
    });

    it('idsInUse gives where allocation starts and the numbers it skips from there, as allocation hands them out', async () => {
      expect(await store.read.idsInUse('uid', RANGE)).toEqual({ from: 10_000, used: [] });
      await tx(async (q) => {
        await q.putPerson(person('P1'));
        await q.allocateUids([{ username: 'a', personId: 'P1' }, { username: 'b', personId: 'P1' }], RANGE, T0);
        // Above the mark: an account without a reservation, a group (whose GID is not a UID), and a UID that is both.
        await q.insertAccount(account('P1', 'manual', 10_005, { gid: 10_007 }));
        await q.insertGroup({ name: 'staff', gid: 10_008, description: '', members: [], createdAt: T0 });
        await q.insertGroup({ name: 'lab', gid: 10_005, description: '', members: [], createdAt: T0 });
        await q.allocateUid('c', 'P1', { min: 10_005, max: 10_009 }, T0);
      });
      // The mark is 10_006 now (c); 10_005 is below it and the account's gid 10_007 is no UID.
      expect(await store.read.idsInUse('uid', RANGE)).toEqual({ from: 10_007, used: [] });
      expect(await store.read.idsInUse('uid', { min: 10_000, max: 10_006 })).toEqual({ from: 10_007, used: [] });
      // GIDs: no GID was allocated, so from the range's start: a, b and c have no account, manual's gid and the groups' count once each.
      expect(await store.read.idsInUse('gid', RANGE)).toEqual({ from: 10_000, used: [10_005, 10_007, 10_008] });
      expect(await store.read.idsInUse('gid', { min: 10_006, max: 10_009 })).toEqual({ from: 10_006, used: [10_007, 10_008] });
      // What allocation then hands out is exactly what idsInUse leaves free.
      expect(await tx((q) => q.allocateGid(RANGE))).toBe(10_000);
      expect(await tx((q) => q.allocateGid({ min: 10_006, max: 10_009 }))).toBe(10_006);
      expect(await tx((q) => q.allocateGid(RANGE))).toBe(10_009);
      expect(await store.read.idsInUse('gid', RANGE)).toEqual({ from: 10_010, used: [] });
      await expect(store.read.idsInUse('uid', { min: 5, max: 4 })).rejects.toThrow(RosterError);
    });

    it('idsInUse lists numbers given by hand above the mark, each once', async () => {
      await tx(async (q) => {
        await q.putPerson(person('P1'));
        // Two accounts of a named primary group share its GID.
        await q.insertGroup({ name: 'students', gid: 10_002, description: '', members: [], createdAt: T0 });
        await q.insertAccount(account('P1', 'x', 10_003, { gid: 10_002, primaryGroup: 'students' }));
        await q.insertAccount(account('P1', 'y', 10_001, { gid: 10_002, primaryGroup: 'students' }));
      });
      expect(await store.read.idsInUse('uid', RANGE)).toEqual({ from: 10_000, used: [10_001, 10_003] });
      expect(await store.read.idsInUse('gid', RANGE)).toEqual({ from: 10_000, used: [10_002] });
      expect(await tx((q) => q.allocateUids([{ username: 'p', personId: 'P1' }, { username: 'q', personId: 'P1' }, { username: 'r', personId: 'P1' }], RANGE, T0))).toEqual([10_000, 10_002, 10_004]);
    });

    it('deletePurgedAccounts deletes tombstones only, with their holds, and leaves the UID mark alone', async () => {
      const [live, tomb] = await tx(async (q) => {
        await q.putPerson(person('P1'));
        const uids = await q.allocateUids([{ username: 'alive', personId: 'P1' }, { username: 'gone', personId: 'P1' }], RANGE, T0);
        const a = await q.insertAccount(account('P1', 'alive', uids[0] ?? 0));
        const b = await q.insertAccount(account('P1', 'gone', uids[1] ?? 0, { purgedAt: T1 }));
        await q.putHold(b.id, retired);
        return [a, b];
      });
      expect(await tx((q) => q.deletePurgedAccounts([live.id, tomb.id, 999]))).toBe(1);
      expect(await store.read.getAccount('alive')).toBeDefined();
      expect(await store.read.getAccount('gone')).toBeUndefined();
      expect(await tx((q) => q.deleteReservations(['gone']))).toBe(1);
      expect(await store.read.nameTaken('gone')).toBe(false);
      // The released name can be allocated again, under a new UID.
      expect(await tx((q) => q.allocateUid('gone', 'P2', RANGE, T1))).toBe(10_002);
      await expect(store.read.deletePurgedAccounts([tomb.id])).rejects.toThrow(/store.transaction/);
    });

    it('nameTaken is case-insensitive across accounts, reservations and groups', async () => {
      await tx(async (q) => {
        await q.putPerson(person('P1'));
        await q.insertAccount(account('P1', 'alice', 20_000));
        await q.allocateUid('Bob', 'P1', RANGE, T0);
        await q.insertGroup({ name: 'staff', gid: 30_000, description: '', members: [], createdAt: T0 });
      });
      for (const name of ['alice', 'ALICE', 'bob', 'BOB', 'Bob', 'staff', 'Staff']) expect(await store.read.nameTaken(name)).toBe(true);
      for (const name of ['alic', 'carol', 'staff2', '']) expect(await store.read.nameTaken(name)).toBe(false);
    });
  });

  describe('groups', () => {
    const g = { name: 'staff', gid: 30_000, description: 'Staff', members: ['alice', 'bob'], createdAt: T0 };

    it('round-trips and finds by name and GID', async () => {
      await tx((q) => q.insertGroup(g));
      expect(await store.read.getGroup('staff')).toEqual(g);
      expect(await store.read.getGroup('Staff')).toBeUndefined();
      expect(await store.read.getGroupByGid(30_000)).toEqual(g);
      expect(await store.read.getGroupByGid(30_001)).toBeUndefined();
      await tx((q) => q.insertGroup({ ...g, name: 'admins', gid: 30_001, members: [] }));
      expect((await store.read.listGroups()).map((x) => x.name)).toEqual(['admins', 'staff']);
    });

    it('setGroupMembers replaces the list; unknown group is not_found', async () => {
      await tx((q) => q.insertGroup(g));
      await tx((q) => q.setGroupMembers('staff', ['carol']));
      expect((await store.read.getGroup('staff'))?.members).toEqual(['carol']);
      await expect(tx((q) => q.setGroupMembers('nope', []))).rejects.toMatchObject({ code: 'not_found' });
    });

    it('duplicate name or GID is conflict naming the value', async () => {
      await tx((q) => q.insertGroup(g));
      const name = await rejection(tx((q) => q.insertGroup({ ...g, gid: 1 })));
      expect(name.code).toBe('conflict');
      expect(name.message).toContain('staff');
      const gid = await rejection(tx((q) => q.insertGroup({ ...g, name: 'other' })));
      expect(gid.code).toBe('conflict');
      expect(gid.message).toContain('30000');
    });

    it('allocateGid skips group and account GIDs and never goes back', async () => {
      await tx(async (q) => {
        await q.putPerson(person('P1'));
        await q.insertAccount(account('P1', 'alice', 10_000, { gid: 10_000 }));
        await q.insertGroup({ ...g, gid: 10_001 });
      });
      const first = await tx(async (q) => {
        const gid = await q.allocateGid(RANGE);
        await q.insertGroup({ ...g, name: 'new', gid });
        return gid;
      });
      expect(first).toBe(10_002);
      // Allocated but never used: still not handed out again.
      expect(await tx((q) => q.allocateGid(RANGE))).toBe(10_003);
      expect(await tx((q) => q.allocateGid(RANGE))).toBe(10_004);
      const e = await rejection(tx((q) => q.allocateGid({ min: 1, max: 3 })));
      expect(e.code).toBe('bad_input');
      expect(e.message).toContain('GID range 1–3 is exhausted');
    });

    it('freeGids gives what allocateGid would one by one, and leaves the mark to raiseGidMark', async () => {
      await tx(async (q) => {
        await q.putPerson(person('P1'));
        await q.insertAccount(account('P1', 'alice', 10_000, { gid: 10_001 }));
        await q.insertGroup({ ...g, gid: 10_003 });
      });
      expect(await tx((q) => q.freeGids(RANGE, undefined, 4))).toEqual([10_000, 10_002, 10_004, 10_005]);
      // Above `after`, when it is above the mark; the mark has not moved.
      expect(await tx((q) => q.freeGids(RANGE, 10_002, 2))).toEqual([10_004, 10_005]);
      expect(await tx((q) => q.freeGids(RANGE, undefined, 1))).toEqual([10_000]);
      await tx((q) => q.raiseGidMark(10_004));
      expect(await tx((q) => q.freeGids(RANGE, undefined, 2))).toEqual([10_005, 10_006]);
      expect(await tx((q) => q.allocateGid(RANGE))).toBe(10_005);
      // Never lowered; fewer where the range ends.
      await tx((q) => q.raiseGidMark(10_001));
      expect(await tx((q) => q.freeGids({ min: 10_000, max: 10_007 }, undefined, 5))).toEqual([10_006, 10_007]);
      expect(await tx((q) => q.freeGids({ min: 10_000, max: 10_005 }, undefined, 5))).toEqual([]);
    });

    it('allocateGid walks past a long run of used GIDs', async () => {
      await tx(async (q) => {
        await q.putPerson(person('P1'));
        for (let i = 0; i < 1_234; i++) await q.insertAccount(account('P1', `u${i}`, 40_000 + i));
      });
      expect(await tx((q) => q.allocateGid({ min: 40_000, max: 50_000 }))).toBe(41_234);
    });
  });

  describe('ledger and notices', () => {
    it('adds entries with ids and lists them in time order', async () => {
      const charge = await tx((q) => q.addLedgerEntry({ personId: 'P1', at: T1, kind: 'charge', amountCents: 2_500, note: 'dues 2026-02' }));
      const payment = await tx((q) => q.addLedgerEntry({ personId: 'P1', at: T0, kind: 'payment', amountCents: 10_000, note: null }));
      await tx((q) => q.addLedgerEntry({ personId: 'P2', at: T0, kind: 'payment', amountCents: 1, note: null }));
      expect(charge).toEqual({ id: charge.id, personId: 'P1', at: T1, kind: 'charge', amountCents: 2_500, note: 'dues 2026-02' });
      expect(await store.read.ledger('P1')).toEqual([payment, charge]);
      expect(await store.read.ledger('P3')).toEqual([]);
      for (const amountCents of [0, -5, 1.5]) {
        await expect(tx((q) => q.addLedgerEntry({ personId: 'P1', at: T0, kind: 'charge', amountCents, note: null }))).rejects.toMatchObject({ code: 'bad_input' });
      }
    });

    it('recordNotice is true once per (person, kind, run-out date)', async () => {
      expect(await tx((q) => q.recordNotice('P1', 'warn:60', '2026-04-01', T0))).toBe(true);
      expect(await tx((q) => q.recordNotice('P1', 'warn:60', '2026-04-01', T1))).toBe(false);
      expect(await tx((q) => q.recordNotice('P1', 'warn:45', '2026-04-01', T1))).toBe(true);
      expect(await tx((q) => q.recordNotice('P1', 'warn:60', '2026-05-01', T1))).toBe(true);
      expect(await tx((q) => q.recordNotice('P2', 'warn:60', '2026-04-01', T1))).toBe(true);
    });
  });

  describe('audit', () => {
    it('starts at the genesis head and appends a chain', async () => {
      expect(await store.read.auditHead()).toEqual({ seq: 0, hash: '0'.repeat(64) });
      const r1 = await tx((q) => q.appendAudit({ at: T0, actor: 'cli:root', action: 'person.add', target: 'person:P1', before: null, after: { b: 1, a: [1, 'x', { z: null, y: true }] }, result: 'ok' }));
      const r2 = await tx((q) => q.appendAudit({ at: T1, actor: 'job:purge', action: 'account.purge', target: 'account:alice', before: { purged: false }, after: undefined, result: 'refused' }));
      expect(r1).toMatchObject({ seq: 1, prevHash: '0'.repeat(64) });
      expect(r1.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r2).toMatchObject({ seq: 2, prevHash: r1.hash, after: null });
      expect(await store.read.auditHead()).toEqual({ seq: 2, hash: r2.hash });
      expect(await store.read.listAudit()).toEqual([r1, r2]);
      expect(await store.read.listAudit({ afterSeq: 1 })).toEqual([r2]);
      expect(await store.read.listAudit({ limit: 1 })).toEqual([r1]);
      expect(await store.read.listAudit({ target: 'account:alice' })).toEqual([r2]);
    });

    it('a rolled-back change leaves no record and no gap', async () => {
      const entry = { at: T0, actor: 'cli:root', action: 'x', target: 't', before: null, after: null, result: 'ok' as const };
      await tx((q) => q.appendAudit(entry));
      await expect(
        tx(async (q) => {
          await q.appendAudit(entry);
          throw new Error('dry run');
        }),
      ).rejects.toThrow('dry run');
      const r = await tx((q) => q.appendAudit(entry));
      expect(r.seq).toBe(2);
      expect((await store.read.listAudit()).map((x) => x.seq)).toEqual([1, 2]);
    });
  });

  describe('transactions', () => {
    it('store.read refuses writes', async () => {
      const e = await rejection(store.read.putPerson(person('P1')));
      expect(e.code).toBe('internal');
      expect(e.message).toContain('store.transaction');
      await expect(store.read.allocateUid('a', 'P1', RANGE, T0)).rejects.toMatchObject({ code: 'internal' });
      await expect(store.read.appendAudit({ at: T0, actor: 'a', action: 'b', target: 'c', before: null, after: null, result: 'ok' })).rejects.toMatchObject({ code: 'internal' });
    });

    it('commits the value of fn and rolls back everything when fn throws', async () => {
      expect(await tx(async (q) => (await q.putPerson(person('P1')), 42))).toBe(42);
      await expect(
        tx(async (q) => {
          await q.putPerson(person('P2'));
          await q.addLedgerEntry({ personId: 'P2', at: T0, kind: 'charge', amountCents: 1, note: null });
          throw new RosterError('conflict', 'stop');
        }),
      ).rejects.toMatchObject({ code: 'conflict', message: 'stop' });
      expect(await store.read.getPerson('P2')).toBeUndefined();
      expect(await store.read.ledger('P2')).toEqual([]);
      expect(await store.read.getPerson('P1')).toBeDefined();
    });

    it('serialises whole transactions, so check-then-act needs no unique constraint', async () => {
      const chargeOnce = (): Promise<void> =>
        tx(async (q) => {
          if ((await q.ledger('P1')).length > 0) return;
          // Give the other transaction every chance to interleave.
          await new Promise((r) => setTimeout(r, 30));
          await q.addLedgerEntry({ personId: 'P1', at: T0, kind: 'charge', amountCents: 100, note: null });
        });
      await Promise.all([chargeOnce(), chargeOnce(), chargeOnce()]);
      expect(await store.read.ledger('P1')).toHaveLength(1);
    });

    it('a nested transaction fails at once instead of deadlocking', async () => {
      const e = await rejection(tx(async () => tx(async () => 1)));
      expect(e.code).toBe('internal');
      expect(e.message).toContain('inside another transaction');
      expect(await tx(async () => 2)).toBe(2);
    });

    it('reads inside a transaction see its own writes', async () => {
      await tx(async (q) => {
        await q.putPerson(person('P1'));
        expect(await q.getPerson('P1')).toBeDefined();
      });
    });

    it('20 concurrent transactions allocate 20 distinct UIDs and a contiguous audit chain', async () => {
      const uids = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          tx(async (q) => {
            const uid = await q.allocateUid(`user${i}`, `P${i}`, { min: 1_000, max: 2_000 }, T0);
            await q.appendAudit({ at: T0, actor: `test:${i}`, action: 'account.create', target: `account:user${i}`, before: null, after: { uid }, result: 'ok' });
            return uid;
          }),
        ),
      );
      expect(new Set(uids).size).toBe(20);
      expect([...uids].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 1_000 + i));
      expect((await store.read.listAudit()).map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });
  });
});
