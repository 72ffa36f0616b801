import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../app/app-context.js';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { BUILT_IN_TEMPLATES } from '../notify/templates.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import { runJobs } from './run-jobs.js';
import { targetRegistry } from '../targets/registry.js';

/**
 * Several servers on one database (DESIGN.md §5): each is its own store
 * (its own pool or connection), as in separate processes. Whenever they all
 * find a job due at the same moment, it runs once for that slot.
 */
describe.each(storeFactories)('job leases across stores ($name)', (factory) => {
  let opened: OpenedTestStore;
  let others: Store[];
  const deps = { mailer: null, templates: BUILT_IN_TEMPLATES, targets: targetRegistry };
  const config = parseConfig(`timeZone: Europe/Berlin\n${exampleConfig()}`, '/srv/roster/roster.yaml').config;
  const context = (store: Store, now: Date): AppContext => ({ store, config, clock: { now: () => now }, actor: 'test', hmacKey: Buffer.alloc(32, 1), hasher: { hash: () => '$y$x' }, log: { info: () => undefined, warn: () => undefined } });

  beforeEach(async () => {
    opened = await factory.open();
    others = [await openStore(opened.url), await openStore(opened.url)];
  });
  afterEach(async () => {
    for (const s of others) await s.close();
    await opened.cleanup();
  });

  it('runs each daily purge slot once while three servers race for it', async () => {
    const stores = [opened.store, ...others];
    for (let day = 1; day <= 12; day++) {
      // 04:50:30 Berlin summer time on 2026-06-<day>: every server's catch-up finds the purge due.
      const now = new Date(`2026-06-${String(day).padStart(2, '0')}T02:50:30Z`);
      const reports = await Promise.all(stores.map((s) => runJobs(context(s, now), deps, { job: 'purge', startedBy: 'serve' })));
      const ran = reports.flat().filter((r) => r.run !== null);
      expect(ran, `day ${day}`).toHaveLength(1);
    }
    const runs = await opened.store.read.listJobRuns({ job: 'purge' });
    expect(runs).toHaveLength(12);
    expect(new Set(runs.map((r) => r.slot)).size).toBe(12);
    expect(runs.every((r) => r.result === 'ok')).toBe(true);
  });

  it('gives a lease to one holder at a time and frees it when the holder is done', async () => {
    let release: () => void = () => undefined;
    const held = opened.store.withLease('job:purge', () => new Promise<string>((r) => (release = () => r('first'))));
    await new Promise((r) => setTimeout(r, 50));
    if (factory.name === 'postgres') expect(await others[0]?.withLease('job:purge', async () => 'second')).toBeNull();
    expect(await opened.store.withLease('job:purge', async () => 'same store')).toBeNull();
    expect(await opened.store.withLease('job:billing', async () => 'other job')).toEqual({ value: 'other job' });
    release();
    expect(await held).toEqual({ value: 'first' });
    expect(await others[0]?.withLease('job:purge', async () => 'after')).toEqual({ value: 'after' });
  });
});
