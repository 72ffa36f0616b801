import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judge, makeRoot, removeRoot } from '../../test/unix-root.js';
import type { AppContext } from '../app/app-context.js';
import { createAccount, modifyAccount, setPassword } from '../app/accounts.js';
import { freezeAccount, reactivateAccount, retireAccount, unfreezeAccount } from '../app/lifecycle-actions.js';
import { addPerson } from '../app/people.js';
import { parseConfig } from '../config/load-config.js';
import { fixedClock } from '../domain/clock.js';
import { RosterError } from '../domain/errors.js';
import { openStore } from '../store/open-store.js';
import { targetRegistry } from '../targets/registry.js';
import { pendingChanges, planHost } from './host-plan.js';
import { reconcileHost } from './reconcile-host.js';

/**
 * An apply scoped to some accounts (`roster apply --account`, `roster account
 * freeze --apply`) must leave the host exactly as a whole-host apply would:
 * after each change to the store and the scoped apply of the account it
 * touched, the whole-host plan is empty. Every target but quota (kernel
 * quotas do not work on these machines, DESIGN.md §8) runs on a temp root;
 * the shared group is split into continuation lines. Lifecycle changes, new
 * accounts and groups joined must not need the whole host; a purge must.
 */

const CONFIG = `
timeZone: UTC
uids: { min: 2100000000, max: 2100009999 }
gids: { min: 2100000000, max: 2100009999 }
breaker: { count: 1000, percent: 100 }
groups:
  - { name: members }
  - { name: staff }
hosts:
  shell:
    targets:
      login: { path: /etc/security/roster-frozen.users, noLoginPath: /etc/security/roster-elsewhere.users }
      cron: { mode: deny }
      processes: { graceSeconds: 1 }
      homes: { base: [/home] }
      unix: { groupLineLimit: 64 }
      limits:
        perHost: { nproc: { soft: 100, hard: 200 } }
        perType: { staff: { as: 4194304 } }
      hooks: { stateFile: /var/lib/roster/hooks-created.tsv }
types:
  member:
    auth: crypt
    groups: [members]
    hosts: { live: [shell], login: [shell] }
  staff:
    auth: crypt
    groups: [members, staff]
    hosts: { live: [shell] }
`;

type Op =
  | { readonly kind: 'freeze' | 'unfreeze'; readonly who: number; readonly reason: 'billing' | 'admin' }
  | { readonly kind: 'retire'; readonly who: number; readonly deactivateAfter: number }
  | { readonly kind: 'purge' | 'reactivate' | 'gecos' | 'shell' | 'passwd' | 'join' | 'leave' | 'create'; readonly who: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('freeze' as const, 'unfreeze' as const), who: fc.nat(), reason: fc.constantFrom('billing' as const, 'admin' as const) }),
  fc.record({ kind: fc.constant('retire' as const), who: fc.nat(), deactivateAfter: fc.constantFrom(0, 3) }),
  fc.record({ kind: fc.constantFrom('purge' as const, 'reactivate' as const, 'gecos' as const, 'shell' as const, 'passwd' as const, 'join' as const, 'leave' as const, 'create' as const), who: fc.nat() }),
);

/** Changes the scoped apply makes without the whole host: the account's own entries, and joining a shared group. */
const LOCAL = new Set(['freeze', 'unfreeze', 'retire', 'reactivate', 'gecos', 'shell', 'passwd', 'join', 'create']);

async function context(dir: string): Promise<AppContext> {
  return {
    store: await openStore(join(dir, 'roster.db')),
    config: parseConfig(CONFIG, 'roster.yaml').config,
    clock: fixedClock(new Date('2026-11-23T12:00:00Z')),
    actor: 'test',
    hmacKey: Buffer.alloc(32, 1),
    hasher: { hash: (p: string) => `$6$salt$${Buffer.from(p).toString('hex')}` },
    log: { info: () => undefined, warn: () => undefined },
  };
}

let people = 0;
async function newAccount(ctx: AppContext, type: 'member' | 'staff'): Promise<string> {
  const id = `P${++people}`;
  await addPerson(ctx, { id, firstName: 'Test', lastName: `Person ${people}` });
  return (await createAccount(ctx, { personId: id, type, username: `u${people}x` })).username;
}

/** Runs one change and returns the account it touched, or null when the store refuses it (freezing a purged account). */
async function perform(ctx: AppContext, o: Op, username: string): Promise<string | null> {
  try {
    switch (o.kind) {
      case 'freeze':
        await freezeAccount(ctx, username, { reason: o.reason });
        return username;
      case 'unfreeze':
        await unfreezeAccount(ctx, username, { reason: o.reason });
        return username;
      case 'retire':
        await retireAccount(ctx, username, { deactivateAfter: o.deactivateAfter, deleteAfter: 30 });
        return username;
      case 'purge':
        await retireAccount(ctx, username, { deactivateAfter: 0, deleteAfter: 0 });
        return username;
      case 'reactivate':
        await reactivateAccount(ctx, username);
        return username;
      case 'gecos':
        await modifyAccount(ctx, username, { gecos: `Renamed ${o.who}` });
        return username;
      case 'shell':
        await modifyAccount(ctx, username, { shell: o.who % 2 === 0 ? '/bin/sh' : '/bin/bash' });
        return username;
      case 'passwd':
        await setPassword(ctx, username, `Correct-Horse-${o.who}-Battery`);
        return username;
      case 'join':
        await modifyAccount(ctx, username, { addGroups: ['staff'] });
        return username;
      case 'leave':
        await modifyAccount(ctx, username, { removeGroups: ['staff'] });
        return username;
      case 'create':
        return await newAccount(ctx, o.who % 2 === 0 ? 'member' : 'staff');
    }
  } catch (e) {
    if (e instanceof RosterError) return null;
    throw e;
  }
}

describe('apply scoped to accounts', () => {
  it('after any change and the scoped apply of its account, the whole host has nothing left to do', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 14 }), async (ops) => {
        const root = await makeRoot();
        await mkdir(join(root, 'etc/skel'), { recursive: true });
        await writeFile(join(root, 'etc/skel/.profile'), '# profile\n');
        const ctx = await context(root);
        try {
          const names: string[] = [];
          for (let i = 0; i < 12; i++) names.push(await newAccount(ctx, i % 3 === 0 ? 'staff' : 'member'));
          const request = { host: 'shell', root };
          const first = await reconcileHost(ctx, targetRegistry, request);
          expect(first.report.outcomes.filter((o) => o.status !== 'ok')).toEqual([]);

          for (const o of ops) {
            const username = await perform(ctx, o, names[o.who % names.length] ?? '');
            if (username === null) continue;
            if (!names.includes(username)) names.push(username);
            const scoped = await reconcileHost(ctx, targetRegistry, { ...request, accounts: [username] });
            expect(scoped.report.outcomes.filter((x) => x.status !== 'ok'), `${o.kind} ${username}`).toEqual([]);
            if (LOCAL.has(o.kind)) expect(scoped.plan.widened, `${o.kind} ${username} planned the whole host`).toBeUndefined();
            if (o.kind === 'purge') expect(scoped.plan.widened, `${o.kind} ${username}`).toBeDefined();
            const left = pendingChanges((await planHost(ctx, targetRegistry, request)).plan).map((c) => `${c.target} ${c.summary}`);
            expect(left, `after ${o.kind} ${username}`).toEqual([]);
          }
          const { pwck, grpck } = await judge(root);
          expect([pwck.code, pwck.stdout, grpck.code, grpck.stdout]).toEqual([0, '', 0, '']);
        } finally {
          await ctx.store.close();
          await removeRoot(root);
        }
      }),
      { numRuns: 12 },
    );
  });

  it('an account that is not in the store is an error naming it, and changes nothing', async () => {
    const root = await makeRoot();
    const ctx = await context(root);
    try {
      await newAccount(ctx, 'member');
      await expect(reconcileHost(ctx, targetRegistry, { host: 'shell', root, accounts: ['nobody-here'] })).rejects.toThrow(/no account "nobody-here"/);
      await expect(planHost(ctx, targetRegistry, { host: 'shell', root, accounts: ['nobody-here'] })).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await ctx.store.close();
      await removeRoot(root);
    }
  });
});
