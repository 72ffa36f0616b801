import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/app-context.js';
import { createAccount } from '../../src/app/accounts.js';
import { addPerson } from '../../src/app/people.js';
import { CORE_SERVICES } from '../../src/config/config-schema.js';
import { parseConfig } from '../../src/config/load-config.js';
import { desiredHostSchemaFor } from '../../src/desired/desired-host-schema.js';
import { projectHost } from '../../src/desired/project-host.js';
import { planHost } from '../../src/reconcile/host-plan.js';
import { reconcileHost } from '../../src/reconcile/reconcile-host.js';
import { openStore } from '../../src/store/open-store.js';
import { orderedTargets, targetRegistry, type AnyTarget } from '../../src/targets/registry.js';
import { defineTarget } from '../../src/targets/target.js';
import { configProblems } from '../config-problems.js';
import { exampleAppContext } from '../example-app-context.js';
import { makeRoot, removeRoot } from '../unix-root.js';
import { stampsTarget } from './stamps-target.js';

/**
 * A target defined only in this folder is registered next to the real ones
 * and goes through everything a target does: its host and type settings are
 * checked in roster.yaml, its entry is projected and crosses the wire, it is
 * ordered by its constraint, planned, applied and verified.
 */
const targets: readonly AnyTarget[] = orderedTargets([stampsTarget, ...targetRegistry]);

const CONFIG = `
timeZone: UTC
uids: { min: 2100020000, max: 2100029999 }
gids: { min: 2100020000, max: 2100029999 }
freeze: { keep: [mail, portal, stamps] }
hosts:
  shell:
    targets:
      unix: {}
      stamps: { dir: /var/lib/stamps }
types:
  member:
    hosts: { live: [shell], login: [shell] }
    targets:
      stamps: { greeting: ahoy }
  guest:
    hosts: { live: [shell] }
`;

const problems = (text: string, with_: readonly AnyTarget[] = targets): string[] => configProblems(text, with_);

describe('a target defined outside src/targets', () => {
  let root: string;
  let ctx: AppContext;

  beforeEach(async () => {
    root = await makeRoot();
    ctx = exampleAppContext(await openStore(join(root, 'roster.db')), '2026-11-23T12:00:00Z', { config: parseConfig(CONFIG, 'roster.yaml', { targets }).config });
    await addPerson(ctx, { id: 'P1', firstName: 'Ann', lastName: 'Example' });
    await addPerson(ctx, { id: 'P2', firstName: 'Bo', lastName: 'Guest' });
    await createAccount(ctx, { personId: 'P1', type: 'member', username: 'ann' });
    await createAccount(ctx, { personId: 'P2', type: 'guest', username: 'bo' });
  });

  afterEach(async () => {
    await ctx.store.close();
    await removeRoot(root);
  });

  it('is ordered by its constraint: after unix, which keeps its own place', () => {
    const names = targets.map((t) => t.name);
    expect(names.indexOf('stamps')).toBeGreaterThan(names.indexOf('unix'));
    expect(names.filter((n) => n !== 'stamps')).toEqual(targetRegistry.map((t) => t.name));
  });

  it('is configured: its host and type sections are checked by its schemas, and freeze.keep may name its service', () => {
    expect(problems(CONFIG)).toEqual([]);
    expect(problems(CONFIG.replace('greeting: ahoy', 'greeting: Ahoy!').replace('dir: /var/lib/stamps', 'dri: /var/lib/stamps'))).toEqual([
      'roster.yaml:10:17: hosts.shell.targets.stamps.dri: unknown key (did you mean dir?)',
      'roster.yaml:15:27: types.member.targets.stamps.greeting: must be a lower-case word',
    ]);
    // Without the target, its sections and its service are unknown.
    const services = [...new Set([...CORE_SERVICES, ...targetRegistry.flatMap((t) => t.services)])].sort().join(', ');
    const known = targetRegistry.map((t) => t.name).join(', ');
    expect(problems(CONFIG, targetRegistry)).toEqual([
      `roster.yaml:5:32: freeze.keep[2]: unknown service "stamps" (services: ${services})`,
      `roster.yaml:10:7: hosts.shell.targets.stamps: unknown target (known targets: ${known})`,
      `roster.yaml:15:7: types.member.targets.stamps: unknown target (known targets: ${known})`,
    ]);
  });

  it('is projected: each account gets its entry from its type (defaults where the type sets none), and the entry crosses the wire', async () => {
    const desired = await projectHost(ctx.store.read, ctx.config, 'shell', ctx.clock.now(), targets);
    expect(desired.accounts.map((a) => [a.username, a.targets.stamps])).toEqual([
      ['ann', { line: 'ahoy ann' }],
      ['bo', { line: 'hello bo' }],
    ]);
    const wire = desiredHostSchemaFor(targets).parse(JSON.parse(JSON.stringify(desired)));
    expect(wire.accounts[0]?.targets.stamps).toEqual({ line: 'ahoy ann' });
    // The registered targets' schema does not know it: an agent without the target drops the entry.
    expect(desiredHostSchemaFor(targetRegistry).parse(JSON.parse(JSON.stringify(desired))).accounts[0]?.targets).not.toHaveProperty('stamps');
    expect(() => desiredHostSchemaFor(targets).parse({ ...desired, accounts: [{ ...desired.accounts[0], targets: { stamps: { line: 7 } } }] })).toThrow();
  });

  it('is planned after unix and applied; a second plan has nothing left', async () => {
    const plan = (await planHost(ctx, targets, { host: 'shell', root })).plan;
    expect(plan.targets.map((t) => t.target)).toEqual(['unix', 'stamps']);
    expect(plan.targets[1]?.changes.map((c) => c.summary)).toEqual(['stamp ann: ahoy ann', 'stamp bo: hello bo']);
    const { report } = await reconcileHost(ctx, targets, { host: 'shell', root });
    expect(report.outcomes.filter((o) => o.status !== 'ok')).toEqual([]);
    expect(report.outcomes.filter((o) => o.target === 'stamps').map((o) => o.summary)).toEqual(['stamp ann: ahoy ann', 'stamp bo: hello bo']);
    expect(await readFile(join(root, 'var/lib/stamps/ann'), 'utf8')).toBe('ahoy ann\n');
    expect((await planHost(ctx, targets, { host: 'shell', root })).plan.targets.flatMap((t) => t.changes)).toEqual([]);
  });

  it('a change its verify finds not in effect is a failed change', async () => {
    await mkdir(join(root, 'var/lib/stamps'), { recursive: true });
    await symlink('/dev/null', join(root, 'var/lib/stamps/bo'));
    const { report } = await reconcileHost(ctx, targets, { host: 'shell', root });
    const stamps = report.outcomes.filter((o) => o.target === 'stamps');
    expect(stamps.map((o) => [o.account, o.status])).toEqual([
      ['ann', 'ok'],
      ['bo', 'failed'],
    ]);
    expect(stamps[1]?.error).toBe(`applied but not in effect: ${join(root, 'var/lib/stamps/bo')} reads "" (a symbolic link)`);
  });

  it('targets that wait for each other are a cycle, named by their after, in roster config check and in the registry', () => {
    const base = { hostSettings: stampsTarget.hostSettings, observe: async () => null, plan: () => [], apply: async () => [] };
    const a = defineTarget({ ...base, name: 'a', after: ['b'] });
    const b = defineTarget({ ...base, name: 'b', after: ['a'] });
    const text = 'hosts: { shell: { targets: { b: {} } } }\ntypes: { t: {} }\n';
    expect(problems(text, [a, b])).toEqual([
      "roster.yaml:1:1: target a: the a target's after makes an ordering cycle: a runs after b, b runs after a",
      "roster.yaml:1:30: hosts.shell.targets.b: the b target's after makes an ordering cycle: a runs after b, b runs after a",
    ]);
    expect(() => orderedTargets([a, b])).toThrow(/the targets cannot be ordered: a: after makes an ordering cycle: a runs after b, b runs after a/);
    const lost = defineTarget({ ...base, name: 'c', after: ['nowhere'] });
    expect(() => orderedTargets([lost])).toThrow(/c: after names "nowhere", which is not a registered target/);
    expect(() => orderedTargets([stampsTarget, ...targetRegistry, stampsTarget])).toThrow(/the targets cannot be ordered: stamps: is registered twice/);
  });

  it('declares the resource kinds it manages, each with a settings schema', () => {
    const kind = stampsTarget.resourceKinds.stamp;
    expect(kind?.settings.safeParse({ color: 'red' }).success).toBe(true);
    expect(kind?.settings.safeParse({ color: 'green' }).success).toBe(false);
    expect(targetRegistry.flatMap((t) => Object.keys(t.resourceKinds))).not.toContain('stamp');
  });
});
