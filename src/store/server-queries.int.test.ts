import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import type { Store } from './store.js';
import { storeFactories, testAccount, type OpenedTestStore } from './test-stores.js';

const T0 = '2026-01-02T03:04:05.000Z';
const T1 = '2026-02-03T04:05:06.000Z';

function person(id: string): Person {
  return { id, source: 'scim', firstName: 'Jane', lastName: 'Doe', roles: [], classes: [], campuses: [], majors: [], emails: {}, verification: {}, createdAt: T0, updatedAt: T0 };
}

const account = testAccount;

for (const factory of storeFactories) {
  describe(`server queries on ${factory.name}`, () => {
    let opened: OpenedTestStore;
    let store: Store;

    beforeEach(async () => {
      opened = await factory.open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('stores tokens by hash, lists them and revokes each once', async () => {
      const t = await store.transaction((tx) =>
        tx.insertApiToken({ role: 'agent', host: 'shell', hash: 'a'.repeat(64), note: 'shell agent', createdAt: T0, createdBy: 'cli:root', expiresAt: T1 }),
      );
      expect(t).toMatchObject({ role: 'agent', host: 'shell', revokedAt: null });
      expect(await store.read.getApiTokenByHash('a'.repeat(64))).toEqual(t);
      expect(await store.read.getApiTokenByHash('b'.repeat(64))).toBeUndefined();
      const dup = await store
        .transaction((tx) => tx.insertApiToken({ role: 'admin', host: null, hash: 'a'.repeat(64), note: null, createdAt: T0, createdBy: 'x', expiresAt: null }))
        .catch((e: unknown) => e);
      expect(dup).toBeInstanceOf(RosterError);
      expect(await store.transaction((tx) => tx.revokeApiToken(t.id, T1))).toBe(true);
      expect(await store.transaction((tx) => tx.revokeApiToken(t.id, T1))).toBe(false);
      expect(await store.transaction((tx) => tx.revokeApiToken(999, T1))).toBe(false);
      expect((await store.read.listApiTokens()).map((x) => x.revokedAt)).toEqual([T1]);
    });

    it('refuses token writes on store.read', async () => {
      await expect(store.read.insertApiToken({ role: 'admin', host: null, hash: 'c'.repeat(64), note: null, createdAt: T0, createdBy: 'x', expiresAt: null })).rejects.toThrow(/store.transaction/);
    });

    it('finds SCIM users by userName without regard to case, and plain accounts by their username', async () => {
      const [a, b] = await store.transaction(async (tx) => {
        await tx.putPerson(person('P1'));
        const x = await tx.insertAccount(account('P1', 'janedoe', 10_001));
        const y = await tx.insertAccount(account('P1', 'plain', 10_002, { type: 'other' }));
        await tx.putScimUser({ accountId: x.id, userName: 'Jane.Doe@Example.edu', externalId: 'ext-1', deletedAt: null, attributes: { displayName: 'Jane' }, createdAt: T0, updatedAt: T0 });
        return [x, y];
      });
      expect(await store.read.accountIdsByScimUserName('jane.doe@example.EDU')).toEqual([a.id]);
      // A SCIM-named account no longer answers to its Unix username.
      expect(await store.read.accountIdsByScimUserName('janedoe')).toEqual([]);
      expect(await store.read.accountIdsByScimUserName('PLAIN')).toEqual([b.id]);
      expect(await store.read.accountIdsByExternalId('ext-1')).toEqual([a.id]);
      expect((await store.read.findScimUserByName('JANE.DOE@EXAMPLE.EDU'))?.attributes).toEqual({ displayName: 'Jane' });
      const clash = await store
        .transaction((tx) => tx.putScimUser({ accountId: b.id, userName: 'jane.doe@example.edu', externalId: null, deletedAt: null, attributes: {}, createdAt: T0, updatedAt: T0 }))
        .catch((e: unknown) => e);
      expect(clash).toBeInstanceOf(RosterError);
      expect((clash as RosterError).code).toBe('conflict');
    });

    it('pages the accounts SCIM shows: not purged, not deleted through SCIM', async () => {
      const ids = await store.transaction(async (tx) => {
        await tx.putPerson(person('P1'));
        const out: number[] = [];
        for (let i = 0; i < 6; i++) {
          const a = await tx.insertAccount(account('P1', `u${i}x`, 10_000 + i, { type: `t${i}`, purgedAt: i === 1 ? T1 : null }));
          out.push(a.id);
        }
        const deleted = out[2];
        if (deleted === undefined) throw new Error('no account');
        await tx.putScimUser({ accountId: deleted, userName: 'gone', externalId: null, deletedAt: T1, attributes: {}, createdAt: T0, updatedAt: T1 });
        return out;
      });
      const visible = ids.filter((_, i) => i !== 1 && i !== 2);
      expect(await store.read.scimAccountPage({ offset: 0, limit: 2 })).toEqual({ ids: visible.slice(0, 2), total: 4 });
      expect(await store.read.scimAccountPage({ offset: 2, limit: 10 })).toEqual({ ids: visible.slice(2), total: 4 });
      expect((await store.read.getAccountsByIds([...ids].reverse())).map((a) => a.id)).toEqual(ids);
    });

    it('reads an account with its holds, person and SCIM record in one statement, as the separate reads give them', async () => {
      const [named, plain] = await store.transaction(async (tx) => {
        await tx.putPerson({ ...person('P1'), roles: ['MEMBER'], emails: { WORK: 'jane@example.org' } });
        const x = await tx.insertAccount(account('P1', 'janedoe', 10_001, { groups: ['staff', 'web'], expiresAt: T1 }));
        const y = await tx.insertAccount(account('P1', 'plain', 10_002, { type: 'other' }));
        await tx.putScimUser({ accountId: x.id, userName: 'Jane.Doe@Example.edu', externalId: 'ext-1', deletedAt: null, attributes: { displayName: 'Jane' }, createdAt: T0, updatedAt: T1 });
        await tx.putHold(x.id, { kind: 'retired', reason: 'scim', since: T1, note: null, setBy: 'token:1(scim)' });
        await tx.putHold(x.id, { kind: 'freeze', reason: 'billing', since: T0, note: 'unpaid', setBy: 'billing' });
        await tx.putHold(x.id, { kind: 'freeze', reason: 'admin', since: T0, note: null, setBy: 'alice' });
        return [x, y];
      });
      for (const a of [named, plain]) {
        const account = await store.read.getAccountById(a.id);
        expect(await store.read.scimAccount(a.id)).toEqual({ account, person: await store.read.getPerson(account?.personId ?? ''), scim: await store.read.getScimUser(a.id) });
      }
      expect((await store.read.scimAccount(named.id))?.account.holds.map((h) => h.reason)).toEqual(['admin', 'billing', 'scim']);
      expect(await store.read.scimAccount(plain.id)).toMatchObject({ account: { username: 'plain', holds: [] }, person: { id: 'P1' }, scim: undefined });
      expect(await store.read.scimAccount(999_999)).toBeUndefined();
      // Asked together (one statement on PostgreSQL), the same ids twice and an unknown one among them: each caller gets its own.
      const together = await Promise.all([plain.id, named.id, 999_999, named.id, plain.id].map((id) => store.read.scimAccount(id)));
      const oneByOne = [];
      for (const id of [plain.id, named.id, 999_999, named.id, plain.id]) oneByOne.push(await store.read.scimAccount(id));
      expect(together).toEqual(oneByOne);
      expect(together.map((r) => r?.account.username)).toEqual(['plain', 'janedoe', undefined, 'janedoe', 'plain']);
      expect(together[1]?.account.holds.map((h) => h.reason)).toEqual(['admin', 'billing', 'scim']);
    });

    it('keeps SCIM groups beside groups and deletes both together', async () => {
      await store.transaction(async (tx) => {
        await tx.insertGroup({ name: 'group-1', gid: 20_000, description: '', members: [], createdAt: T0 });
        await tx.insertGroup({ name: 'staff', gid: 20_001, description: '', members: [], createdAt: T0 });
        await tx.putScimGroup({ groupName: 'group-1', displayName: 'Group 1', externalId: null, attributes: { members: [] }, createdAt: T0, updatedAt: T0 });
      });
      expect(await store.read.groupNamesByDisplayName('GROUP 1')).toEqual(['group-1']);
      expect(await store.read.groupNamesByDisplayName('Staff')).toEqual(['staff']);
      expect(await store.transaction((tx) => tx.deleteGroup('group-1'))).toBe(true);
      expect(await store.transaction((tx) => tx.deleteGroup('group-1'))).toBe(false);
      expect(await store.read.getScimGroups(['group-1'])).toEqual([]);
      expect((await store.read.listGroups()).map((g) => g.name)).toEqual(['staff']);
    });

    it('records a mass change and its approval once', async () => {
      await store.transaction((tx) =>
        tx.insertMassChange({ id: 'mc1', action: 'purge', params: {}, summary: { affected: 80, total: 100, limit: 50 }, requestedBy: 'token:1(admin)', requestedToken: 1, requestedAt: T0, expiresAt: T1 }),
      );
      const approval = { approvedBy: 'token:2(admin)', approvedToken: 2, approvedAt: T1 };
      expect(await store.transaction((tx) => tx.approveMassChange('mc1', approval))).toBe(true);
      expect(await store.transaction((tx) => tx.approveMassChange('mc1', approval))).toBe(false);
      await store.transaction((tx) => tx.setMassChangeResult('mc1', { purged: 80 }));
      expect(await store.read.getMassChange('mc1')).toMatchObject({ summary: { affected: 80, total: 100, limit: 50 }, approvedToken: 2, result: { purged: 80 } });
      expect((await store.read.listMassChanges()).map((c) => c.id)).toEqual(['mc1']);
    });

    it('keeps host reports newest first, per host', async () => {
      await store.transaction(async (tx) => {
        await tx.insertHostReport({ host: 'shell', receivedAt: T0, actor: 'token:3(agent)', revision: 'r1', ok: true, report: { n: 1 } });
        await tx.insertHostReport({ host: 'web', receivedAt: T0, actor: 'token:4(agent)', revision: 'r1', ok: false, report: { n: 2 } });
        await tx.insertHostReport({ host: 'shell', receivedAt: T1, actor: 'token:3(agent)', revision: 'r2', ok: false, report: { n: 3 } });
      });
      const reports = await store.read.listHostReports({ host: 'shell' });
      expect(reports.map((r) => [r.revision, r.ok, r.report])).toEqual([['r2', false, { n: 3 }], ['r1', true, { n: 1 }]]);
      const first = reports[0];
      if (first === undefined) throw new Error('no report');
      expect((await store.read.listHostReports({ host: 'shell', beforeId: first.id })).map((r) => r.revision)).toEqual(['r1']);
      // Each host's newest report only, without its body.
      expect(await store.read.latestHostReports()).toEqual([
        { host: 'shell', receivedAt: T1, ok: false },
        { host: 'web', receivedAt: T0, ok: false },
      ]);
    });
  });
}
