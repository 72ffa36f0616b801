import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import { RosterError } from '../domain/errors.js';
import type { AppContext } from './app-context.js';
import { accountSummary } from './account-view.js';
import { createAccount, createAccounts, requireAccount, type CreateAccountInput, type CreateResult } from './accounts.js';
import { ensureGroup } from './groups.js';
import { mutate } from './mutate.js';
import { addPerson } from './people.js';
import { purgeAccount } from './purge.js';

describe.each(storeFactories)('createAccounts in batches on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;
  beforeAll(async () => {
    s = await factory.open();
    ctx = exampleAppContext(s.store, '2026-05-01T10:00:00Z');
    for (const [id, role] of [['A', 'MEMBER'], ['B', 'STAFF'], ['C', 'MEMBER'], ['D', 'MEMBER']] as const) {
      await addPerson(ctx, { id, firstName: 'Kim', lastName: `Batch${id}`, roles: [role] });
    }
  });
  afterAll(async () => s.cleanup());

  it('reports each refused item and commits the others, with one audit record per created account', async () => {
    const before = (await s.store.read.auditHead()).seq;
    const results = await createAccounts(ctx, [
      { personId: 'A', type: 'member', username: 'kima' },
      { personId: 'B', type: 'member' },
      { personId: 'C', type: 'member', username: 'kima' },
      { personId: 'D', type: 'member', username: 'kimd' },
      { personId: 'A', type: 'wizard' },
    ], { batchSize: 2 });
    expect(results.map((r) => (r.ok ? r.account.username : r.code))).toEqual(['kima', 'not_eligible', 'conflict', 'kimd', 'not_found']);
    expect((await s.store.read.listAccounts()).map((a) => a.username).sort()).toEqual(['kima', 'kimd']);
    const records = await s.store.read.listAudit({ afterSeq: before });
    expect(records.filter((r) => r.action === 'account.create').map((r) => r.target)).toEqual(['account:kima', 'account:kimd']);
    // The first account also brought the declared group `members` into being.
    expect(records.map((r) => r.action).sort()).toEqual(['account.create', 'account.create', 'group.add']);
    // The refused username stayed free of reservations for C.
    expect((await s.store.read.reservationsOfPerson('C'))).toEqual([]);
  });

  it('a dry run creates nothing and reports the same', async () => {
    const results = await createAccounts(ctx, [{ personId: 'C', type: 'member', username: 'kimc' }], { dryRun: true });
    expect(results.map((r) => r.ok)).toEqual([true]);
    expect(await s.store.read.getAccount('kimc')).toBeUndefined();
  });
});

/** createAccounts' bulk path against createAccount on a second, identically seeded store. */
describe.each(storeFactories)('createAccounts in bulk on $name', (factory) => {
  const opened: OpenedTestStore[] = [];
  afterAll(async () => {
    for (const s of opened) await s.cleanup();
  });

  /** A store where the groups exist and I has a purged tombstone, so a batch takes the bulk path. */
  async function seeded(): Promise<{ s: OpenedTestStore; ctx: AppContext; warnings: string[] }> {
    const s = await factory.open();
    opened.push(s);
    const warnings: string[] = [];
    const ctx = exampleAppContext(s.store, '2026-05-01T10:00:00Z', { log: { info: () => undefined, warn: (message: string) => void warnings.push(message) } });
    const people: ReadonlyArray<readonly [string, string, string, string]> = [
      ['A', 'Kim', 'Alpha', 'MEMBER'], ['B', 'Kim', 'Beta', 'MEMBER'], ['C', 'Lee', 'Same', 'MEMBER'], ['D', 'Lee', 'Same', 'MEMBER'],
      ['E', 'Pat', 'Staff', 'STAFF'], ['F', 'Ro', 'Turner', 'MEMBER'], ['G', 'Sam', 'Student', 'STUDENT'], ['H', 'Hal', 'Other', 'MEMBER'], ['I', 'Ann', 'Old', 'MEMBER'],
    ];
    for (const [id, firstName, lastName, role] of people) await addPerson(ctx, { id, firstName, lastName, roles: [role], campuses: ['NB'] });
    await mutate(ctx, {}, (tx) => ensureGroup(tx, ctx, 'students'));
    await createAccount(ctx, { personId: 'I', type: 'member', username: 'oldann' });
    await mutate(ctx, {}, async (tx) => purgeAccount(tx, ctx, await requireAccount(tx, 'oldann'), 'test'));
    return { s, ctx, warnings };
  }

  const inputs: readonly CreateAccountInput[] = [
    { personId: 'A', type: 'member', username: 'alpha' },
    { personId: 'B', type: 'member', username: 'ALPHA' },
    { personId: 'B', type: 'member', username: 'alpha' },
    { personId: 'C', type: 'member' },
    { personId: 'D', type: 'member' },
    { personId: 'A', type: 'member', username: 'alpha2' },
    { personId: 'E', type: 'member' },
    { personId: 'E', type: 'member', username: 'staffer', skipEligibility: true },
    { personId: 'nobody', type: 'member' },
    { personId: 'F', type: 'member', username: 'members' },
    { personId: 'F', type: 'member', username: 'abc123' },
    { personId: 'F', type: 'member', username: 'Bad Name' },
    { personId: 'H', type: 'member', username: 'oldann' },
    { personId: 'I', type: 'member' },
    { personId: 'G', type: 'student' },
    { personId: 'G', type: 'member' },
    { personId: 'F', type: 'member', username: 'fturner' },
  ];

  const outcome = (r: CreateResult): unknown => (r.ok ? accountSummary(r.account) : { code: r.code, error: r.error });
  const state = async (s: OpenedTestStore, afterSeq: number): Promise<unknown> => ({
    accounts: (await s.store.read.listAccounts({ includePurged: true })).map((a) => ({ id: a.id, ...accountSummary(a), passwordHash: a.passwordHash })),
    reservations: await s.store.read.listReservations(),
    emails: (await s.store.read.listPeople()).map((p) => [p.id, p.emails]),
    audit: (await s.store.read.listAudit({ afterSeq })).map((r) => ({ at: r.at, actor: r.actor, action: r.action, target: r.target, before: r.before, after: r.after, result: r.result })),
  });

  it('refuses the second of two items that want the same username in one batch', async () => {
    const { s, ctx, warnings } = await seeded();
    const results = await createAccounts(ctx, [{ personId: 'A', type: 'member', username: 'twin' }, { personId: 'B', type: 'member', username: 'twin' }, { personId: 'C', type: 'member', username: 'twin' }]);
    expect(results.map((r) => (r.ok ? r.account.username : `${r.code}: ${r.error}`))).toEqual(['twin', 'conflict: username twin is already taken or reserved', 'conflict: username twin is already taken or reserved']);
    expect((await s.store.read.getAccount('twin'))?.personId).toBe('A');
    expect(await s.store.read.reservationsOfPeople(['B', 'C'])).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('gives the same results, accounts, reservations, e-mails and audit records as createAccount item by item', async () => {
    const one = await seeded();
    const bulk = await seeded();
    const seq = (await one.s.store.read.auditHead()).seq;
    expect((await bulk.s.store.read.auditHead()).seq).toBe(seq);
    const single: unknown[] = [];
    for (const input of inputs) {
      try {
        single.push(accountSummary(await createAccount(one.ctx, input)));
      } catch (e) {
        single.push({ code: e instanceof RosterError ? e.code : 'internal', error: e instanceof Error ? e.message : String(e) });
      }
    }
    const results = await createAccounts(bulk.ctx, inputs);
    expect(results.map(outcome)).toEqual(single);
    // The batch covers every rule: successes, derived and revived names, and each kind of refusal.
    expect(results.map((r) => (r.ok ? r.account.username : r.code))).toEqual([
      'alpha', 'bad_input', 'conflict', 'lsame', 'lees', 'conflict', 'not_eligible', 'staffer', 'not_found', 'conflict', 'bad_input', 'bad_input', 'conflict', 'oldann', 'sstudent', 'not_eligible', 'fturner',
    ]);
    expect(await state(bulk.s, seq)).toEqual(await state(one.s, seq));
    expect(bulk.warnings).toEqual([]);
  });
});
