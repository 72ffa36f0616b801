import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../app/app-context.js';
import { recordLedger } from '../app/billing-run.js';
import { createAccount } from '../app/accounts.js';
import { addPerson } from '../app/people.js';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import { BUILT_IN_TEMPLATES } from '../notify/templates.js';
import { runJobs } from './run-jobs.js';
import { JobScheduler, type SchedulerTimer } from './scheduler.js';
import { targetRegistry } from '../targets/registry.js';

/** A clock the test moves, and a timer that only remembers when it should fire. */
function fakeTime(start: string) {
  let now = new Date(start);
  let pending: { readonly callback: () => void; readonly at: number } | undefined;
  const timer: SchedulerTimer = {
    set(callback, ms) {
      pending = { callback, at: now.getTime() + ms };
      return pending;
    },
    clear() {
      pending = undefined;
    },
  };
  return {
    clock: { now: () => new Date(now.getTime()) },
    timer,
    set(iso: string) {
      now = new Date(iso);
    },
    /** When the armed timer is due, as an ISO time. */
    get due(): string | undefined {
      return pending === undefined ? undefined : new Date(pending.at).toISOString();
    },
    /** Fires the armed timer now, whatever the clock says (a timer may fire early). */
    fire() {
      const p = pending;
      pending = undefined;
      p?.callback();
    },
  };
}

const sqlite = storeFactories.find((f) => f.name === 'sqlite');

describe('the job scheduler with an injected clock (Europe/Berlin)', () => {
  let opened: OpenedTestStore;
  let ctx: AppContext;
  let time: ReturnType<typeof fakeTime>;
  const deps = { mailer: null, templates: BUILT_IN_TEMPLATES, targets: targetRegistry };

  beforeEach(async () => {
    if (sqlite === undefined) throw new Error('no SQLite store factory');
    opened = await sqlite.open();
    time = fakeTime('2026-03-09T04:00:00Z');
    const config = parseConfig(`timeZone: Europe/Berlin\n${exampleConfig()}`, '/srv/roster/roster.yaml').config;
    ctx = { store: opened.store, config, clock: time.clock, actor: 'test', hmacKey: Buffer.alloc(32, 1), hasher: { hash: () => '$y$x' }, log: { info: () => undefined, warn: () => undefined } };
  });
  afterEach(async () => opened.cleanup());

  const scheduler = (jobs: ReadonlyArray<{ name: string; schedule: string }>): JobScheduler =>
    new JobScheduler({ jobs, timeZone: 'Europe/Berlin', clock: time.clock, timer: time.timer, log: { warn: (m) => { throw new Error(m); } }, runDue: async (job) => { await runJobs(ctx, deps, { job: job as 'purge' | 'billing' }); } });

  it('runs the purge at 04:50 in the zone, not before, and once per slot', async () => {
    await addPerson(ctx, { id: 'P1', firstName: 'Ada', lastName: 'Leaving', roles: ['MEMBER'] });
    await createAccount(ctx, { personId: 'P1', type: 'member', username: 'ada' });
    // Retired on 2026-02-08 with P = 30: purge at 2026-03-10 00:00 Berlin.
    await ctx.store.transaction((tx) => tx.updateAccount(1, { purgeAt: '2026-03-09T23:00:00.000Z' }));
    // Yesterday's 04:50 slot already ran (from cron, say).
    time.set('2026-03-09T04:00:00Z');
    await runJobs(ctx, deps, { job: 'purge' });
    expect((await ctx.store.read.getAccount('ada'))?.purgedAt).toBeNull();

    time.set('2026-03-10T02:00:00Z'); // 03:00 in Berlin
    const s = scheduler([{ name: 'purge', schedule: '50 4 * * *' }]);
    s.start();
    await s.idle();
    expect(await ctx.store.read.listJobRuns({ job: 'purge' })).toHaveLength(1);
    expect(time.due).toBe('2026-03-10T03:50:00.000Z');

    // A timer that fires a second early finds nothing due and sleeps again.
    time.set('2026-03-10T03:49:59Z');
    time.fire();
    await s.idle();
    expect(await ctx.store.read.listJobRuns({ job: 'purge' })).toHaveLength(1);
    expect((await ctx.store.read.getAccount('ada'))?.purgedAt).toBeNull();
    expect(time.due).toBe('2026-03-10T03:50:00.000Z');

    time.set('2026-03-10T03:50:00Z');
    time.fire();
    await s.idle();
    await new Promise((r) => setTimeout(r, 10));
    const runs = await ctx.store.read.listJobRuns({ job: 'purge' });
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ slot: '2026-03-10T03:50:00.000Z', result: 'ok', counts: { candidates: 1, purged: 1, failed: 0 } });
    expect((await ctx.store.read.getAccount('ada'))?.purgedAt).toBe('2026-03-10T03:50:00.000Z');
    expect(time.due).toBe('2026-03-11T03:50:00.000Z');
    await s.stop();
    expect(time.due).toBeUndefined();
  });

  it('billing warns, freezes and lifts on the right days', async () => {
    await addPerson(ctx, { id: 'M1', firstName: 'Dana', lastName: 'Dues', roles: ['MEMBER'], emails: { MEMBER: 'dana@example.org' } });
    time.set('2026-01-20T10:00:00Z');
    await createAccount(ctx, { personId: 'M1', type: 'member', username: 'dana' });
    await recordLedger(ctx, 'M1', 'payment', '22', undefined);
    time.set('2026-02-01T04:00:00Z');
    const s = scheduler([{ name: 'billing', schedule: '0 6 * * *' }]);
    s.start();
    await s.idle();
    for (let day = 0; day < 30; day++) {
      const due = time.due;
      if (due === undefined) throw new Error('the scheduler is not armed');
      time.set(due);
      time.fire();
      await s.idle();
      await new Promise((r) => setTimeout(r, 5));
    }
    await s.stop();
    const events = (await ctx.store.read.listMessages()).map((m) => `${m.queuedAt.slice(0, 16)} ${m.kind}`);
    // One run a day at 06:00 Berlin (05:00 UTC), the first a catch-up at start.
    expect((await ctx.store.read.listJobRuns({ job: 'billing' })).map((r) => r.slot.slice(0, 16)).slice(0, 3)).toEqual(['2026-03-02T05:00', '2026-03-01T05:00', '2026-02-28T05:00']);
    // 06:00 Berlin is 05:00 UTC. The catch-up run at start (Jan 31's slot) posted
    // February's dues: 12 left lasts 36 days, inside the 45-day warning lead.
    expect(events.sort()).toEqual(['2026-02-01T04:00 billing-warning', '2026-03-01T05:00 frozen']);
    time.set('2026-03-02T09:00:00Z');
    const paid = await recordLedger(ctx, 'M1', 'payment', '50', undefined);
    expect(paid.billing.action).toBe('lift');
    expect((await ctx.store.read.listMessages({ limit: 1 }))[0]).toMatchObject({ kind: 'unfrozen', recipient: 'dana@example.org' });
    expect((await ctx.store.read.getAccount('dana'))?.holds).toEqual([]);
  });
});
