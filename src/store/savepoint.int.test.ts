import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import { storeFactories, type OpenedTestStore } from './test-stores.js';

const t = '2026-01-01T00:00:00.000Z';
const person = (id: string): Person => ({
  id, source: 'manual', firstName: 'A', lastName: id, roles: [], classes: [], campuses: [], majors: [], emails: {}, verification: {}, createdAt: t, updatedAt: t,
});

describe.each(storeFactories)('savepoints on $name', (factory) => {
  let s: OpenedTestStore;
  beforeAll(async () => {
    s = await factory.open();
  });
  afterAll(async () => s.cleanup());

  it('a failing item undoes only its own writes and audit record; the rest of the batch commits', async () => {
    const results = await s.store.transaction(async (tx) => {
      const out: string[] = [];
      for (const id of ['A', 'B', 'C']) {
        try {
          await tx.savepoint(async () => {
            await tx.putPerson(person(id));
            await tx.appendAudit({ at: t, actor: 'test', action: 'person.add', target: `person:${id}`, before: null, after: { id }, result: 'ok' });
            if (id === 'B') throw new RosterError('bad_input', 'B is bad');
          });
          out.push(`${id}:ok`);
        } catch (e) {
          out.push(`${id}:${(e as RosterError).code}`);
        }
      }
      return out;
    });
    expect(results).toEqual(['A:ok', 'B:bad_input', 'C:ok']);
    expect(await s.store.read.getPerson('A')).toBeDefined();
    expect(await s.store.read.getPerson('B')).toBeUndefined();
    expect(await s.store.read.getPerson('C')).toBeDefined();
    const audit = await s.store.read.listAudit();
    expect(audit.map((r) => [r.seq, r.target])).toEqual([[1, 'person:A'], [2, 'person:C']]);
    expect((await s.store.read.auditHead()).seq).toBe(2);
  });
});
