import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import type { AppContext } from '../src/app/app-context.js';
import { freezeAccount } from '../src/app/lifecycle-actions.js';
import { addPerson } from '../src/app/people.js';
import { parseConfig } from '../src/config/load-config.js';
import { runJobs } from '../src/jobs/run-jobs.js';
import { BUILT_IN_TEMPLATES } from '../src/notify/templates.js';
import { openStore } from '../src/store/open-store.js';
import { targetRegistry } from '../src/targets/registry.js';
import { startPostgresCluster, type PostgresCluster } from './daemons/postgres-cluster.js';
import { exampleAppContext } from './example-app-context.js';

/**
 * The apply job (issue 13 item 3): a host with `appliedBy: server` is
 * brought to its desired state by the server itself, here a PostgreSQL
 * cluster of the test's own reached over the network, as a remote LDAP
 * server or KDC would be. Hosts applied by their agent are left to it.
 */
describe('the apply job applies the hosts the server applies itself', () => {
  let cluster: PostgresCluster;
  let dir: string;
  let ctx: AppContext;
  let stores = 0;
  const deps = { mailer: null, templates: BUILT_IN_TEMPLATES, targets: targetRegistry };

  const configText = (url: string): string => `
timeZone: UTC
uids: { min: 2100050000, max: 2100059999 }
gids: { min: 2100050000, max: 2100059999 }
notify: { adminAddress: admin@example.org }
hosts:
  db:
    appliedBy: server
    targets:
      postgres: { url: "${url}" }
  shell:
    targets:
      postgres: { url: "${url}" }
types:
  member:
    hosts: { live: [db, shell] }
`;
  const roles = async (): Promise<Array<{ name: string; login: boolean }>> =>
    (await cluster.query<{ name: string; login: boolean }>("select rolname as name, rolcanlogin as login from pg_roles where rolname in ('ann', 'bo') order by 1")).rows;
  const at = (iso: string): AppContext => ({ ...ctx, clock: { now: () => new Date(iso) } });

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    dir = await mkdtemp(join(tmpdir(), 'roster-apply-job-'));
  });

  afterAll(async () => {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    stores += 1;
    ctx = exampleAppContext(await openStore(join(dir, `roster-${stores}.db`)), '2026-12-04T10:00:30Z', { config: parseConfig(configText(cluster.url()), 'roster.yaml', { targets: targetRegistry }).config });
    for (const [id, username] of [
      ['P1', 'ann'],
      ['P2', 'bo'],
    ] as const) {
      await addPerson(ctx, { id, firstName: username, lastName: 'Member' });
      await createAccount(ctx, { personId: id, type: 'member', username });
    }
  });

  afterEach(async () => {
    await ctx.store.close();
    await cluster.query('drop role if exists ann');
    await cluster.query('drop role if exists bo');
  });

  it('applies the server-applied host once per slot, audited, with a digest of what it did; a freeze is applied by the next slot', async () => {
    const [first] = await runJobs(ctx, deps, { job: 'apply', startedBy: 'serve' });
    expect(first?.run?.result).toBe('ok');
    expect(first?.outcome?.counts).toEqual({ hosts: 1, applied: 2, failed: 0, skipped: 0 });
    expect(first?.outcome?.details).toEqual(['db: 2 change(s) applied']);
    expect(await roles()).toEqual([
      { name: 'ann', login: true },
      { name: 'bo', login: true },
    ]);
    const audit = await ctx.store.read.listAudit({ limit: 100 });
    expect(audit.filter((r) => r.target.startsWith('host:db/postgres/')).map((r) => r.actor)).toEqual(['job:apply', 'job:apply']);
    // Only db: shell has no appliedBy and is its agent's.
    expect(audit.some((r) => r.target.startsWith('host:shell/'))).toBe(false);
    expect((await ctx.store.read.listMessages({ kind: 'admin-digest' })).length).toBe(1);

    // The same minute: nothing due.
    const [again] = await runJobs(ctx, deps, { job: 'apply' });
    expect(again?.due).toBe(false);

    await freezeAccount(ctx, 'ann', { reason: 'admin' });
    const [next] = await runJobs(at('2026-12-04T10:01:05Z'), deps, { job: 'apply' });
    expect(next?.outcome?.counts).toMatchObject({ applied: 1, failed: 0 });
    expect(await roles()).toEqual([
      { name: 'ann', login: false },
      { name: 'bo', login: true },
    ]);
    // A converged host: the run is recorded, no digest is queued.
    const [quiet] = await runJobs(at('2026-12-04T10:02:05Z'), deps, { job: 'apply' });
    expect(quiet?.outcome).toMatchObject({ result: 'ok', counts: { hosts: 1, applied: 0 }, details: [] });
    expect((await ctx.store.read.listMessages({ kind: 'admin-digest' })).length).toBe(2);
  });

  it('a host it cannot reach is a partial run naming the host and why, and the admin hears of it', async () => {
    ctx = { ...ctx, config: parseConfig(configText('postgres://postgres@127.0.0.1:1/postgres'), 'roster.yaml', { targets: targetRegistry }).config };
    const [report] = await runJobs(ctx, deps, { job: 'apply' });
    expect(report?.run?.result).toBe('partial');
    expect(report?.outcome?.message).toBe('1 host(s) not fully applied');
    expect(report?.outcome?.details).toEqual([expect.stringMatching(/^db: not applied: .*127\.0\.0\.1:1/)]);
    expect((await ctx.store.read.listMessages({ kind: 'admin-digest' })).length).toBe(1);
    expect(await roles()).toEqual([]);
  });

  it('a dry run plans each host it would apply, with the changes per target, and changes nothing', async () => {
    const [report] = await runJobs(ctx, deps, { job: 'apply', dryRun: true });
    expect(report?.outcome).toMatchObject({ result: 'ok', counts: { hosts: 1, changes: 2, unplanned: 0 } });
    expect(report?.outcome?.details[0]).toBe('db: would apply 2 change(s)');
    expect(report?.outcome?.details.slice(1)).toEqual([expect.stringMatching(/^db: postgres: .*ann/), expect.stringMatching(/^db: postgres: .*bo/)]);
    expect(await roles()).toEqual([]);
    expect(await ctx.store.read.listJobRuns()).toEqual([]);
    // A host it cannot reach is named with why, and the others are still planned.
    ctx = { ...ctx, config: parseConfig(configText('postgres://postgres@127.0.0.1:1/postgres'), 'roster.yaml', { targets: targetRegistry }).config };
    const [unreachable] = await runJobs(ctx, deps, { job: 'apply', dryRun: true });
    expect(unreachable?.outcome).toMatchObject({ result: 'partial', counts: { hosts: 1, changes: 0, unplanned: 1 }, message: '1 host(s) could not be planned' });
    expect(unreachable?.outcome?.details).toEqual([expect.stringMatching(/^db: not planned: .*127\.0\.0\.1:1/)]);
  });
});
