import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { parseConfig } from '../config/load-config.js';
import { RosterError } from '../domain/errors.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import { createAccount } from './accounts.js';
import type { AppContext } from './app-context.js';
import { hostOverview, hostOverviews } from './host-overview.js';
import { desiredRevision, recordHostReport } from './host-reports.js';
import { addPerson } from './people.js';

const YAML = `
timeZone: UTC
hosts:
  shell:
    description: login host
    targets:
      login: { path: /etc/security/roster-frozen.users }
      cron: { mode: deny }
  ldap:
    appliedBy: server
    targets:
      login: { path: /etc/security/roster-frozen.users }
types:
  member:
    hosts: { live: [shell, ldap], login: [shell] }
    grace: { deactivation: 0, deletion: 30 }
`;
const config = parseConfig(YAML, '/tmp/roster.yaml').config;

describe.each(storeFactories)('what the console shows of hosts, on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;
  let now: Date;

  beforeEach(async () => {
    s = await factory.open();
    now = new Date('2026-12-04T10:00:00Z');
    ctx = exampleAppContext(s.store, { now: () => new Date(now.getTime()) }, { config });
    await addPerson(ctx, { id: 'P1', firstName: 'Alice', lastName: 'Liddell', roles: [] });
    await createAccount(ctx, { personId: 'P1', type: 'member', username: 'alice' });
  });
  afterEach(async () => {
    await s.cleanup();
  });

  it('lists every host with its settings; before any report nothing is applied', async () => {
    const hosts = await hostOverviews(ctx);
    expect(hosts.map((h) => [h.host, h.description, h.appliedBy, h.targets, h.reports.length, h.revision.applied, h.revision.current, h.lastApplyRun])).toEqual([
      ['shell', 'login host', 'agent', ['login', 'cron'], 0, null, false, null],
      ['ldap', null, 'server', ['login'], 0, null, false, null],
    ]);
    expect(hosts[0]?.revision.desired).toBe((await desiredRevision(ctx, 'shell')).revision);
  });

  it("reads the agent's last report: counts, failures and drift; a change made since makes its revision stale, and the age is that of the first report of it", async () => {
    const first = (await desiredRevision(ctx, 'shell')).revision;
    const agent: AppContext = { ...ctx, actor: 'token:2(agent)' };
    await recordHostReport(agent, 'shell', { revision: first, ok: true, report: { revision: first, outcomes: [{ target: 'login', action: 'add', subject: 'alice', status: 'ok' }], totals: { ok: 1, failed: 0, skipped: 0 } }, counts: { applied: 1 } });
    now = new Date('2026-12-04T11:00:00Z');
    await recordHostReport(agent, 'shell', {
      revision: first,
      ok: false,
      report: {
        revision: first,
        outcomes: [
          { target: 'cron', action: 'deny', subject: 'bob', summary: 'deny cron to bob', status: 'failed', error: 'cron.deny is read-only' },
          { target: 'login', action: 'add', subject: 'alice', status: 'ok' },
        ],
        totals: { ok: 7, failed: 1, skipped: 2, recurring: 3 },
        drift: [{ target: 'login', action: 'add', subject: 'alice', summary: 'put alice back on the list' }],
        driftTotal: 4,
        lockTimeout: false,
      },
      counts: { failed: 1 },
    });
    let shell = await hostOverview(ctx, 'shell', { reports: 5 });
    expect(shell.revision).toEqual({ desired: first, applied: first, current: true, appliedSince: '2026-12-04T10:00:00.000Z' });
    expect(shell.reports.map((r) => [r.receivedAt, r.actor, r.ok, r.applied, r.failed, r.skipped, r.drift])).toEqual([
      ['2026-12-04T11:00:00.000Z', 'token:2(agent)', false, 4, 1, 2, 4],
      ['2026-12-04T10:00:00.000Z', 'token:2(agent)', true, 1, 0, 0, 0],
    ]);
    expect(shell.reports[0]?.failures).toEqual([{ target: 'cron', action: 'deny', subject: 'bob', summary: 'deny cron to bob', error: 'cron.deny is read-only' }]);
    expect(shell.reports[0]?.drifted).toEqual([{ target: 'login', action: 'add', subject: 'alice', summary: 'put alice back on the list', error: null }]);
    // The list of hosts carries only the last report.
    expect((await hostOverviews(ctx))[0]?.reports.map((r) => r.id)).toEqual([shell.reports[0]?.id]);

    // A new account changes what the host should have: the agent's revision is no longer the one handed out.
    await addPerson(ctx, { id: 'P2', firstName: 'Bob', lastName: 'Kay', roles: [] });
    await createAccount(ctx, { personId: 'P2', type: 'member', username: 'bob' });
    shell = await hostOverview(ctx, 'shell');
    expect(shell.revision.current).toBe(false);
    expect(shell.revision.applied).toBe(first);
    expect(shell.revision.desired).not.toBe(first);
    expect(shell.reports).toHaveLength(1);
  });

  it('a report the agent could not apply at all says why; one of another shape still shows what it has', async () => {
    const agent: AppContext = { ...ctx, actor: 'token:2(agent)' };
    await recordHostReport(agent, 'shell', { revision: 'r1', ok: false, report: { revision: 'r1', outcomes: [], lockTimeout: true, error: { code: 'mass_change', message: 'would remove 40 of 50 accounts' } }, counts: {} });
    now = new Date('2026-12-04T10:05:00Z');
    await recordHostReport(agent, 'shell', { revision: 'r1', ok: true, report: { outcomes: 'not a list', totals: { ok: -1 }, drift: 7 }, counts: {} });
    const [odd, refused] = (await hostOverview(ctx, 'shell', { reports: 2 })).reports;
    expect(refused).toMatchObject({ ok: false, lockTimeout: true, error: { code: 'mass_change', message: 'would remove 40 of 50 accounts' }, applied: 0, failed: 0 });
    expect(odd).toMatchObject({ ok: true, applied: 0, failed: 0, skipped: 0, drift: 0, error: null, failures: [], drifted: [] });
  });

  it("a host roster serve applies shows the apply job's last run; an unknown host is not found", async () => {
    const run = await s.store.transaction((tx) => tx.insertJobRun({ job: 'apply', slot: now.toISOString(), startedAt: now.toISOString(), owner: 'here:1', startedBy: 'serve', forced: false }));
    expect((await hostOverview(ctx, 'ldap')).lastApplyRun?.id).toBe(run.id);
    expect((await hostOverview(ctx, 'shell')).lastApplyRun).toBeNull();
    const e = await hostOverview(ctx, 'mail').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RosterError);
    expect((e as RosterError).code).toBe('not_found');
  });
});
