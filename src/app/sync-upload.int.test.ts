import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import type { Clock } from '../domain/clock.js';
import { RosterError } from '../domain/errors.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import type { AppContext } from './app-context.js';
import { approveMassChange } from './mass-changes.js';
import { pendingSyncApproval, planDigest, planSyncUpload, runSyncUpload, uploadDigest, type SyncUploadFile } from './sync-upload.js';

// A small breaker for the school, so that a file missing three people trips it.
const yaml = exampleConfig().replace('    # breaker: { count: 50, percent: 5 }\n', '    breaker: { count: 2, percent: 5 }\n');
const { config } = parseConfig(yaml, 'roster.yaml');

const HEADER = 'id,first_name,last_name,roles,classes,campus,major,email';
const ROWS = ['S001,Ada,Lovelace,STUDENT,,NB,,ada@example.org', 'S002,Alan,Turing,STUDENT,,NB,,', 'S003,Grace,Hopper,STUDENT,,NK,,', 'S004,Edsger,Dijkstra,STUDENT,,CM,,', 'S005,Barbara,Liskov,STUDENT,,NB,,'];
const upload = (rows: readonly string[]): SyncUploadFile => ({ source: 'school', content: Buffer.from(`${[HEADER, ...rows].join('\n')}\n`) });

async function refusal(p: Promise<unknown>): Promise<RosterError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof RosterError)) throw new Error(`expected a RosterError, got ${String(e)}`);
  return e;
}

describe.each(storeFactories)('sync uploads on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;
  let now = new Date('2026-09-01T08:00:00Z');
  const clock: Clock = { now: () => now };
  const accounts = async (): Promise<string[]> => (await s.store.read.listAccounts({ limit: 100 })).filter((a) => !a.holds.some((h) => h.kind === 'retired')).map((a) => a.username).sort();

  beforeEach(async () => {
    s = await factory.open();
    ctx = exampleAppContext(s.store, clock, { config, actor: 'console:root1(admin)' });
  });
  afterEach(async () => {
    await s.cleanup();
  });

  it('plans without changing anything, then runs exactly that plan', async () => {
    const file = upload(ROWS);
    const plan = await planSyncUpload(ctx, file);
    expect(plan).toMatchObject({ dryRun: true, file: '(upload)', rows: 5, summary: { created: 5, added: 5, retired: 0 } });
    expect(plan.changes.filter((c) => c.action === 'create')).toHaveLength(5);
    expect(await accounts()).toEqual([]);
    expect((await s.store.read.auditHead()).seq).toBe(0);

    // Later, the same file plans the same (retirement dates move with the clock; the digest does not).
    now = new Date(now.getTime() + 60_000);
    expect(planDigest(await planSyncUpload(ctx, file))).toBe(planDigest(plan));
    const run = await runSyncUpload(ctx, file, { planned: planDigest(plan) });
    expect(run.kind).toBe('done');
    if (run.kind !== 'done') return;
    expect(run.report).toMatchObject({ dryRun: false, file: '(upload)', summary: plan.summary, failures: [] });
    expect(await accounts()).toEqual(plan.changes.flatMap((c) => (c.action === 'create' ? [c.username] : [])).sort());
  });

  it('a bad file names its rows and changes nothing', async () => {
    const e = await refusal(planSyncUpload(ctx, upload([...ROWS.slice(0, 2), ',No,Id,STUDENT,,NB,,', 'S009,Bad,Mail,STUDENT,,NB,,not-an-address', 'S001,Twice,Over,STUDENT,,NB,,'])));
    expect(e.code).toBe('bad_input');
    expect(e.issues.map((i) => i.where)).toEqual(['row 4, column id', 'row 5, column email', 'row 6, column id']);
    expect(await accounts()).toEqual([]);
    expect((await s.store.read.auditHead()).seq).toBe(0);
    expect((await refusal(planSyncUpload(ctx, { source: 'nowhere', content: Buffer.from(HEADER) }))).issues).toEqual([{ where: 'source', message: 'unknown source' }]);
  });

  it('refuses to run when the plan changed since it was shown, and changes nothing', async () => {
    const first = upload(ROWS.slice(0, 3));
    const plan = await planSyncUpload(ctx, first);
    // Meanwhile someone else syncs a longer file: the shown plan (3 creates) no longer holds.
    const other = upload(ROWS);
    expect((await runSyncUpload(ctx, other, { planned: planDigest(await planSyncUpload(ctx, other)) })).kind).toBe('done');
    const before = await s.store.read.auditHead();
    const run = await runSyncUpload(ctx, first, { planned: planDigest(plan) });
    expect(run.kind).toBe('plan-changed');
    expect(run.report.summary).toMatchObject({ created: 0, retired: 2 });
    expect(await s.store.read.auditHead()).toEqual(before);
  });

  it('over the breaker it waits for a second admin, then runs once with the approval', async () => {
    const full = upload(ROWS);
    await runSyncUpload(ctx, full, { planned: planDigest(await planSyncUpload(ctx, full)) });
    const short = upload(ROWS.slice(0, 2));
    const plan = await planSyncUpload(ctx, short);
    expect(plan.breaker).toMatchObject({ affected: 3, limit: 2 });
    expect(await pendingSyncApproval(ctx, short)).toBeUndefined();

    const waiting = await runSyncUpload(ctx, short, { planned: planDigest(plan) });
    expect(waiting.kind).toBe('waiting');
    if (waiting.kind !== 'waiting') return;
    expect(waiting.change).toMatchObject({ action: 'sync:school', params: { source: 'school', sha256: uploadDigest(short.content) }, summary: { affected: 3, total: 5, limit: 2 }, requestedBy: 'console:root1(admin)', approvedAt: null });
    expect(await accounts()).toHaveLength(5);
    expect((await pendingSyncApproval(ctx, short))?.id).toBe(waiting.change.id);
    // Not for another file.
    expect(await pendingSyncApproval(ctx, upload(ROWS.slice(0, 1)))).toBeUndefined();

    // Running with an approval not given yet is refused.
    expect((await refusal(runSyncUpload(ctx, short, { planned: planDigest(plan), approval: waiting.change.id }))).code).toBe('conflict');
    await approveMassChange({ ...ctx, actor: 'console:root2(admin)' }, waiting.change.id, { tokenId: null });
    expect((await pendingSyncApproval(ctx, short))?.approvedBy).toBe('console:root2(admin)');

    const run = await runSyncUpload(ctx, short, { planned: planDigest(plan), approval: waiting.change.id });
    expect(run.kind).toBe('done');
    expect(run.report.summary).toMatchObject({ retired: 3 });
    expect(await accounts()).toHaveLength(2);
    expect((await s.store.read.getMassChange(waiting.change.id))?.result).toMatchObject({ status: 'done' });
    expect(await pendingSyncApproval(ctx, short)).toBeUndefined();
    // Used once: a second run with it is refused.
    expect((await refusal(runSyncUpload(ctx, short, { planned: planDigest(await planSyncUpload(ctx, short)), approval: waiting.change.id }))).code).toBe('conflict');
  });
});
