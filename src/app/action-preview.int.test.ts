import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRoot, removeRoot } from '../../test/unix-root.js';
import { parseConfig } from '../config/load-config.js';
import { fixedClock } from '../domain/clock.js';
import { openStore } from '../store/open-store.js';
import { targetRegistry } from '../targets/registry.js';
import type { AppContext } from './app-context.js';
import { applyAction, parseAccountAction, previewAction, type ActionPlan } from './action-preview.js';
import { createAccount } from './accounts.js';
import { applyHost } from './apply-host.js';
import { addPerson } from './people.js';

/**
 * The console's plan of an action: the use case's dry run, with each host of
 * the account projected and planned inside its transaction. Host shell is
 * applied by the server (unix and login targets under a temp root), host web
 * by its agent.
 */

const CONFIG = `
timeZone: UTC
portal: { publicUrl: 'https://accounts.example.org' }
uids: { min: 2100010000, max: 2100019999 }
gids: { min: 2100010000, max: 2100019999 }
groups:
  - { name: members }
  - { name: staff }
hosts:
  shell:
    appliedBy: server
    targets:
      unix: {}
      login: { path: /etc/security/roster-frozen.users }
  web:
    targets:
      unix: {}
types:
  member:
    auth: crypt
    groups: [members]
    hosts: { live: [shell, web], login: [shell] }
  staff:
    auth: crypt
    groups: [members, staff]
    shell: /bin/sh
    hosts: { live: [shell] }
`;

let root: string;
let ctx: AppContext;

beforeEach(async () => {
  root = await makeRoot();
  ctx = {
    store: await openStore(join(root, 'roster.db')),
    config: parseConfig(CONFIG, 'roster.yaml').config,
    clock: fixedClock(new Date('2026-11-23T12:00:00Z')),
    actor: 'console:root1(admin)',
    hmacKey: Buffer.alloc(32, 1),
    hasher: { hash: (p: string) => `$6$salt$${Buffer.from(p).toString('hex')}` },
    log: { info: () => undefined, warn: () => undefined },
  };
  await addPerson(ctx, { id: 'P1', firstName: 'Ada', lastName: 'Lovelace', roles: ['MEMBER'], emails: { MEMBER: 'ada@home.example' } });
  await createAccount(ctx, { personId: 'P1', type: 'member', username: 'ada', password: 'Correct-Horse-7-Battery' });
  const first = await applyHost(ctx, targetRegistry, { host: 'shell', root });
  expect(first.shortfall).toBeNull();
});

afterEach(async () => {
  await ctx.store.close();
  await removeRoot(root);
});

async function files(): Promise<{ passwd: string; shadow: string; group: string; login: string }> {
  const read = (f: string): Promise<string> => readFile(join(root, f), 'utf8').catch(() => '(none)');
  return { passwd: await read('etc/passwd'), shadow: await read('etc/shadow'), group: await read('etc/group'), login: await read('etc/security/roster-frozen.users') };
}

function host(plan: ActionPlan, name: string): ActionPlan['hosts'][number] {
  const h = plan.hosts.find((x) => x.host === name);
  if (h === undefined) throw new Error(`no host ${name} in the plan`);
  return h;
}

function shadowLine(text: string, user: string): string {
  return text.split('\n').find((l) => l.startsWith(`${user}:`)) ?? '';
}

describe('previewAction and applyAction', () => {
  it('plans a freeze per host and target without changing anything; applying it locks the shadow line and lists the login', async () => {
    const filesBefore = await files();
    const auditBefore = await ctx.store.read.listAudit({ limit: 1000 });
    const plan = await previewAction(ctx, targetRegistry, { username: 'ada', action: parseAccountAction('freeze', { reason: 'admin', note: 'unpaid' }), applyRoot: root });

    expect(plan.changed).toBe(true);
    expect(plan.changes).toContainEqual({ field: 'state', before: 'active', after: 'disabled' });
    expect(plan.after.holds.map((h) => `${h.kind}:${h.reason}`)).toEqual(['freeze:admin']);
    const shell = host(plan, 'shell');
    expect(shell.appliedBy).toBe('server');
    expect(shell.error).toBeUndefined();
    expect(shell.widened).toBeUndefined();
    const targets = new Set(shell.changes?.map((c) => c.target));
    expect(targets).toEqual(new Set(['unix', 'login']));
    expect(shell.changes?.find((c) => c.target === 'unix')?.summary).toMatch(/ada/);
    expect(shell.changes?.find((c) => c.target === 'login')?.summary).toMatch(/ada/);
    expect(shell.desired).toContainEqual({ field: 'disabled', before: 'no', after: 'yes' });
    const web = host(plan, 'web');
    expect(web.appliedBy).toBe('agent');
    expect(web.changes).toBeUndefined();
    expect(web.desired).toContainEqual({ field: 'disabled', before: 'no', after: 'yes' });
    // No hash anywhere in the plan.
    expect(JSON.stringify(plan)).not.toContain('$6$');

    // The preview changed nothing: not the store, not the files.
    expect((await ctx.store.read.getAccount('ada'))?.holds).toEqual([]);
    expect(await ctx.store.read.listAudit({ limit: 1000 })).toEqual(auditBefore);
    expect(await files()).toEqual(filesBefore);
    expect(shadowLine(filesBefore.shadow, 'ada')).toMatch(/^ada:\$6\$/);

    const result = await applyAction(ctx, targetRegistry, { username: 'ada', action: parseAccountAction('freeze', { reason: 'admin', note: 'unpaid' }), applyRoot: root });
    expect(result.changed).toBe(true);
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([['shell', 'applied'], ['web', 'skipped']]);
    expect(result.hosts[0]?.outcomes.length).toBe(shell.changes?.length);
    const after = await files();
    expect(shadowLine(after.shadow, 'ada')).toMatch(/^ada:!\$6\$/);
    expect(after.login.split('\n')).toContain('ada');
    expect((await ctx.store.read.getAccount('ada'))?.holds.map((h) => h.reason)).toEqual(['admin']);
    const audit = await ctx.store.read.listAudit({ limit: 1000 });
    expect(audit.filter((e) => e.action === 'account.freeze').map((e) => e.actor)).toEqual(['console:root1(admin)']);

    // Lifting the hold: the plan gives the shadow line back without the `!`.
    const lift = await previewAction(ctx, targetRegistry, { username: 'ada', action: parseAccountAction('unfreeze', { reason: 'admin' }), applyRoot: root });
    expect(lift.changes).toContainEqual({ field: 'state', before: 'disabled', after: 'active' });
    expect(host(lift, 'shell').changes?.map((c) => c.target).sort()).toEqual(['login', 'unix']);
    await applyAction(ctx, targetRegistry, { username: 'ada', action: parseAccountAction('unfreeze', { reason: 'admin' }), applyRoot: root });
    expect(await files()).toEqual(filesBefore);
  });

  it('a purge now plans the removal from the whole host and the agent host drops the account', async () => {
    const plan = await previewAction(ctx, targetRegistry, { username: 'ada', action: parseAccountAction('purge', { reason: 'left the co-op' }), applyRoot: root });
    expect(plan.after.state).toBe('purged');
    const shell = host(plan, 'shell');
    expect(shell.widened).toMatch(/ada is purged/);
    expect(shell.changes?.some((c) => c.destructive && c.target === 'unix')).toBe(true);
    expect(host(plan, 'web').desired).toEqual([{ field: 'on this host', before: 'yes', after: 'no (its entries are archived and removed)' }]);
    expect((await ctx.store.read.getAccount('ada'))?.purgedAt).toBeNull();
  });

  it('a move to a type that lives elsewhere plans the groups and the shell, and leaves the agent host', async () => {
    const plan = await previewAction(ctx, targetRegistry, { username: 'ada', action: parseAccountAction('move-type', { type: 'staff' }), applyRoot: root });
    expect(plan.changes).toEqual(
      expect.arrayContaining([
        { field: 'type', before: 'member', after: 'staff' },
        { field: 'shell', before: '/bin/bash', after: '/bin/sh' },
        { field: 'groups', before: 'ada, members', after: 'ada, members, staff' },
      ]),
    );
    expect(host(plan, 'shell').changes?.map((c) => c.summary).join('\n')).toMatch(/staff|\/bin\/sh/);
    expect(host(plan, 'web').desired[0]?.field).toBe('on this host');
    expect((await ctx.store.read.getAccount('ada'))?.type).toBe('member');
  });

  it('a password link: the plan names the address and sends nothing; applying it queues the message and leaves the hosts as they are', async () => {
    const filesBefore = await files();
    const plan = await previewAction(ctx, targetRegistry, { username: 'ada', action: parseAccountAction('reset-link', {}), applyRoot: root });
    expect(plan.message?.to).toBe('ada@home.example');
    expect(plan.message?.what).toMatch(/good until 2026-11-24 12:00/);
    expect(plan.changes).toEqual([]);
    expect(host(plan, 'shell').changes).toEqual([]);
    expect(await ctx.store.read.listMessages({ kind: 'password-reset' })).toEqual([]);
    const result = await applyAction(ctx, targetRegistry, { username: 'ada', action: { kind: 'reset-link' }, applyRoot: root });
    expect(result.message?.to).toBe('ada@home.example');
    expect((await ctx.store.read.listMessages({ kind: 'password-reset' })).map((m) => m.recipient)).toEqual(['ada@home.example']);
    expect(result.hosts.map((h) => [h.host, h.status, h.summary])).toEqual([['shell', 'applied', 'in the desired state, nothing to do'], ['web', 'skipped', 'applied by its agent at its next poll']]);
    expect(await files()).toEqual(filesBefore);
  });

  it('bad input names its field and plans nothing', () => {
    expect(() => parseAccountAction('freeze', { reason: ' ' })).toThrow(expect.objectContaining({ code: 'bad_input', issues: [{ where: 'reason', message: 'is required' }] }));
    expect(() => parseAccountAction('retire', { deactivateAfter: 'ten' })).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ where: 'deactivateAfter' })] }));
    expect(() => parseAccountAction('delete', {})).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ where: 'action' })] }));
  });

  it('an action the use case refuses changes nothing, previewed or applied', async () => {
    const before = await files();
    await expect(previewAction(ctx, targetRegistry, { username: 'ada', action: { kind: 'restore' }, applyRoot: root })).rejects.toMatchObject({ code: 'conflict' });
    await expect(applyAction(ctx, targetRegistry, { username: 'ada', action: { kind: 'move-type', type: 'nope' }, applyRoot: root })).rejects.toMatchObject({ code: 'bad_input', issues: [expect.objectContaining({ where: 'type' })] });
    await expect(applyAction(ctx, targetRegistry, { username: 'ada', action: { kind: 'retire', deactivateAfter: 9, deleteAfter: 3 }, applyRoot: root })).rejects.toMatchObject({ code: 'bad_input' });
    expect(await files()).toEqual(before);
    expect((await ctx.store.read.getAccount('ada'))?.expiresAt).toBeNull();
  });
});
