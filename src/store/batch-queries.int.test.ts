import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Person } from '../domain/person.js';
import { verifyAudit } from './verify-audit.js';
import type { NewAccount, Queries, Store } from './store.js';
import { storeFactories, type OpenedTestStore } from './test-stores.js';

const T0 = '2026-01-02T03:04:05.000Z';
const T1 = '2026-02-03T04:05:06.000Z';
const RANGE = { min: 10_000, max: 19_999 };

function person(id: string, over: Partial<Person> = {}): Person {
  return { id, source: 'school', firstName: 'Kim', lastName: id, roles: ['STUDENT'], classes: [], campuses: ['NB'], majors: [], emails: {}, verification: {}, createdAt: T0, updatedAt: T0, ...over };
}

function account(personId: string, username: string, uid: number): NewAccount {
  return {
    personId, type: 'student', username, uid, gid: uid, primaryGroup: username, gecos: 'Kim', shell: '/bin/bash', home: `/home/${username}`,
    passwordHash: null, principal: null, groups: ['students'], expiresAt: null, purgeAt: null, purgedAt: null, pending: false, createdAt: T0, updatedAt: T0,
  };
}

/** The bulk queries a roster sync uses, the job-run record and the notification outbox, on both dialects. */
describe.each(storeFactories)('batch, job-run and outbox queries on $name', (factory) => {
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

  it('putPeople inserts and replaces many people; getPeople finds those that exist', async () => {
    const many = Array.from({ length: 450 }, (_, i) => person(`S${String(i).padStart(4, '0')}`));
    await tx((q) => q.putPeople(many));
    await tx((q) => q.putPeople([person('S0001', { lastName: 'Changed', updatedAt: T1 }), person('M1', { source: 'manual' })]));
    expect(await store.read.listPeople({ source: 'school' })).toHaveLength(450);
    expect((await store.read.getPerson('S0001'))?.lastName).toBe('Changed');
    const found = await store.read.getPeople(['S0002', 'M1', 'nobody']);
    expect(found.map((p) => p.id).sort()).toEqual(['M1', 'S0002']);
  });

  it('allocateUids hands out numbers above the high-water mark, skips used ones, reuses own reservations and refuses others', async () => {
    await tx(async (q) => {
      await q.putPeople([person('A'), person('B'), person('C')]);
      await q.allocateUid('old', 'A', RANGE, T0);
      // A UID above the counter already taken by hand: skipped.
      await q.insertAccount(account('B', 'manual', 10_002));
    });
    const uids = await tx((q) => q.allocateUids([{ username: 'old', personId: 'A' }, { username: 'bnew', personId: 'B' }, { username: 'cnew', personId: 'C' }], RANGE, T1));
    expect(uids).toEqual([10_000, 10_001, 10_003]);
    expect((await store.read.getReservation('cnew'))?.personId).toBe('C');
    // The counter moved: the next single allocation continues above.
    expect(await tx((q) => q.allocateUid('next', 'C', RANGE, T1))).toBe(10_004);
    await expect(tx((q) => q.allocateUids([{ username: 'old', personId: 'B' }], RANGE, T1))).rejects.toMatchObject({ code: 'conflict' });
    await expect(tx((q) => q.allocateUids([{ username: 'x', personId: 'A' }, { username: 'X', personId: 'B' }], RANGE, T1))).rejects.toMatchObject({ code: 'conflict' });
    await expect(tx((q) => q.allocateUids([{ username: 'y', personId: 'A' }, { username: 'z', personId: 'A' }], { min: 10_000, max: 10_005 }, T1))).rejects.toMatchObject({ code: 'bad_input' });
  });

  it('insertAccounts inserts in bulk in the order given, and a collision fails the whole statement', async () => {
    await tx((q) => q.putPeople([person('A'), person('B')]));
    const rows = Array.from({ length: 420 }, (_, i) => account(i % 2 === 0 ? 'A' : 'B', `u${i}`, 20_000 + i));
    const inserted = await tx((q) => q.insertAccounts(rows));
    expect(inserted.map((a) => a.username)).toEqual(rows.map((r) => r.username));
    expect(new Set(inserted.map((a) => a.id)).size).toBe(420);
    expect((await store.read.getAccount('u419'))?.uid).toBe(20_419);
    await expect(tx((q) => q.insertAccounts([account('A', 'fresh', 30_000), account('A', 'U1', 30_001)]))).rejects.toMatchObject({ code: 'conflict' });
    expect(await store.read.getAccount('fresh')).toBeUndefined();
    expect(await store.read.listAccounts({ source: 'school', limit: 5 })).toHaveLength(5);
    expect(await store.read.listAccounts({ source: 'manual' })).toEqual([]);
  });

  it('takenNames answers for accounts, reservations and groups without regard to case', async () => {
    await tx(async (q) => {
      await q.putPerson(person('A'));
      await q.insertAccount(account('A', 'alice', 10_500));
      await q.allocateUid('Bob', 'A', RANGE, T0);
      await q.insertGroup({ name: 'staff', gid: 500, description: '', members: [], createdAt: T0 });
    });
    expect([...(await store.read.takenNames(['ALICE', 'bob', 'Staff', 'free']))].sort()).toEqual(['alice', 'bob', 'staff']);
  });

  it('appendAudits chains many records exactly as appendAudit would, and verify accepts them', async () => {
    await tx((q) => q.appendAudit({ at: T0, actor: 'test', action: 'first', target: 't:1', before: null, after: { n: 1 }, result: 'ok' }));
    const entries = Array.from({ length: 450 }, (_, i) => ({ at: T1, actor: 'sync:school', action: 'person.add', target: `person:S${i}`, before: null, after: { i }, result: 'ok' as const }));
    await tx((q) => q.appendAudits(entries));
    const records = await store.read.listAudit({ afterSeq: 1 });
    expect(records.map((r) => [r.seq, r.target, r.after])).toEqual(entries.map((e, i) => [i + 2, e.target, e.after]));
    expect(await store.read.auditHead()).toEqual({ seq: 451, hash: records.at(-1)?.hash });
    expect((await verifyAudit(store.read)).ok).toBe(true);
    await tx((q) => q.appendAudits([]));
    expect((await store.read.auditHead()).seq).toBe(451);
  });

  it('lists billing notices of a person', async () => {
    await tx(async (q) => {
      await q.recordNotice('A', 'warn:60', '2026-05-01', T0);
      await q.recordNotice('A', 'warn:45', '2026-05-01', T1);
      await q.recordNotice('B', 'warn:60', '2026-05-01', T0);
    });
    expect(await store.read.listNotices('A')).toEqual([
      { personId: 'A', kind: 'warn:60', runOutDate: '2026-05-01', at: T0 },
      { personId: 'A', kind: 'warn:45', runOutDate: '2026-05-01', at: T1 },
    ]);
  });

  it('records job runs: start, end, result and counts, newest first, filtered by job and result', async () => {
    const run = await tx((q) => q.insertJobRun({ job: 'purge', slot: T0, startedAt: T0, owner: 'h:1', startedBy: 'cli:root', forced: false }));
    expect(run).toMatchObject({ job: 'purge', result: 'running', finishedAt: null, counts: {} });
    await tx((q) => q.finishJobRun(run.id, { finishedAt: T1, result: 'ok', counts: { purged: 3 }, message: null }));
    await tx((q) => q.insertJobRun({ job: 'billing', slot: T1, startedAt: T1, owner: 'h:2', startedBy: 'serve', forced: true }));
    const all = await store.read.listJobRuns();
    expect(all.map((r) => r.job)).toEqual(['billing', 'purge']);
    expect(all[1]).toMatchObject({ result: 'ok', finishedAt: T1, counts: { purged: 3 }, forced: false });
    expect(all[0]?.forced).toBe(true);
    expect((await store.read.listJobRuns({ job: 'purge', results: ['ok'] })).map((r) => r.id)).toEqual([run.id]);
    expect(await store.read.listJobRuns({ results: ['failed'] })).toEqual([]);
    await expect(tx((q) => q.finishJobRun(9999, { finishedAt: T1, result: 'ok', counts: {}, message: null }))).rejects.toMatchObject({ code: 'not_found' });
  });

  it('queues messages once per dedupe key, serves the due ones oldest first, and records attempts', async () => {
    const added = await tx((q) =>
      q.enqueueMessages([
        { kind: 'retirement', recipient: 'a@example.org', data: { username: 'a' }, dedupeKey: 'k1', queuedAt: T0 },
        { kind: 'purged', recipient: null, data: { username: 'b' }, dedupeKey: 'k2', queuedAt: T0 },
        { kind: 'admin-digest', recipient: 'root@example.org', data: {}, dedupeKey: null, queuedAt: T1 },
      ]),
    );
    expect(added).toBe(3);
    expect(await tx((q) => q.enqueueMessages([{ kind: 'retirement', recipient: 'a@example.org', data: {}, dedupeKey: 'k1', queuedAt: T1 }]))).toBe(0);
    expect(await store.read.countMessages()).toEqual({ queued: 2, sent: 0, failed: 0, unaddressed: 1 });
    const due = await store.read.dueMessages(T0, 10);
    expect(due.map((m) => m.kind)).toEqual(['retirement']);
    expect(due[0]).toMatchObject({ recipient: 'a@example.org', data: { username: 'a' }, status: 'queued', attempts: 0 });
    const id = due[0]?.id ?? 0;
    await tx((q) => q.updateMessage(id, { status: 'sent', attempts: 1, sentAt: T1, subject: 'Hello', nextAttemptAt: null }));
    expect((await store.read.listMessages({ status: 'sent' }))[0]).toMatchObject({ id, subject: 'Hello', sentAt: T1, attempts: 1 });
    expect((await store.read.dueMessages(T1, 10)).map((m) => m.kind)).toEqual(['admin-digest']);
    expect((await store.read.listMessages({ kind: 'purged' }))[0]).toMatchObject({ status: 'unaddressed', lastError: 'no e-mail address on record' });
  });
});
