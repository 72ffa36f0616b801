import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { accountState, effectiveHolds, type Account } from '../domain/account.js';
import type { Clock } from '../domain/clock.js';
import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import type { AccountSearchQuery } from '../store/store.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import type { AppContext } from './app-context.js';
import { countSearch, parseSearchFields, searchAccounts, searchAllUsernames, searchWithCount, type AccountSearchFilter } from './account-search.js';
import { createAccount, createAccounts } from './accounts.js';
import { freezeAccount, retireAccount } from './lifecycle-actions.js';
import { addPerson, updatePerson } from './people.js';

const config = parseConfig(exampleConfig(), 'roster.yaml').config;
const CREATED = '2026-05-01T10:00:00.000Z';
/** Bulk accounts: enough for three pages of 50. */
const BULK = 130;

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<RosterError> {
  const e: unknown = typeof p === 'function' ? await Promise.resolve().then(p).then(() => undefined, (x: unknown) => x) : await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof RosterError)) throw new Error(`expected a RosterError, got ${String(e)}`);
  return e;
}

/** The search spelled out over every account, as the reference the store's search must agree with. */
function expected(accounts: readonly Account[], people: ReadonlyMap<string, Person>, q: AccountSearchQuery): number[] {
  const now = new Date(q.now);
  const lower = (x: string): string => x.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return accounts
    .filter((a) => a.id > (q.afterId ?? 0))
    .filter((a) => {
      const p = people.get(a.personId);
      if (p === undefined) return false;
      const fields = [a.username, a.personId, p.firstName, p.lastName, ...Object.values(p.emails)].map(lower);
      if (!q.words.every((w) => fields.some((f) => f.startsWith(w)))) return false;
      if (q.types !== undefined && !q.types.includes(a.type)) return false;
      if (q.source !== undefined && p.source !== q.source) return false;
      const hold = q.hold;
      if (hold !== undefined && !effectiveHolds(a, now).some((h) => h.kind === hold.kind && (hold.kind === 'retired' || hold.reason === undefined || hold.reason === h.reason))) return false;
      const state = accountState(a, now);
      return q.state === undefined ? state !== 'purged' : state === q.state;
    })
    .map((a) => a.id)
    .slice(0, q.limit);
}

describe.each(storeFactories)('account search on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;
  let now = new Date('2026-05-01T10:00:00Z');
  const clock: Clock = { now: () => now };
  const usernames = async (filter: AccountSearchFilter): Promise<string[]> => (await searchAccounts(ctx, filter)).items.map((h) => h.account.username);

  beforeAll(async () => {
    s = await factory.open();
    ctx = exampleAppContext(s.store, clock, { config });
    await addPerson(ctx, { id: 'M-1001', firstName: 'Ada', lastName: 'Lovelace', roles: ['MEMBER'], emails: { MEMBER: 'Ada.L@Example.org' } });
    await addPerson(ctx, { id: 'M-1002', firstName: 'Bob', lastName: 'Stone', roles: ['MEMBER'], emails: { MEMBER: 'bob@mail.example' }, source: 'school' });
    await addPerson(ctx, { id: 'S-2001', firstName: 'Cara', lastName: 'Adams', roles: ['MEMBER', 'STUDENT'], campuses: ['NB'], emails: { MEMBER: 'cara@home.example' }, source: 'school' });
    await addPerson(ctx, { id: 'M-1003', firstName: 'Dan', lastName: 'Ortiz', roles: ['MEMBER'], emails: { MEMBER: 'dan@mail.example' } });
    await addPerson(ctx, { id: 'M-1004', firstName: 'Eve', lastName: 'Park', roles: ['MEMBER'], emails: { MEMBER: 'eve@mail.example' } });
    await addPerson(ctx, { id: 'M-1005', firstName: 'Fay', lastName: 'Quinn', roles: ['MEMBER'], emails: {} });
    await addPerson(ctx, { id: 'M-1006', firstName: 'Gus', lastName: 'Reed', roles: ['MEMBER'], emails: { MEMBER: 'gus@mail.example' } });
    await addPerson(ctx, { id: 'M-1007', firstName: 'Hal', lastName: 'Shaw', roles: ['MEMBER'], emails: { MEMBER: 'hal@mail.example' } });
    await createAccount(ctx, { personId: 'M-1001', type: 'member', username: 'ada' });
    await createAccount(ctx, { personId: 'M-1002', type: 'member', username: 'bstone' });
    await createAccount(ctx, { personId: 'S-2001', type: 'student', username: 'cadams' });
    await createAccount(ctx, { personId: 'S-2001', type: 'member', username: 'cara' });
    await createAccount(ctx, { personId: 'M-1003', type: 'member', username: 'dortiz' });
    await createAccount(ctx, { personId: 'M-1004', type: 'member', username: 'epark' });
    await createAccount(ctx, { personId: 'M-1005', type: 'member', username: 'fquinn' });
    await createAccount(ctx, { personId: 'M-1006', type: 'member', username: 'greed' });
    await createAccount(ctx, { personId: 'M-1007', type: 'member', username: 'hshaw', pending: true });
    await freezeAccount(ctx, 'bstone', { reason: 'billing' });
    await freezeAccount(ctx, 'fquinn', { reason: 'admin' });
    // Retired now (disabled), retired in 10 days (still active), purged.
    await retireAccount(ctx, 'dortiz', { deactivateAfter: 0, deleteAfter: 90 });
    await retireAccount(ctx, 'epark', { deactivateAfter: 10, deleteAfter: 90 });
    await retireAccount(ctx, 'greed', { deactivateAfter: 0, deleteAfter: 0 });
    await s.store.transaction((tx) =>
      tx.putPeople(
        Array.from({ length: BULK }, (_, i) => ({
          id: `B-${String(i).padStart(4, '0')}`, source: i % 2 === 0 ? 'manual' : 'school', firstName: 'Bulk', lastName: `Member${i}`, roles: ['MEMBER'], classes: [], campuses: [], majors: [],
          emails: { MEMBER: `bulk${i}@bulk.example` }, verification: {}, createdAt: CREATED, updatedAt: CREATED,
        })),
      ),
    );
    const made = await createAccounts(ctx, Array.from({ length: BULK }, (_, i) => ({ personId: `B-${String(i).padStart(4, '0')}`, type: 'member', username: `bulk${i}x` })));
    expect(made.every((r) => r.ok)).toBe(true);
    for (let i = 0; i < BULK; i += 10) await freezeAccount(ctx, `bulk${i}x`, { reason: 'billing' });
  }, 120_000);
  afterAll(async () => s.cleanup());

  it('finds by e-mail (any case, by prefix), username, person id, first and last name, and by several words together', async () => {
    expect(await usernames({ q: 'ada.l@example.ORG' })).toEqual(['ada']);
    expect(await usernames({ q: 'Ada.L' })).toEqual(['ada']);
    expect(await usernames({ q: 'bob@' })).toEqual(['bstone']);
    expect(await usernames({ q: 'BSTO' })).toEqual(['bstone']);
    expect(await usernames({ q: 'm-1001' })).toEqual(['ada']);
    expect(await usernames({ q: 'S-2001' })).toEqual(['cadams', 'cara']);
    expect(await usernames({ q: 'lovelace' })).toEqual(['ada']);
    // "ada" begins a username and a first name; "adams" a last name.
    expect(await usernames({ q: 'ada' })).toEqual(['ada', 'cadams', 'cara']);
    expect(await usernames({ q: 'cara adams' })).toEqual(['cadams', 'cara']);
    expect(await usernames({ q: 'cara bob' })).toEqual([]);
    // A prefix, not a substring: the middle of an address finds nothing.
    expect(await usernames({ q: 'mail.example' })).toEqual([]);
    const hit = (await searchAccounts(ctx, { q: 'bob@mail.example' })).items[0];
    expect(hit).toMatchObject({ firstName: 'Bob', lastName: 'Stone', emails: ['bob@mail.example'], account: { username: 'bstone', type: 'member', state: 'disabled' } });
  });

  it('finds a changed e-mail address and no longer the old one', async () => {
    await updatePerson(ctx, 'M-1006', { emails: { MEMBER: 'gus.new@mail.example' } });
    await updatePerson(ctx, 'M-1007', { emails: { MEMBER: 'hal.new@mail.example' } });
    expect(await usernames({ q: 'hal.new' })).toEqual(['hshaw']);
    expect(await usernames({ q: 'hal@' })).toEqual([]);
  });

  it('filters by state, hold, type, source and host, alone and together', async () => {
    expect(await usernames({ state: 'pending' })).toEqual(['hshaw']);
    expect(await usernames({ state: 'purged' })).toEqual(['greed']);
    expect(await usernames({ state: 'disabled', q: 'b' })).toEqual(['bstone', 'bulk0x', 'bulk10x', 'bulk20x', 'bulk30x', 'bulk40x', 'bulk50x', 'bulk60x', 'bulk70x', 'bulk80x', 'bulk90x', 'bulk100x', 'bulk110x', 'bulk120x']);
    expect(await usernames({ state: 'active', q: 'e' })).toEqual(['epark']);
    // Tombstones only when asked for by state.
    expect(await usernames({ q: 'greed' })).toEqual([]);
    expect(await usernames({ hold: 'billing', source: 'manual' })).toEqual(['bulk0x', 'bulk10x', 'bulk20x', 'bulk30x', 'bulk40x', 'bulk50x', 'bulk60x', 'bulk70x', 'bulk80x', 'bulk90x', 'bulk100x', 'bulk110x', 'bulk120x']);
    expect(await usernames({ hold: 'admin' })).toEqual(['fquinn']);
    expect(await usernames({ hold: 'frozen', q: 'f' })).toEqual(['fquinn']);
    // epark's retirement is 10 days away: not yet a hold in force.
    expect(await usernames({ hold: 'retired' })).toEqual(['dortiz']);
    expect(await usernames({ type: 'student' })).toEqual(['cadams']);
    expect(await usernames({ source: 'school', q: 'c' })).toEqual(['cadams', 'cara']);
    // Students live on shell only; members on shell and web.
    expect(await usernames({ host: 'web', q: 'ca' })).toEqual(['cara']);
    expect(await usernames({ host: 'shell', q: 'ca' })).toEqual(['cadams', 'cara']);
    expect(await usernames({ host: 'web', type: 'student' })).toEqual([]);
    const later = now;
    now = new Date('2026-05-12T10:00:00Z');
    try {
      expect(await usernames({ hold: 'retired' })).toEqual(['dortiz', 'epark']);
    } finally {
      now = later;
    }
  });

  it('pages 50 at a time in id order, without repeats or gaps, and counts the whole result', async () => {
    const seen: string[] = [];
    let after: number | undefined;
    let pages = 0;
    for (;;) {
      const page = await searchAccounts(ctx, { q: 'bulk' }, after);
      pages++;
      expect(page.items.length).toBe(page.next === null ? BULK % 50 : 50);
      seen.push(...page.items.map((h) => h.account.username));
      if (page.next === null) break;
      after = page.next;
    }
    expect(pages).toBe(Math.ceil(BULK / 50));
    expect(seen).toEqual(Array.from({ length: BULK }, (_, i) => `bulk${i}x`));
    expect(await searchAllUsernames(ctx, { q: 'bulk' })).toEqual(seen);
    expect(await searchAllUsernames(ctx, { hold: 'billing' })).toEqual(['bstone', ...seen.filter((_, i) => i % 10 === 0)]);
    expect(await countSearch(ctx, { q: 'bulk' })).toEqual({ count: BULK, more: false });
    expect(await countSearch(ctx, { q: 'bulk' }, 100)).toEqual({ count: 100, more: true });
    expect(await countSearch(ctx, { q: 'nobody-here' })).toEqual({ count: 0, more: false });
    // What the search page shows: the page, and the count from the rows themselves when one page holds them all; more than a page is counted only when asked.
    const both = await searchWithCount(ctx, { q: 'bulk' });
    expect([both.page.items.length, both.page.next !== null, both.count]).toEqual([50, true, null]);
    expect((await searchWithCount(ctx, { q: 'bulk' }, undefined, { count: true })).count).toEqual({ count: BULK, more: false });
    const one = await searchWithCount(ctx, { hold: 'admin' });
    expect([one.page.items.map((h) => h.account.username), one.count]).toEqual([['fquinn'], { count: 1, more: false }]);
    const later = await searchWithCount(ctx, { q: 'bulk' }, both.page.next ?? undefined, { count: true });
    expect([later.page.items.length, later.count]).toEqual([50, { count: BULK, more: false }]);
  });

  it('agrees with the search spelled out over every account, whether a window or an index range finds the matches', async () => {
    const accounts = await s.store.read.listAccounts({ includePurged: true });
    const people = new Map((await s.store.read.getPeople([...new Set(accounts.map((a) => a.personId))])).map((p) => [p.id, p]));
    const queries: Array<Omit<AccountSearchQuery, 'now' | 'limit'>> = [
      { words: [] },
      { words: ['bulk1'] },
      { words: ['bulk', 'member12'] },
      { words: ['s-2001'] },
      { words: ['ada'] },
      { words: [], hold: { kind: 'freeze', reason: 'billing' } },
      { words: [], hold: { kind: 'freeze' }, source: 'school' },
      { words: [], hold: { kind: 'retired' } },
      { words: [], state: 'disabled' },
      { words: [], state: 'pending' },
      { words: [], state: 'purged' },
      { words: [], state: 'active', source: 'school' },
      { words: ['b'], types: ['member'], state: 'active' },
      { words: [], types: ['student'] },
      { words: [], types: [] },
    ];
    for (const query of queries) {
      // A cap of 1 reads the window first, then the candidates after it; the default reads rare candidates alone.
      for (const [window, driverCap] of [[1, 1], [7, 1], [2_000, 1], [7, undefined]] as const) {
        for (const limit of [3, 50]) {
          for (const afterId of [undefined, 5, 40]) {
            const q: AccountSearchQuery = { ...query, now: now.toISOString(), limit, window, driverCap, afterId };
            expect({ q, ids: await s.store.read.searchAccountIds(q) }).toEqual({ q, ids: expected(accounts, people, q) });
          }
        }
      }
    }
  });

  it('reads a search from form fields, naming each bad field, and refuses a bad filter given in code', async () => {
    expect(parseSearchFields(config, { q: '  ada  ', state: 'active', hold: 'billing', type: 'member', source: 'school', host: 'shell', after: '12', extra: 'x' })).toEqual({
      filter: { q: 'ada', state: 'active', hold: 'billing', type: 'member', source: 'school', host: 'shell' },
      after: 12,
    });
    expect(parseSearchFields(config, { q: '', state: '' })).toEqual({ filter: { q: undefined, state: undefined, hold: undefined, type: undefined, source: undefined, host: undefined }, after: undefined });
    const e = await refusal(() => parseSearchFields(config, { state: 'frozen', hold: 'Bad Reason', type: 'nope', source: 'elsewhere', host: 'mars', after: '-1', q: 'x'.repeat(201) }));
    expect(e.code).toBe('bad_input');
    expect(e.issues.map((i) => i.where)).toEqual(['q', 'state', 'hold', 'type', 'source', 'host', 'after']);
    expect(e.issues.find((i) => i.where === 'host')?.message).toBe('no host "mars" (shell, web)');
    expect(e.issues.find((i) => i.where === 'state')?.message).toBe('"frozen" is not a state (active, pending, disabled, purged)');
    expect((await refusal(searchAccounts(ctx, { state: 'gone' as never }))).issues.map((i) => i.where)).toEqual(['state']);
    expect((await refusal(searchAllUsernames(ctx, { host: 'mars' }))).issues.map((i) => i.where)).toEqual(['host']);
  });
});
