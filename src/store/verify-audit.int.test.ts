import fc from 'fast-check';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditHash, GENESIS_HASH } from './audit-chain.js';
import type { AuditRecord } from './store.js';
import { storeFactories, type OpenedTestStore } from './test-stores.js';
import { verifyAudit, type AuditProblemKind, type AuditVerification } from './verify-audit.js';

const N = 20;

describe.each(storeFactories)('verifyAudit on $name', (factory) => {
  let opened: OpenedTestStore;
  let chain: AuditRecord[];

  beforeEach(async () => {
    opened = await factory.open();
    chain = [];
    for (let i = 1; i <= N; i++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
      chain.push(
        await opened.store.transaction((q) =>
          q.appendAudit({ at, actor: `cli:user${i % 3}`, action: i % 2 === 0 ? 'account.freeze' : 'account.create', target: `account:u${i}`, before: i === 1 ? null : { n: i - 1 }, after: { n: i, tags: ['a', 'b'] }, result: 'ok' }),
        ),
      );
    }
  });
  afterEach(async () => {
    await opened.cleanup();
  });

  const record = (seq: number): AuditRecord => {
    const r = chain[seq - 1];
    if (r === undefined) throw new Error(`no record ${seq}`);
    return r;
  };
  // Small pages, so anomalies straddle page boundaries.
  const verify = (expectHead?: string): Promise<AuditVerification> =>
    verifyAudit(opened.store.read, { pageSize: 3, ...(expectHead === undefined ? {} : { expectHead }) });
  const kinds = (v: AuditVerification): Array<[number, AuditProblemKind]> => v.problems.map((p) => [p.seq, p.kind]);
  const setHeadTo = async (seq: number): Promise<void> => {
    await opened.raw.updateTable('audit_head').set({ seq, hash: seq === 0 ? GENESIS_HASH : record(seq).hash }).where('id', '=', 1).execute();
  };
  const moveRow = async (from: number, to: number): Promise<void> => {
    await opened.raw.updateTable('audit').set({ seq: to }).where('seq', '=', from).execute();
  };

  it('an untouched chain verifies, with its head', async () => {
    const v = await verify();
    expect(v).toEqual({ ok: true, records: N, head: { seq: N, hash: record(N).hash }, problems: [] });
    expect((await verifyAudit(opened.store.read)).ok).toBe(true);
    expect((await verify(`${N}:${record(N).hash}`)).ok).toBe(true);
    expect((await verify(record(N).hash.toUpperCase())).ok).toBe(true);
    // An older kept head is fine too: the chain has only grown since.
    expect((await verify(`7:${record(7).hash}`)).ok).toBe(true);
  });

  it('an empty chain verifies', async () => {
    const fresh = await factory.open();
    try {
      expect(await verifyAudit(fresh.store.read)).toEqual({ ok: true, records: 0, head: { seq: 0, hash: GENESIS_HASH }, problems: [] });
    } finally {
      await fresh.cleanup();
    }
  });

  it('detects an edited field as edited', async () => {
    await opened.raw.updateTable('audit').set({ actor: 'cli:mallory' }).where('seq', '=', 5).execute();
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(kinds(v)).toEqual([[5, 'edited']]);
  });

  it('detects edited JSON and result values', async () => {
    await opened.raw.updateTable('audit').set({ after: '{"n":9,"tags":["a"]}' }).where('seq', '=', 9).execute();
    await opened.raw.updateTable('audit').set({ result: 'failed' }).where('seq', '=', 12).execute();
    await opened.raw.updateTable('audit').set({ before: 'not json' }).where('seq', '=', 15).execute();
    expect(kinds(await verify())).toEqual([
      [9, 'edited'],
      [12, 'edited'],
      [15, 'edited'],
    ]);
  });

  it('sees through reformatted JSON: only meaning is hashed', async () => {
    await opened.raw.updateTable('audit').set({ after: '{ "tags": ["a", "b"], "n": 9 }' }).where('seq', '=', 9).execute();
    expect((await verify()).ok).toBe(true);
  });

  it('detects an edit whose hash was recomputed (the next record no longer links)', async () => {
    const forged = { ...record(5), actor: 'cli:mallory' };
    await opened.raw.updateTable('audit').set({ actor: forged.actor, hash: auditHash(forged) }).where('seq', '=', 5).execute();
    expect(kinds(await verify())).toEqual([[5, 'edited']]);
  });

  it('detects a deleted middle record as deleted', async () => {
    await opened.raw.deleteFrom('audit').where('seq', '=', 10).execute();
    const v = await verify();
    expect(kinds(v)).toEqual([[10, 'deleted']]);
    expect(v.problems[0]?.message).toContain('record 10 is missing');
  });

  it('detects several deleted records and a deleted first record', async () => {
    await opened.raw.deleteFrom('audit').where('seq', 'in', [1, 11, 12, 13]).execute();
    expect(kinds(await verify())).toEqual([
      [1, 'deleted'],
      [11, 'deleted'],
    ]);
  });

  it('detects two swapped rows as reordered', async () => {
    await moveRow(5, -1);
    await moveRow(8, 5);
    await moveRow(-1, 8);
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(kinds(v)).toEqual([
      [5, 'reordered'],
      [8, 'reordered'],
    ]);
  });

  it('detects two swapped neighbours as reordered', async () => {
    await moveRow(7, -1);
    await moveRow(8, 7);
    await moveRow(-1, 8);
    expect(kinds(await verify())).toEqual([
      [7, 'reordered'],
      [8, 'reordered'],
    ]);
  });

  it('detects swapped contents under kept seqs as reordered', async () => {
    // Same rows, every column but seq exchanged: what an UPDATE … FROM swap does.
    for (const [seq, from] of [
      [4, record(14)],
      [14, record(4)],
    ] as const) {
      await opened.raw
        .updateTable('audit')
        .set({ at: from.at, actor: from.actor, action: from.action, target: from.target, before: JSON.stringify(from.before), after: JSON.stringify(from.after), result: from.result, prev_hash: from.prevHash, hash: from.hash })
        .where('seq', '=', seq)
        .execute();
    }
    expect(kinds(await verify())).toEqual([
      [4, 'reordered'],
      [14, 'reordered'],
    ]);
  });

  it('detects the last records deleted as truncated while audit_head remembers them', async () => {
    await opened.raw.deleteFrom('audit').where('seq', '>', 17).execute();
    const v = await verify();
    expect(kinds(v)).toEqual([[18, 'truncated']]);
    expect(v.head).toEqual({ seq: 17, hash: record(17).hash });
  });

  it('truncation with audit_head fixed to match is only caught by an expected head kept outside', async () => {
    await opened.raw.deleteFrom('audit').where('seq', '>', 17).execute();
    await setHeadTo(17);
    expect((await verify()).ok).toBe(true);
    expect(kinds(await verify(`${N}:${record(N).hash}`))).toEqual([[18, 'truncated']]);
    expect(kinds(await verify(record(N).hash))).toEqual([[18, 'truncated']]);
    expect((await verify(`17:${record(17).hash}`)).ok).toBe(true);
  });

  it('a wholly emptied log with a reset head is caught by an expected head', async () => {
    await opened.raw.deleteFrom('audit').execute();
    await setHeadTo(0);
    expect((await verify()).ok).toBe(true);
    expect(kinds(await verify(`${N}:${record(N).hash}`))).toEqual([[1, 'truncated']]);
  });

  it('detects an audit_head that does not match the last record', async () => {
    await opened.raw.updateTable('audit_head').set({ hash: 'f'.repeat(64) }).where('id', '=', 1).execute();
    expect(kinds(await verify())).toEqual([[N, 'head-mismatch']]);
    await setHeadTo(15);
    expect(kinds(await verify())).toEqual([[15, 'head-mismatch']]);
  });

  it('detects records appended behind Roster’s back', async () => {
    const extra = { ...record(N), seq: N + 1, prevHash: record(N).hash };
    const hash = auditHash(extra);
    await sql`insert into audit (seq, at, actor, action, target, before, after, result, prev_hash, hash)
      values (${extra.seq}, ${extra.at}, ${extra.actor}, ${extra.action}, ${extra.target}, ${JSON.stringify(extra.before)}, ${JSON.stringify(extra.after)}, ${extra.result}, ${extra.prevHash}, ${hash})`.execute(opened.raw);
    expect(kinds(await verify())).toEqual([[N, 'head-mismatch']]);
  });

  it('detects a rewritten chain that no longer contains the expected head', async () => {
    const v = await verify(`12:${'a'.repeat(64)}`);
    expect(kinds(v)).toEqual([[12, 'head-mismatch']]);
  });

  it('refuses a malformed expected head', async () => {
    await expect(verify('12:nothex')).rejects.toMatchObject({ code: 'bad_input' });
  });

  it('keeps verifying while records are appended concurrently', async () => {
    const appends = Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        opened.store.transaction((q) => q.appendAudit({ at: '2026-02-01T00:00:00.000Z', actor: 'test', action: 'x', target: `t${i}`, before: null, after: null, result: 'ok' })),
      ),
    );
    const v = await verifyAudit(opened.store.read, { pageSize: 2 });
    await appends;
    expect(v.problems).toEqual([]);
    expect((await verify()).records).toBe(N + 30);
  });
  it('classifies any single tampering (property)', async () => {
    const restore = async (): Promise<void> => {
      await opened.raw.deleteFrom('audit').execute();
      for (const r of chain) {
        await opened.raw
          .insertInto('audit')
          .values({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, target: r.target, before: JSON.stringify(r.before), after: JSON.stringify(r.after), result: r.result, prev_hash: r.prevHash, hash: r.hash })
          .execute();
      }
      await setHeadTo(N);
    };
    const seq = fc.integer({ min: 1, max: N });
    const field = fc.constantFrom('at', 'actor', 'action', 'target', 'before', 'after', 'result', 'prev_hash', 'hash');
    const op = fc.oneof(
      fc.record({ op: fc.constant('edit' as const), seq, field }),
      fc.record({ op: fc.constant('delete' as const), seq }),
      fc.record({ op: fc.constant('swap' as const), a: seq, b: seq }).filter((x) => x.a !== x.b),
      fc.record({ op: fc.constant('truncate' as const), keep: fc.integer({ min: 0, max: N - 1 }) }),
    );
    await fc.assert(
      fc.asyncProperty(op, async (t) => {
        await restore();
        let expected: Array<[number, AuditProblemKind]>;
        let expectHead: string | undefined;
        switch (t.op) {
          case 'edit': {
            const value = t.field === 'before' || t.field === 'after' ? '{"forged":true}' : t.field === 'prev_hash' || t.field === 'hash' ? 'e'.repeat(64) : 'forged';
            await sql`update audit set ${sql.ref(t.field)} = ${value} where seq = ${t.seq}`.execute(opened.raw);
            // A forged stored hash of the last record also disagrees with audit_head.
            expected = t.field === 'hash' && t.seq === N ? [[N, 'edited'], [N, 'head-mismatch']] : [[t.seq, 'edited']];
            break;
          }
          case 'delete':
            await opened.raw.deleteFrom('audit').where('seq', '=', t.seq).execute();
            expected = [[t.seq, t.seq === N ? 'truncated' : 'deleted']];
            break;
          case 'swap':
            await moveRow(t.a, -1);
            await moveRow(t.b, t.a);
            await moveRow(-1, t.b);
            expected = [[Math.min(t.a, t.b), 'reordered'], [Math.max(t.a, t.b), 'reordered']];
            // The last position now holds another record, which audit_head does not name.
            if (Math.max(t.a, t.b) === N) expected.push([N, 'head-mismatch']);
            break;
          case 'truncate':
            await opened.raw.deleteFrom('audit').where('seq', '>', t.keep).execute();
            await setHeadTo(t.keep);
            expectHead = `${N}:${record(N).hash}`;
            expected = [[t.keep + 1, 'truncated']];
            break;
        }
        const v = await verify(expectHead);
        expect(v.ok).toBe(false);
        expect(kinds(v)).toEqual(expected);
      }),
      { numRuns: factory.name === 'sqlite' ? 60 : 25 },
    );
  }, 120_000);
});
