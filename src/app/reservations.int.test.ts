import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { exampleAppContext } from '../../test/example-app-context.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import type { AppContext } from './app-context.js';
import { createAccounts, requireAccount } from './accounts.js';
import { mutate } from './mutate.js';
import { addPerson } from './people.js';
import { purgeAccount } from './purge.js';
import { pruneReservations, reservationStates } from './reservations.js';

const CREATED = '2025-01-01T10:00:00Z';
const NOW = '2026-05-01T10:00:00Z';

describe.each(storeFactories)('reservations on $name', (factory) => {
  let s: OpenedTestStore;
  const config = parseConfig(exampleConfig(), 'roster.yaml').config;
  const at = (iso: string): AppContext => exampleAppContext(s.store, iso, { actor: 'cli:test' });
  const purgeAt = async (username: string, iso: string): Promise<void> => {
    const ctx = at(iso);
    await mutate(ctx, {}, async (tx) => purgeAccount(tx, ctx, await requireAccount(tx, username), 'test'));
  };

  beforeEach(async () => {
    s = await factory.open();
    const ctx = at(CREATED);
    // gone: purged 484 days before NOW; recent: purged 101 days before; here: live;
    // mixed: one account purged long ago and one live.
    for (const id of ['GONE', 'RECENT', 'HERE', 'MIXED']) await addPerson(ctx, { id, firstName: 'Kim', lastName: id, roles: ['MEMBER', 'STAFF'] });
    const results = await createAccounts(ctx, [
      { personId: 'GONE', type: 'member', username: 'kgone' },
      { personId: 'RECENT', type: 'member', username: 'krecent' },
      { personId: 'HERE', type: 'member', username: 'khere' },
      { personId: 'MIXED', type: 'member', username: 'kmixed' },
      { personId: 'MIXED', type: 'student', username: 'kmixedstudy', skipEligibility: true },
    ]);
    expect(results.map((r) => (r.ok ? r.account.username : r.error))).toEqual(['kgone', 'krecent', 'khere', 'kmixed', 'kmixedstudy']);
    await purgeAt('kgone', '2025-01-02T10:00:00Z');
    await purgeAt('kmixed', '2025-01-02T10:00:00Z');
    await purgeAt('krecent', '2026-01-20T10:00:00Z');
  });
  afterEach(async () => s.cleanup());

  it('says where each reservation stands: in use while the person has a live account, retained for retainDays after the last purge, then releasable', async () => {
    const states = await reservationStates(s.store.read, 365, new Date(NOW));
    expect(states.map((r) => [r.username, r.status, r.releasableFrom])).toEqual([
      ['kgone', 'releasable', '2026-01-02T10:00:00.000Z'],
      ['krecent', 'retained', '2027-01-20T10:00:00.000Z'],
      ['khere', 'in-use', null],
      ['kmixed', 'in-use', null],
      ['kmixedstudy', 'in-use', null],
    ]);
    // The same a day before kgone's retention ends.
    expect((await reservationStates(s.store.read, 365, new Date('2026-01-01T10:00:00Z')))[0]?.status).toBe('retained');
    expect((await reservationStates(s.store.read, 100, new Date(NOW)))[1]?.status).toBe('releasable');
  });

  it('a dry run changes nothing; prune releases, audits each release, frees the name and never reuses the UID', async () => {
    const read = s.store.read;
    const gone = await read.getReservation('kgone');
    const head = await read.auditHead();
    const marks = await read.idsInUse('uid', config.uids);

    const dry = await pruneReservations(at(NOW), { dryRun: true });
    expect(dry.released.map((r) => r.username)).toEqual(['kgone']);
    expect(dry.kept).toEqual({ inUse: 3, retained: 1 });
    expect(await read.auditHead()).toEqual(head);
    expect(await read.getReservation('kgone')).toEqual(gone);
    expect((await read.getAccount('kgone'))?.purgedAt).not.toBeNull();

    const real = await pruneReservations(at(NOW));
    expect(real.released.map((r) => [r.username, r.uid, r.personId])).toEqual([['kgone', gone?.uid, 'GONE']]);
    expect(real.kept).toEqual({ inUse: 3, retained: 1 });
    expect(await read.getReservation('kgone')).toBeUndefined();
    expect(await read.getAccount('kgone')).toBeUndefined();
    expect(await read.nameTaken('kgone')).toBe(false);
    const records = await read.listAudit({ afterSeq: head.seq });
    expect(records.map((r) => [r.action, r.target, r.actor, r.result])).toEqual([['reservation.release', 'account:kgone', 'cli:test', 'ok']]);
    expect(records[0]?.before).toMatchObject({ username: 'kgone', uid: gone?.uid, personId: 'GONE', tombstone: true });
    // The high-water mark did not move.
    expect(await read.idsInUse('uid', config.uids)).toEqual(marks);
    // Everything else stays.
    expect((await read.listReservations()).map((r) => r.username)).toEqual(['krecent', 'khere', 'kmixed', 'kmixedstudy']);
    expect((await read.getAccount('krecent'))?.purgedAt).not.toBeNull();

    // The name can be chosen again, by someone else, under a new UID.
    const ctx = at(NOW);
    await addPerson(ctx, { id: 'NEW', firstName: 'Kim', lastName: 'New', roles: ['MEMBER'] });
    const [again] = await createAccounts(ctx, [{ personId: 'NEW', type: 'member', username: 'kgone' }]);
    expect(again?.ok).toBe(true);
    const account = await read.getAccount('kgone');
    expect(account?.personId).toBe('NEW');
    expect(account?.uid).toBe(marks.from);
    expect(account?.uid).toBeGreaterThan(gone?.uid ?? Infinity);

    // Nothing more to release; a second run is a no-op.
    const head2 = await read.auditHead();
    expect((await pruneReservations(at(NOW))).released).toEqual([]);
    expect(await read.auditHead()).toEqual(head2);
  });

  it('releases in batches: every releasable reservation goes, one audit record each', async () => {
    const ctx = at(CREATED);
    const n = 1_203;
    await mutate(ctx, {}, async (tx) => {
      await tx.putPeople(Array.from({ length: n }, (_, i) => ({ id: `P${i}`, source: 'manual', firstName: 'P', lastName: `${i}`, roles: [], classes: [], campuses: [], majors: [], emails: {}, verification: {}, createdAt: CREATED, updatedAt: CREATED })));
      // Reservations of people who never got an account (an interrupted import): retained from the reservation itself.
      await tx.allocateUids(Array.from({ length: n }, (_, i) => ({ username: `p${i}x`, personId: `P${i}` })), config.uids, CREATED);
    });
    const head = await s.store.read.auditHead();
    const r = await pruneReservations(at(NOW));
    expect(r.released).toHaveLength(n + 1);
    expect(new Set(r.released.map((x) => x.username))).toEqual(new Set(['kgone', ...Array.from({ length: n }, (_, i) => `p${i}x`)]));
    const records = await s.store.read.listAudit({ afterSeq: head.seq, limit: 5_000 });
    expect(records.filter((x) => x.action === 'reservation.release')).toHaveLength(n + 1);
    expect(await s.store.read.listReservations()).toHaveLength(4);
  });
});
