import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import { readAuditFilter, searchAudit } from './audit-search.js';

async function refusal(f: () => unknown): Promise<RosterError> {
  const e: unknown = await Promise.resolve().then(f).then(() => undefined, (x: unknown) => x);
  if (!(e instanceof RosterError)) throw new Error(`expected a RosterError, got ${String(e)}`);
  return e;
}

describe.each(storeFactories)('audit search on $name', (factory) => {
  let s: OpenedTestStore;

  beforeAll(async () => {
    s = await factory.open();
    // 30 records a minute apart from 2026-01-01T00:01Z: three actors, two actions, ten targets.
    for (let i = 1; i <= 30; i++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
      const actor = ['cli:alice', 'console:root1(admin)', 'token:3(operator)'][i % 3] ?? '';
      await s.store.transaction((q) => q.appendAudit({ at, actor, action: i % 2 === 0 ? 'account.freeze' : 'token.create', target: `account:u${i % 10}`, before: null, after: { n: i }, result: 'ok' }));
    }
  });
  afterAll(async () => {
    await s.cleanup();
  });

  const seqs = async (input: Parameters<typeof readAuditFilter>[0], limit = 100): Promise<number[]> => (await searchAudit(s.store.read, readAuditFilter(input, 'UTC'), limit)).records.map((r) => r.seq);

  it('lists newest first and pages by key to the end', async () => {
    const first = await searchAudit(s.store.read, readAuditFilter({}, 'UTC'), 12);
    expect(first.records.map((r) => r.seq)).toEqual([30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19]);
    expect(first.next).toBe(19);
    const second = await searchAudit(s.store.read, readAuditFilter({ before: String(first.next) }, 'UTC'), 12);
    expect(second.records[0]?.seq).toBe(18);
    const third = await searchAudit(s.store.read, readAuditFilter({ before: String(second.next) }, 'UTC'), 12);
    expect(third.records.map((r) => r.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(third.next).toBeNull();
  });

  it('filters by actor and action prefix, exact target and time range, together', async () => {
    expect(await seqs({ actor: 'console:' })).toEqual([28, 25, 22, 19, 16, 13, 10, 7, 4, 1]);
    // A prefix, not a pattern: % and _ match only themselves, and case counts.
    expect(await seqs({ actor: 'cli:%' })).toEqual([]);
    expect(await seqs({ actor: 'CLI:' })).toEqual([]);
    expect(await seqs({ action: 'token.' })).toEqual([29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1]);
    expect(await seqs({ target: 'account:u3' })).toEqual([23, 13, 3]);
    expect(await seqs({ target: 'account:u' })).toEqual([]);
    // From is inclusive, to exclusive; a wall time without offset is in the zone given.
    expect(await seqs({ from: '2026-01-01T00:10', to: '2026-01-01T00:13' })).toEqual([12, 11, 10]);
    expect((await searchAudit(s.store.read, readAuditFilter({ from: '2026-01-01T01:10', to: '2026-01-01T01:13' }, 'Europe/Paris'), 100)).records.map((r) => r.seq)).toEqual([12, 11, 10]);
    expect(await seqs({ actor: 'cli:alice', action: 'account.', from: '2026-01-01T00:07Z', to: '2026-01-01T00:30Z' })).toEqual([24, 18, 12]);
  });

  it('refuses bad fields, naming each', async () => {
    const e = await refusal(() => readAuditFilter({ from: 'yesterday', to: '2026-02-30', before: '-1', actor: 'a\u0007b' }, 'UTC'));
    expect(e.code).toBe('bad_input');
    expect(e.issues.map((i) => i.where).sort()).toEqual(['actor', 'before', 'from', 'to']);
    const order = await refusal(() => readAuditFilter({ from: '2026-01-02', to: '2026-01-01' }, 'UTC'));
    expect(order.issues).toEqual([{ where: 'to', message: 'must be after from' }]);
  });
});
