import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import type { AppContext } from '../app/app-context.js';
import { BUILT_IN_TEMPLATES } from '../notify/templates.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import { jobOverview } from './job-overview.js';
import { runJobs } from './run-jobs.js';

describe.each(storeFactories)('the jobs overview on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;

  beforeEach(async () => {
    s = await factory.open();
    ctx = exampleAppContext(s.store, '2026-12-04T10:00:30Z');
  });
  afterEach(async () => {
    await s.cleanup();
  });

  it('lists each job with its schedule and next run; a run makes it not due, and the runs list it with its counts', async () => {
    let { jobs, runs } = await jobOverview(ctx);
    expect(jobs.map((j) => [j.job, j.schedule, j.timeZone, j.lastRun, j.due])).toEqual([
      ['purge', ctx.config.purge.schedule, ctx.config.timeZone, null, true],
      ['billing', ctx.config.billing.schedule, ctx.config.timeZone, null, true],
      ['apply', ctx.config.apply.schedule, ctx.config.timeZone, null, true],
      ['notify', ctx.config.notify.schedule, ctx.config.timeZone, null, true],
    ]);
    expect(jobs.every((j) => j.nextRun !== null && j.nextRun > '2026-12-04T10:00:30Z')).toBe(true);
    expect(runs).toEqual([]);

    await runJobs(ctx, { mailer: null, templates: BUILT_IN_TEMPLATES, targets: [] }, { job: 'billing', startedBy: 'console:root1(admin)' });
    ({ jobs, runs } = await jobOverview(ctx));
    const billing = jobs.find((j) => j.job === 'billing');
    expect([billing?.due, billing?.lastRun?.result, billing?.lastRun?.startedBy]).toEqual([false, 'ok', 'console:root1(admin)']);
    expect(runs.map((r) => [r.job, r.result, r.counts])).toEqual([['billing', 'ok', { people: 0, warned: 0, frozen: 0, lifted: 0, duesPosted: 0, failed: 0 }]]);
    expect((await jobOverview(ctx, { job: 'purge' })).runs).toEqual([]);
  });
});
