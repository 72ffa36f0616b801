import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import type { Clock } from '../domain/clock.js';
import { RosterError } from '../domain/errors.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import type { AppContext } from './app-context.js';
import { createAccount, requireAccount } from './accounts.js';
import { bulkOfMassChange, bulkResultsOf, parseBulkAction, planBulkAction, runApprovedBulk, runBulkAction, selectedUsernames } from './bulk-actions.js';
import { freezeAccount } from './lifecycle-actions.js';
import { approveMassChange, requestMassChange, requireMassChange } from './mass-changes.js';
import { addPerson } from './people.js';

const base = parseConfig(exampleConfig(), 'roster.yaml').config;
// A small breaker, so that a handful of retirements is a mass change.
const config = { ...base, breaker: { count: 3, percent: 0 } };

async function refusal(p: Promise<unknown>): Promise<RosterError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof RosterError)) throw new Error(`expected a RosterError, got ${String(e)}`);
  return e;
}

function refusalOf(f: () => unknown): RosterError {
  try {
    f();
  } catch (e) {
    if (e instanceof RosterError) return e;
    throw e;
  }
  throw new Error('expected a RosterError');
}

describe('bulk action input', () => {
  it('names the field of each bad value', () => {
    expect(refusalOf(() => parseBulkAction({ action: 'explode' })).issues[0]?.where).toBe('action');
    expect(refusalOf(() => parseBulkAction({ action: 'freeze', reason: 'Not A Word' })).issues[0]?.where).toBe('reason');
    expect(refusalOf(() => parseBulkAction({ action: 'unfreeze', reason: '' })).issues[0]?.where).toBe('reason');
    expect(refusalOf(() => parseBulkAction({ action: 'retire', deactivateAfter: '-1' })).issues[0]?.where).toBe('deactivateAfter');
    expect(refusalOf(() => parseBulkAction({ action: 'retire', deactivateAfter: '9', deleteAfter: '3' })).issues[0]?.where).toBe('deactivateAfter');
    expect(refusalOf(() => parseBulkAction({ action: 'retire', deleteAfter: 'soon' })).issues[0]?.where).toBe('deleteAfter');
    expect(refusalOf(() => parseBulkAction({ action: 'notice', subject: 'a\nBcc: x', body: 'b' })).issues[0]?.where).toBe('subject');
    expect(refusalOf(() => parseBulkAction({ action: 'notice', subject: 'Hello', body: '  ' })).issues[0]?.where).toBe('body');
    expect(refusalOf(() => selectedUsernames([' ', ''])).issues[0]?.where).toBe('username');
  });

  it('reads each action with its fields', () => {
    expect(parseBulkAction({ action: 'freeze', reason: ' admin ', note: '' })).toEqual({ kind: 'freeze', reason: 'admin' });
    expect(parseBulkAction({ action: 'freeze', reason: 'security', note: 'ticket 12' })).toEqual({ kind: 'freeze', reason: 'security', note: 'ticket 12' });
    expect(parseBulkAction({ action: 'retire', deactivateAfter: '0', deleteAfter: '30' })).toEqual({ kind: 'retire', deactivateAfter: 0, deleteAfter: 30 });
    expect(parseBulkAction({ action: 'retire', deactivateAfter: '', deleteAfter: '' })).toEqual({ kind: 'retire' });
    expect(parseBulkAction({ action: 'notice', subject: ' Maintenance ', body: 'Down at 6.\r\nBack at 7.' })).toEqual({ kind: 'notice', subject: 'Maintenance', body: 'Down at 6.\nBack at 7.' });
    expect(selectedUsernames(['b', ' a', 'b', ''])).toEqual(['b', 'a']);
  });
});

describe.each(storeFactories)('bulk actions on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;
  let second: AppContext;
  let now = new Date('2026-05-01T10:00:00Z');
  const clock: Clock = { now: () => now };
  const members = ['ada', 'bob', 'cyd', 'dee', 'eve'];

  beforeAll(async () => {
    s = await factory.open();
    ctx = exampleAppContext(s.store, clock, { config, actor: 'console:root1(admin)' });
    second = { ...ctx, actor: 'console:root2(admin)' };
    for (const [i, u] of members.entries()) {
      // dee has no address on record: a notice cannot reach her.
      await addPerson(ctx, { id: `P${i}`, firstName: u, lastName: 'Member', roles: ['MEMBER'], ...(u === 'dee' ? {} : { emails: { MEMBER: `${u}@home.example` } }) });
      await createAccount(ctx, { personId: `P${i}`, type: 'member', username: u });
    }
    // A student whose school mail goes to ada's address (a parent's, say): one notice reaches it once.
    await addPerson(ctx, { id: 'S1', firstName: 'Stu', lastName: 'Dent', roles: ['STUDENT'], campuses: ['NB'], emails: { STUDENT: 'ada@home.example' } });
    await createAccount(ctx, { personId: 'S1', type: 'student', username: 'stu' });
    await freezeAccount(ctx, 'bob', { reason: 'admin' });
  });
  afterAll(async () => s.cleanup());

  it('the plan of a freeze runs every item in one dry run: counts per outcome, per host and target, rejected names; nothing changes', async () => {
    const head = await s.store.read.auditHead();
    const plan = await planBulkAction(ctx, parseBulkAction({ action: 'freeze', reason: 'admin' }), ['ada', 'bob', 'stu', 'nobody', 'Bad Name']);
    expect(plan.usernames).toEqual(['ada', 'bob', 'stu']);
    expect(plan.rejected).toEqual([
      { username: 'nobody', why: 'no account "nobody"' },
      { username: 'Bad Name', why: 'no account "Bad Name"' },
    ]);
    expect(plan.counts).toEqual({ changed: 2, unchanged: 1, error: 0 });
    expect(plan.items.map((i) => [i.username, i.outcome, i.stateBefore, i.stateAfter, i.effect, i.hosts.join(',')])).toEqual([
      ['ada', 'changed', 'active', 'disabled', 'disable', 'shell,web'],
      ['bob', 'unchanged', 'disabled', 'disabled', null, 'shell,web'],
      ['stu', 'changed', 'active', 'disabled', 'disable', 'shell'],
    ]);
    expect(plan.items[1]?.detail).toBe('already frozen with reason admin');
    // ada lives on shell and web, stu on shell only; each host's targets each count them.
    const count = (host: string, target: string): number | undefined => plan.hosts.find((h) => h.host === host && h.target === target && h.effect === 'disable')?.accounts;
    expect(count('shell', 'unix')).toBe(2);
    expect(count('shell', 'login')).toBe(2);
    expect(count('web', 'limits')).toBe(1);
    expect(plan.hosts.every((h) => h.effect === 'disable')).toBe(true);
    expect(plan.breaker).toMatchObject({ applies: false, over: false });
    // A dry run: no hold, no audit record.
    expect((await requireAccount(s.store.read, 'ada')).holds).toEqual([]);
    expect((await s.store.read.auditHead()).seq).toBe(head.seq);
  });

  it('a freeze under the breaker runs each item: changed, nothing to do, error; each audited', async () => {
    const head = (await s.store.read.auditHead()).seq;
    const run = await runBulkAction(ctx, parseBulkAction({ action: 'freeze', reason: 'security', note: 'phishing' }), ['ada', 'stu', 'ghost']);
    expect(run.status).toBe('done');
    if (run.status !== 'done') return;
    expect(run.results.items.map((i) => [i.username, i.outcome])).toEqual([
      ['ada', 'changed'],
      ['stu', 'changed'],
      ['ghost', 'error'],
    ]);
    expect(run.results.items[2]?.detail).toBe('no account "ghost"');
    expect((await requireAccount(s.store.read, 'ada')).holds.map((h) => `${h.kind}:${h.reason}`)).toEqual(['freeze:security']);
    const again = await runBulkAction(ctx, parseBulkAction({ action: 'freeze', reason: 'security' }), ['ada']);
    expect(again.status === 'done' && again.results.items).toEqual([{ username: 'ada', outcome: 'unchanged', detail: 'already frozen with reason security' }]);
    const actions = (await s.store.read.listAudit({ afterSeq: head })).map((r) => [r.action, r.target]);
    expect(actions).toEqual([
      ['account.freeze', 'account:ada'],
      ['account.freeze', 'account:stu'],
      ['bulk.freeze', 'accounts'],
      ['bulk.freeze', 'accounts'],
    ]);
  });

  it('lifting a hold enables the accounts that have no other; an account without that hold is nothing to do', async () => {
    const plan = await planBulkAction(ctx, parseBulkAction({ action: 'unfreeze', reason: 'security' }), ['ada', 'stu', 'bob']);
    expect(plan.items.map((i) => [i.username, i.outcome, i.effect])).toEqual([
      ['ada', 'changed', 'enable'],
      ['stu', 'changed', 'enable'],
      ['bob', 'unchanged', null],
    ]);
    const run = await runBulkAction(ctx, plan.action, plan.usernames);
    expect(run.status === 'done' && run.results.counts).toEqual({ changed: 2, unchanged: 1, error: 0 });
    expect((await requireAccount(s.store.read, 'stu')).holds).toEqual([]);
  });

  it('a notice is queued once per address; an account without an address is nothing to do', async () => {
    const run = await runBulkAction(ctx, parseBulkAction({ action: 'notice', subject: 'Maintenance', body: 'The shell host restarts at 6.' }), ['ada', 'dee', 'eve', 'stu']);
    expect(run.status === 'done' && run.results.items.map((i) => [i.username, i.outcome, i.detail])).toEqual([
      ['ada', 'changed', 'notice queued to ada@home.example'],
      ['dee', 'unchanged', 'no e-mail address on record'],
      ['eve', 'changed', 'notice queued to eve@home.example'],
      ['stu', 'unchanged', 'this notice already goes to ada@home.example'],
    ]);
    const sent = (await s.store.read.listMessages({ kind: 'announcement' })).map((m) => [m.recipient, m.data.subject]).sort();
    expect(sent).toEqual([
      ['ada@home.example', 'Maintenance'],
      ['eve@home.example', 'Maintenance'],
    ]);
  });

  it('a retirement over the breaker waits for a second admin, who approves; then it runs once with per-item results', async () => {
    const selected = ['ada', 'bob', 'cyd', 'dee', 'eve'];
    const head = (await s.store.read.auditHead()).seq;
    const action = parseBulkAction({ action: 'retire', deactivateAfter: '7', deleteAfter: '30' });
    const plan = await planBulkAction(ctx, action, selected);
    expect(plan.breaker).toEqual({ applies: true, affected: 5, total: 6, limit: 3, over: true });
    expect(plan.items.every((i) => i.effect === 'expire' && i.stateAfter !== 'purged')).toBe(true);

    const run = await runBulkAction(ctx, action, selected);
    expect(run.status).toBe('waiting');
    if (run.status !== 'waiting') return;
    // Nothing retired, the request recorded and audited.
    expect((await requireAccount(s.store.read, 'cyd')).expiresAt).toBeNull();
    expect((await s.store.read.listAudit({ afterSeq: head })).map((r) => r.action)).toEqual(['mass-change.request']);
    const change = await requireMassChange(ctx, run.change.id);
    expect(change).toMatchObject({ action: 'bulk:retire', requestedBy: 'console:root1(admin)', summary: { affected: 5, total: 6, limit: 3 } });
    expect(bulkOfMassChange(change)).toEqual({ action, usernames: selected });

    // Not approved yet: it cannot run; the requester cannot approve.
    expect((await refusal(runApprovedBulk(ctx, change.id))).message).toMatch(/not approved yet/);
    expect((await refusal(approveMassChange(ctx, change.id, { tokenId: null }))).message).toMatch(/second admin/);
    await approveMassChange(second, change.id, { tokenId: null });

    now = new Date('2026-05-01T11:00:00Z');
    const results = await runApprovedBulk(second, change.id);
    expect(results.counts).toEqual({ changed: 5, unchanged: 0, error: 0 });
    expect(results.items.map((i) => i.username)).toEqual(selected);
    expect((await requireAccount(s.store.read, 'cyd')).expiresAt).not.toBeNull();
    // Kept with the mass change, for the page that shows it later.
    const done = await requireMassChange(ctx, change.id);
    expect(bulkResultsOf(done)?.items.map((i) => [i.username, i.outcome])).toEqual(selected.map((u) => [u, 'changed']));
    // Used once.
    expect((await refusal(runApprovedBulk(second, change.id))).message).toMatch(/already used/);
  });

  it('only a bulk mass change runs here; an unknown one is not found', async () => {
    expect((await refusal(runApprovedBulk(second, 'nonexistent'))).code).toBe('not_found');
    const purge = await requestMassChange(ctx, { action: 'purge', params: {}, summary: { affected: 9, total: 9, limit: 3 }, tokenId: null });
    await approveMassChange(second, purge.id, { tokenId: null });
    expect((await refusal(runApprovedBulk(second, purge.id))).message).toMatch(/is a purge run, not a bulk action/);
    expect((await requireMassChange(ctx, purge.id)).result).toBeNull();
  });
});
