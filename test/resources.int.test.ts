import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import type { AppContext } from '../src/app/app-context.js';
import { addPerson } from '../src/app/people.js';
import { purgeAccount } from '../src/app/purge.js';
import { addResource, listResources, removeResource, showResource } from '../src/app/resources.js';
import { restoreAccount } from '../src/app/restore-account.js';
import { parseConfig } from '../src/config/load-config.js';
import { desiredHostSchemaFor } from '../src/desired/desired-host-schema.js';
import { projectAccounts, projectHost } from '../src/desired/project-host.js';
import { RosterError } from '../src/domain/errors.js';
import { storeFactories, type OpenedTestStore } from '../src/store/test-stores.js';
import { orderedTargets, targetRegistry, type AnyTarget } from '../src/targets/registry.js';
import { stampsTarget } from './sample-target/stamps-target.js';
import { exampleAppContext } from './example-app-context.js';

/** The stamps target (a test folder's) declares the resource kind `stamp`, which no real target declares. */
const targets: readonly AnyTarget[] = orderedTargets([stampsTarget, ...targetRegistry]);

const CONFIG = `
timeZone: UTC
uids: { min: 2100030000, max: 2100039999 }
gids: { min: 2100030000, max: 2100039999 }
hosts:
  shell:
    targets:
      unix: {}
      stamps: {}
  web:
    targets:
      unix: {}
types:
  member:
    hosts: { live: [shell, web] }
`;

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; where: string[] }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof RosterError)) throw new Error(`expected a RosterError, got ${String(e)}`);
  return { code: e.code, message: e.message, where: e.issues.map((i) => i.where) };
}

for (const factory of storeFactories) {
  describe(`owned resources on ${factory.name}`, () => {
    let opened: OpenedTestStore;
    let ctx: AppContext;

    beforeEach(async () => {
      opened = await factory.open();
      ctx = exampleAppContext(opened.store, '2026-11-23T12:00:00Z', { config: parseConfig(CONFIG, 'roster.yaml', { targets }).config });
      await addPerson(ctx, { id: 'P1', firstName: 'Ann', lastName: 'Example' });
      await addPerson(ctx, { id: 'P2', firstName: 'Bo', lastName: 'Example' });
      await createAccount(ctx, { personId: 'P1', type: 'member', username: 'ann' });
      await createAccount(ctx, { personId: 'P2', type: 'member', username: 'bo' });
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('adds, lists, shows and removes resources, one audit record per change', async () => {
      const auditBefore = (await ctx.store.read.auditHead()).seq;
      const red = await addResource(ctx, targets, { user: 'ann', kind: 'stamp', name: 'red-one', host: 'shell', settings: { color: 'red' } });
      expect(red).toEqual({ id: expect.any(Number), user: 'ann', kind: 'stamp', name: 'red-one', host: 'shell', settings: { color: 'red' }, createdAt: '2026-11-23T12:00:00.000Z', updatedAt: '2026-11-23T12:00:00.000Z' });
      const blue = await addResource(ctx, targets, { user: 'bo', kind: 'stamp', name: 'blue-one', host: 'shell', settings: { color: 'blue' } });

      expect(await listResources(ctx.store.read)).toEqual([red, blue]);
      expect(await listResources(ctx.store.read, { user: 'bo' })).toEqual([blue]);
      expect(await listResources(ctx.store.read, { kind: 'stamp', user: 'ann' })).toEqual([red]);
      expect(await listResources(ctx.store.read, { kind: 'database' })).toEqual([]);
      expect(await showResource(ctx.store.read, blue.id)).toEqual(blue);

      // A dry run removes nothing and records nothing.
      expect(await removeResource(ctx, red.id, { dryRun: true })).toEqual(red);
      expect(await listResources(ctx.store.read)).toEqual([red, blue]);
      expect(await removeResource(ctx, red.id)).toEqual(red);
      expect(await listResources(ctx.store.read)).toEqual([blue]);

      const records = await ctx.store.read.listAudit({ afterSeq: auditBefore });
      expect(records.map((r) => [r.action, r.target, r.actor])).toEqual([
        ['resource.add', 'resource:shell/stamp/red-one', 'test'],
        ['resource.add', 'resource:shell/stamp/blue-one', 'test'],
        ['resource.remove', 'resource:shell/stamp/red-one', 'test'],
      ]);
      expect(records[0]?.after).toEqual({ id: red.id, user: 'ann', kind: 'stamp', name: 'red-one', host: 'shell', settings: { color: 'red' } });
      expect(records[2]?.before).toEqual(records[0]?.after);
      expect(records[2]?.after).toBeNull();

      expect(await refusal(showResource(ctx.store.read, red.id))).toEqual({ code: 'not_found', message: `id: no resource ${red.id}`, where: ['id'] });
      expect(await refusal(removeResource(ctx, red.id))).toMatchObject({ code: 'not_found', where: ['id'] });
      expect(await refusal(listResources(ctx.store.read, { user: 'nobody' }))).toEqual({ code: 'not_found', message: 'user: no account "nobody"', where: ['user'] });
    });

    it('refuses what its kind, host, owner or settings do not allow, naming the field, and writes nothing', async () => {
      const good = { user: 'ann', kind: 'stamp', name: 'mine', host: 'shell', settings: { color: 'red' } };
      const before = (await ctx.store.read.auditHead()).seq;
      const kinds = (list: readonly AnyTarget[]): string => list.flatMap((t) => Object.keys(t.resourceKinds)).sort().join(', ');
      expect(await refusal(addResource(ctx, targets, { ...good, kind: 'database' }))).toEqual({ code: 'bad_input', message: `kind: unknown resource kind "database" (kinds: ${kinds(targets)})`, where: ['kind'] });
      // The registered targets alone do not know the test's kind.
      expect(await refusal(addResource(ctx, targetRegistry, good))).toEqual({ code: 'bad_input', message: `kind: unknown resource kind "stamp" (kinds: ${kinds(targetRegistry)})`, where: ['kind'] });
      expect(await refusal(addResource(ctx, targets, { ...good, host: 'nowhere' }))).toEqual({ code: 'bad_input', message: 'host: host "nowhere" is not declared under hosts in roster.yaml (declared: shell, web)', where: ['host'] });
      expect(await refusal(addResource(ctx, targets, { ...good, host: 'web' }))).toEqual({
        code: 'bad_input',
        message: 'host: no target enabled on host web manages stamp resources (enabled: unix; stamp is managed by stamps)',
        where: ['host'],
      });
      expect(await refusal(addResource(ctx, targets, { ...good, name: '-x' }))).toMatchObject({ code: 'bad_input', where: ['name'] });
      expect(await refusal(addResource(ctx, targets, { ...good, settings: { color: 'green' } }))).toMatchObject({ code: 'bad_input', where: ['settings.color'] });
      expect(await refusal(addResource(ctx, targets, { ...good, settings: { color: 'red', size: 3 } }))).toMatchObject({ code: 'bad_input', where: ['settings'] });
      expect(await refusal(addResource(ctx, targets, { ...good, settings: {} }))).toMatchObject({ code: 'bad_input', where: ['settings.color'] });
      expect(await refusal(addResource(ctx, targets, { ...good, user: 'nobody' }))).toEqual({ code: 'not_found', message: 'user: no account "nobody"', where: ['user'] });
      await ctx.store.transaction(async (tx) => {
        const bo = await tx.getAccount('bo');
        if (bo !== undefined) await purgeAccount(tx, ctx, bo, 'test');
      });
      const afterPurge = (await ctx.store.read.auditHead()).seq;
      expect(await refusal(addResource(ctx, targets, { ...good, user: 'bo' }))).toMatchObject({ code: 'conflict', message: 'user: bo was purged on 2026-11-23T12:00:00.000Z', where: ['user'] });
      // A name of a kind is taken on a host by whoever holds it.
      await addResource(ctx, targets, good);
      expect(await refusal(addResource(ctx, targets, { ...good, settings: { color: 'blue' } }))).toEqual({ code: 'conflict', message: 'a stamp named mine already exists on host shell', where: [] });
      expect((await listResources(ctx.store.read)).map((r) => r.name)).toEqual(['mine']);
      expect((await ctx.store.read.listAudit({ afterSeq: before })).map((r) => r.action)).toEqual(['account.purge', 'resource.add']);
      expect(afterPurge).toBe(before + 1);
    });

    it('are projected into the desired state of their host for the target that manages their kind, leave the desired state when their owner is purged and come back when it is restored', async () => {
      const red = await addResource(ctx, targets, { user: 'ann', kind: 'stamp', name: 'red-one', host: 'shell', settings: { color: 'red' } });
      const blue = await addResource(ctx, targets, { user: 'bo', kind: 'stamp', name: 'blue-one', host: 'shell', settings: { color: 'blue' } });
      const now = ctx.clock.now();
      const desired = await projectHost(ctx.store.read, ctx.config, 'shell', now, targets);
      expect(desired.resources).toEqual({
        stamps: [
          { id: red.id, kind: 'stamp', name: 'red-one', owner: 'ann', settings: { color: 'red' } },
          { id: blue.id, kind: 'stamp', name: 'blue-one', owner: 'bo', settings: { color: 'blue' } },
        ],
      });
      // They cross the wire to an agent.
      expect(desiredHostSchemaFor(targets).parse(JSON.parse(JSON.stringify(desired))).resources).toEqual(desired.resources);
      // A host without them, or without a target that manages their kind, has the desired state it always had.
      expect(await projectHost(ctx.store.read, ctx.config, 'web', now, targets)).not.toHaveProperty('resources');
      expect(await projectHost(ctx.store.read, ctx.config, 'shell', now, targetRegistry)).not.toHaveProperty('resources');
      // A state scoped to some accounts has their resources only.
      const scoped = await projectAccounts(ctx.store.read, ctx.config, 'shell', now, ['bo'], targets);
      expect('desired' in scoped ? scoped.desired.resources : scoped).toEqual({ stamps: [{ id: blue.id, kind: 'stamp', name: 'blue-one', owner: 'bo', settings: { color: 'blue' } }] });

      const head = (await ctx.store.read.auditHead()).seq;
      await ctx.store.transaction(async (tx) => {
        const bo = await tx.getAccount('bo');
        if (bo !== undefined) await purgeAccount(tx, ctx, bo, 'test');
      });
      expect((await projectHost(ctx.store.read, ctx.config, 'shell', now, targets)).resources).toEqual({ stamps: [{ id: red.id, kind: 'stamp', name: 'red-one', owner: 'ann', settings: { color: 'red' } }] });
      // The store keeps them with the tombstone, for a restore.
      expect(await listResources(ctx.store.read)).toEqual([red, blue]);
      const records = await ctx.store.read.listAudit({ afterSeq: head });
      expect(records.map((r) => [r.action, r.target])).toEqual([['account.purge', 'account:bo']]);
      expect(records[0]?.after).toMatchObject({ why: 'test', resources: ['shell/stamp/blue-one'] });
      await restoreAccount(ctx, 'bo');
      expect((await projectHost(ctx.store.read, ctx.config, 'shell', now, targets)).resources).toEqual(desired.resources);
    });
  });
}
