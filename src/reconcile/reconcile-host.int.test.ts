import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../app/app-context.js';
import { createAccount } from '../app/accounts.js';
import { freezeAccount, retireAccount } from '../app/lifecycle-actions.js';
import { addPerson } from '../app/people.js';
import { parseConfig } from '../config/load-config.js';
import { fixedClock } from '../domain/clock.js';
import { RosterError } from '../domain/errors.js';
import { openStore } from '../store/open-store.js';
import type { AnyTarget } from '../targets/registry.js';
import { defineTarget, type Change, type ChangeResult, type Target } from '../targets/target.js';
import { withApplyLock } from './apply-lock.js';
import { planHost } from './host-plan.js';
import { planView } from './plan-view.js';
import { reconcileHost } from './reconcile-host.js';

/**
 * The pipeline with two small targets written for the test (the Target
 * interface is the boundary, DESIGN.md §9.2): "first" plans one change per
 * account, failing for names in its config; "second" records what reached it.
 */
interface Journal {
  readonly applied: string[];
}

function firstTarget(journal: Journal): Target<{ readonly fail: readonly string[]; readonly destructive: boolean }, null> {
  return defineTarget({
    name: 'first',
    hostSettings: z.strictObject({ fail: z.array(z.string()).default([]), destructive: z.boolean().default(false) }),
    observe: async () => null,
    plan: (desired, _o, config) =>
      [...desired.accounts.map((a) => ({ target: 'first', action: 'touch', subject: `user:${a.username}`, summary: `touch ${a.username}`, destructive: config.destructive, data: a.username })),
       ...desired.removed.map((r) => ({ target: 'first', action: 'drop', subject: `user:${r.username}`, summary: `drop ${r.username}`, destructive: true }))],
    apply: async (_ctx, config, changes) =>
      changes.map((change): ChangeResult => {
        journal.applied.push(`first ${change.subject}`);
        const name = change.subject.slice(5);
        return config.fail.includes(name) ? { change, ok: false, error: `cannot touch ${name}` } : { change, ok: true, detail: { touched: name } };
      }),
  });
}

function secondTarget(journal: Journal, options: { readonly throws?: boolean; readonly unavailable?: boolean } = {}): Target<Record<string, never>, null> {
  return defineTarget({
    name: 'second',
    hostSettings: z.strictObject({}),
    observe: async () => {
      if (options.unavailable === true) throw new Error('setquota: command not found');
      return null;
    },
    plan: (desired) => [
      ...desired.accounts.map((a): Change => ({ target: 'second', action: 'follow', subject: `group:${a.username}`, account: a.username, summary: `follow ${a.username}`, destructive: false })),
      { target: 'second', action: 'ensure', subject: 'file:/etc/x', summary: 'every time', destructive: false, recurring: true },
    ],
    apply: async (_ctx, _config, changes) => {
      if (options.throws === true) throw new Error('disk on fire');
      return changes.map((change) => {
        journal.applied.push(`second ${change.subject}`);
        return { change, ok: true };
      });
    },
  });
}

const CONFIG = (first: string) => `
hosts:
  h:
    targets:
      second: {}
      first: ${first}
  other: {}
breaker: { count: 2, percent: 0 }
types:
  t:
    auth: locked
    hosts: { live: [h] }
`;

let dir: string;
let ctx: AppContext;
let journal: Journal;

async function context(first = '{}'): Promise<AppContext> {
  const store = await openStore(join(dir, 'roster.db'));
  return {
    store,
    config: parseConfig(CONFIG(first), 'roster.yaml').config,
    clock: fixedClock(new Date('2026-11-23T12:00:00Z')),
    actor: 'test',
    hmacKey: Buffer.alloc(32, 1),
    hasher: { hash: () => '!' },
    log: { info: () => undefined, warn: () => undefined },
  };
}

async function account(c: AppContext, name: string): Promise<void> {
  await addPerson(c, { id: `P-${name}`, firstName: 'T', lastName: name });
  await createAccount(c, { personId: `P-${name}`, type: 't', username: name });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roster-reconcile-'));
  mkdirSync(join(dir, 'root'));
  journal = { applied: [] };
});
afterEach(async () => {
  await ctx.store.close();
  await rm(dir, { recursive: true, force: true });
});

const root = (): string => join(dir, 'root');

describe('reconcile pipeline', () => {
  it('plans enabled targets in registry order, not config order, and counts recurring changes apart', async () => {
    ctx = await context();
    await account(ctx, 'ann');
    const targets = [firstTarget(journal), secondTarget(journal)] as readonly AnyTarget[];
    const view = planView((await planHost(ctx, targets, { host: 'h', root: root() })).plan);
    expect(view.changes.map((c) => `${c.target} ${c.action}`)).toEqual(['first touch', 'second follow', 'second ensure']);
    expect([view.pending, view.recurring]).toEqual([2, 1]);
    // A host that runs no targets has nothing to do.
    expect(planView((await planHost(ctx, targets, { host: 'other', root: root() })).plan).changes).toEqual([]);
  });

  it("skips an account's later changes once one failed, applies everyone else, and audits one record per applied change", async () => {
    ctx = await context('{ fail: [bea] }');
    await account(ctx, 'ann');
    await account(ctx, 'bea');
    const head = (await ctx.store.read.auditHead()).seq;
    const { report } = await reconcileHost(ctx, [firstTarget(journal), secondTarget(journal)] as readonly AnyTarget[], { host: 'h', root: root() });
    expect(report.outcomes.map((o) => `${o.target} ${o.subject} ${o.status}`)).toEqual([
      'first user:ann ok',
      'first user:bea failed',
      'second group:ann ok',
      'second group:bea skipped',
      'second file:/etc/x ok',
    ]);
    expect(journal.applied).toEqual(['first user:ann', 'first user:bea', 'second group:ann', 'second file:/etc/x']);
    const records = await ctx.store.read.listAudit({ afterSeq: head });
    expect(records.map((r) => `${r.action} ${r.target} ${r.result}`)).toEqual([
      'apply.touch host:h/first/user:ann ok',
      'apply.touch host:h/first/user:bea failed',
      'apply.follow host:h/second/group:ann ok',
      'apply.ensure host:h/second/file:/etc/x ok',
    ]);
    expect(records[0]?.after).toMatchObject({ summary: 'touch ann', account: 'ann', detail: { touched: 'ann' } });
    expect(records[1]?.after).toMatchObject({ error: 'cannot touch bea' });
  });

  it('a target that throws fails its own changes and the run goes on', async () => {
    ctx = await context();
    await account(ctx, 'ann');
    const { report } = await reconcileHost(ctx, [firstTarget(journal), secondTarget(journal, { throws: true })] as readonly AnyTarget[], { host: 'h', root: root() });
    expect(report.outcomes.map((o) => `${o.target} ${o.status} ${o.error ?? ''}`.trim())).toEqual(['first ok', 'second failed disk on fire', 'second failed disk on fire']);
  });

  it('an unavailable target stops the whole host before any change (exit 69)', async () => {
    ctx = await context();
    await account(ctx, 'ann');
    const err = await reconcileHost(ctx, [firstTarget(journal), secondTarget(journal, { unavailable: true })] as readonly AnyTarget[], { host: 'h', root: root() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RosterError);
    expect((err as RosterError).exitCode).toBe(69);
    expect((err as RosterError).issues).toEqual([{ where: 'target second', message: 'setquota: command not found' }]);
    expect(journal.applied).toEqual([]);
  });

  it('the circuit breaker counts accounts, not changes, and stops before the first change unless allowed', async () => {
    ctx = await context('{ destructive: true }');
    for (const n of ['ann', 'bea', 'cid']) await account(ctx, n);
    const targets = [firstTarget(journal), secondTarget(journal)] as readonly AnyTarget[];
    const err = await reconcileHost(ctx, targets, { host: 'h', root: root() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RosterError);
    expect((err as RosterError).code).toBe('mass_change');
    expect((err as RosterError).message).toMatch(/would remove 3 of 3 accounts, over the limit of 2/);
    expect(journal.applied).toEqual([]);
    const refused = (await ctx.store.read.listAudit({ target: 'host:h' })).at(-1);
    expect(refused).toMatchObject({ action: 'apply.refused', result: 'refused', after: { affected: 3, total: 3, limit: 2 } });
    const { report } = await reconcileHost(ctx, targets, { host: 'h', root: root() }, { allowMassChange: true });
    expect(report.outcomes.filter((o) => o.status === 'ok')).toHaveLength(7);
  });

  it('purged accounts count for the breaker through their removal changes', async () => {
    ctx = await context();
    for (const n of ['ann', 'bea', 'cid', 'dee']) await account(ctx, n);
    await freezeAccount(ctx, 'ann', { reason: 'admin' });
    for (const n of ['bea', 'cid', 'dee']) await retireAccount(ctx, n, { deleteAfter: 0 });
    const err = await reconcileHost(ctx, [firstTarget(journal), secondTarget(journal)] as readonly AnyTarget[], { host: 'h', root: root() }).catch((e: unknown) => e);
    expect((err as RosterError).message).toMatch(/would remove 3 of 4 accounts/);
  });

  it('rejects an unknown host and a target section the registry does not know', async () => {
    ctx = await context();
    const targets = [firstTarget(journal)] as readonly AnyTarget[];
    await expect(planHost(ctx, targets, { host: 'nope', root: root() })).rejects.toThrow(/no host "nope"/);
    await expect(planHost(ctx, targets, { host: 'h', root: root() })).rejects.toThrow(/unknown targets: second/);
  });
});

describe('apply lock', () => {
  it('lets one apply at a time run on a root, times out with lock_timeout, and breaks a stale lock', async () => {
    ctx = await context();
    let release!: () => void;
    const held = withApplyLock(root(), 1000, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 50));
    const err = await withApplyLock(root(), 200, async () => 'ran').catch((e: unknown) => e);
    expect((err as RosterError).code).toBe('lock_timeout');
    expect((err as RosterError).exitCode).toBe(75);
    release();
    await held;
    expect(await withApplyLock(root(), 200, async () => 'ran')).toBe('ran');
    // A lock left by a process that cannot exist (Linux PIDs stop at 2^22) is stale.
    writeFileSync(join(root(), 'var/lib/roster/apply.lock'), '4194305\n');
    expect(await withApplyLock(root(), 200, async () => 'ran')).toBe('ran');
  });
});
