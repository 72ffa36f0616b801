import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { createAccount, modifyAccount } from '../app/accounts.js';
import type { AppContext } from '../app/app-context.js';
import { addGroup } from '../app/groups.js';
import { desiredDelta, desiredRevision, desiredState } from '../app/host-reports.js';
import { freezeAccount, reactivateAccount, retireAccount, unfreezeAccount } from '../app/lifecycle-actions.js';
import { moveAccountType } from '../app/move-account-type.js';
import { addPerson } from '../app/people.js';
import { purge } from '../app/purge.js';
import { addResource, removeResource } from '../app/resources.js';
import { parseConfig } from '../config/load-config.js';
import { RosterError } from '../domain/errors.js';
import { storeFactories } from '../store/test-stores.js';
import { targetRegistry } from '../targets/registry.js';
import { hostAssignmentSchema } from './desired-host-schema.js';
import { applyDelta, digestsOf, hostDeltaSchema, type Assignment } from './host-delta.js';
import { IncrementalProjection } from './incremental-projection.js';
import { projectHost } from './project-host.js';

const YAML = `
timeZone: Europe/Paris
hosts:
  shell:
    targets:
      unix: {}
  web1:
    targets:
      unix: {}
      postgres: { url: "postgres://roster@127.0.0.1:1/postgres", passwordFile: /etc/roster/postgres.password }
  web2:
    targets:
      unix: {}
      postgres: { url: "postgres://roster@127.0.0.1:1/postgres", passwordFile: /etc/roster/postgres.password }
types:
  member:
    hosts: { live: [shell, web1, web2], login: [shell] }
    grace: { deactivation: 1, deletion: 3 }
  staff:
    hosts: { live: [shell], login: [shell] }
    grace: { deactivation: 0, deletion: 2 }
`;
const config = parseConfig(YAML, '/tmp/roster.yaml').config;
const HOSTS = ['shell', 'web1', 'web2'] as const;
const USERS = ['ann', 'bob', 'cyd', 'dee', 'eve', 'fay'] as const;

const user = fc.constantFrom(...USERS);
const op = fc.oneof(
  fc.record({ op: fc.constant('create' as const), user, type: fc.constantFrom('member', 'staff') }),
  fc.record({ op: fc.constant('freeze' as const), user }),
  fc.record({ op: fc.constant('unfreeze' as const), user }),
  fc.record({ op: fc.constant('retire' as const), user, days: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('reactivate' as const), user }),
  fc.record({ op: fc.constant('purge' as const) }),
  fc.record({ op: fc.constant('groups' as const), user, add: fc.constantFrom('devs', 'ops'), remove: fc.constantFrom('devs', 'ops', 'none') }),
  fc.record({ op: fc.constant('explicit' as const), group: fc.constantFrom('devs', 'ops', 'auditors'), members: fc.subarray([...USERS]) }),
  fc.record({ op: fc.constant('move' as const), user, type: fc.constantFrom('member', 'staff') }),
  fc.record({ op: fc.constant('shell' as const), user, shell: fc.constantFrom('/bin/sh', '/bin/bash') }),
  fc.record({ op: fc.constant('resource' as const), user, host: fc.constantFrom('web1', 'web2'), n: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant('unresource' as const), n: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ op: fc.constant('clock' as const), hours: fc.integer({ min: 1, max: 60 }) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** Refusals of the use cases (freezing a purged account, a second account) are part of random sequences. */
function refused(e: unknown): void {
  if (!(e instanceof RosterError)) throw e;
}

async function run(ctx: AppContext, o: Op, clock: { now: Date }): Promise<void> {
  switch (o.op) {
    case 'create':
      await createAccount(ctx, { personId: `P-${o.user}`, type: o.type, username: o.user, skipEligibility: true });
      return;
    case 'freeze':
      await freezeAccount(ctx, o.user, { reason: 'billing' });
      return;
    case 'unfreeze':
      await unfreezeAccount(ctx, o.user, { reason: 'billing' });
      return;
    case 'retire':
      await retireAccount(ctx, o.user, { deactivateAfter: o.days, deleteAfter: o.days + 1 });
      return;
    case 'reactivate':
      await reactivateAccount(ctx, o.user);
      return;
    case 'purge':
      await purge(ctx, { allowMassChange: true });
      return;
    case 'groups':
      await modifyAccount(ctx, o.user, { addGroups: [o.add], removeGroups: o.remove === 'none' || o.remove === o.add ? [] : [o.remove] });
      return;
    case 'explicit':
      await ctx.store.transaction((tx) => tx.setGroupMembers(o.group, o.members));
      return;
    case 'move':
      await moveAccountType(ctx, o.user, { type: o.type });
      return;
    case 'shell':
      await modifyAccount(ctx, o.user, { shell: o.shell });
      return;
    case 'resource':
      await addResource(ctx, targetRegistry, { user: o.user, kind: 'postgres-database', name: `${o.user}_db${o.n}`, host: o.host });
      return;
    case 'unresource': {
      const all = await ctx.store.read.listResources();
      const r = all[o.n % Math.max(1, all.length)];
      if (r !== undefined) await removeResource(ctx, r.id);
      return;
    }
    case 'clock':
      clock.now = new Date(clock.now.getTime() + o.hours * 3_600_000);
      return;
  }
}

/** As it crosses the wire: JSON, then the receiver's schema. */
function wire<T>(value: unknown, schema: { parse(v: unknown): T }): T {
  return schema.parse(JSON.parse(JSON.stringify(value)));
}

/** The full projection of `host` at `at` and its assignment: the reference a served state must equal. */
async function fullAssignment(read: Parameters<typeof projectHost>[0], host: string, at: Date): Promise<Assignment> {
  const targets = (config.hosts[host]?.targets ?? {}) as Record<string, unknown>;
  const desired = await projectHost(read, config, host, at, targetRegistry);
  return { revision: digestsOf({ desired, targets, breaker: config.breaker }).revision, desired, targets, breaker: config.breaker };
}

interface WholeState {
  readonly revision: string;
  readonly body: ReadableStream<Uint8Array>;
}

/** A whole state served as one JSON document, as the agent reads it. */
async function servedJson(whole: WholeState): Promise<ReturnType<typeof hostAssignmentSchema.parse>> {
  return wire(JSON.parse(await new Response(whole.body).text()), hostAssignmentSchema);
}

/** A whole state served as NDJSON: its head's revision, the state put together line by line, and its closing counts. */
async function servedNdjson(whole: WholeState): Promise<{ readonly revision: unknown; readonly desired: unknown; readonly end: unknown }> {
  const [head, ...entries] = (await new Response(whole.body).text())
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const byLine = { ...(head?.desired as object), accounts: entries.flatMap((l) => ('account' in l ? [l.account] : [])), groups: entries.flatMap((l) => ('group' in l ? [l.group] : [])) };
  return { revision: head?.revision, desired: wire({ ...head, desired: byLine }, hostAssignmentSchema).desired, end: entries.at(-1) };
}

describe.each(storeFactories)('the incremental projection on $name', (factory) => {
  const opened: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of opened) await close();
  });

  it('equals the full projection after any sequence of changes and clock steps, and its deltas rebuild the full state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 12, maxLength: 40, size: 'max' }), async (ops) => {
        const s = await factory.open();
        try {
          const clock = { now: new Date('2026-12-01T09:00:00Z') };
          const ctx = exampleAppContext(s.store, { now: () => new Date(clock.now.getTime()) }, { config });
          for (const u of USERS) await addPerson(ctx, { id: `P-${u}`, firstName: u, lastName: 'Example', roles: [] });
          // Most start with an account, so the sequence acts on them.
          for (const u of USERS.slice(0, 4)) await createAccount(ctx, { personId: `P-${u}`, type: 'member', username: u, skipEligibility: true });
          await addGroup(ctx, { name: 'devs' });
          await addGroup(ctx, { name: 'ops' });
          await addGroup(ctx, { name: 'auditors' });
          const previous = new Map<string, Assignment>();
          for (const o of [{ op: 'clock', hours: 0 } as Op, ...ops]) {
            const early = o.op === 'clock' ? await desiredRevision(ctx, 'web1') : undefined;
            await run(ctx, o, clock).catch(refused);
            if (early !== undefined) {
              // Agents' turns interleave: web1's whole state is asked for a revision taken before the clock
              // moved, while web2 (the same class) takes its revision now, during web1's projection or before
              // it, and asks for its own. Each is served the state at its revision's instant, whichever class
              // part they make, wait for or keep.
              const [whole1, whole2] =
                o.op === 'clock' && o.hours % 2 === 1
                  ? await Promise.all([desiredState(ctx, 'web1', early), desiredRevision(ctx, 'web2').then((late) => desiredState(ctx, 'web2', late))])
                  : await desiredRevision(ctx, 'web2').then((late) => Promise.all([desiredState(ctx, 'web1', early), desiredState(ctx, 'web2', late)]));
              for (const [host, whole, at] of [
                ['web1', whole1, new Date(early.at)],
                ['web2', whole2, clock.now],
              ] as const) {
                const full = await fullAssignment(s.store.read, host, at);
                const served = await servedJson(whole);
                expect([whole.revision, served.desired], `${host} after ${JSON.stringify(o)}`).toEqual([full.revision, wire(full, hostAssignmentSchema).desired]);
              }
            }
            for (const host of HOSTS) {
              const current = await desiredRevision(ctx, host);
              const full = await fullAssignment(s.store.read, host, clock.now);
              expect(current.revision, `${host} after ${JSON.stringify(o)}`).toBe(full.revision);
              // The whole state as served (the class part shared by web1 and web2) is the full projection.
              const whole = await desiredState(ctx, host, current);
              const served = await servedJson(whole);
              // As NDJSON: the same state, line by line, with its counts.
              const lines = await servedNdjson(await desiredState(ctx, host, current, 'ndjson'));
              expect(lines.end).toEqual({ end: { accounts: full.desired.accounts.length, groups: full.desired.groups.length } });
              expect([lines.revision, lines.desired]).toEqual([full.revision, wire(full, hostAssignmentSchema).desired]);
              expect([whole.revision, served.revision]).toEqual([full.revision, full.revision]);
              expect(served.desired).toEqual(wire(full, hostAssignmentSchema).desired);
              const before = previous.get(host);
              if (before !== undefined && before.revision !== current.revision) {
                const delta = await desiredDelta(ctx, host, current, before.revision);
                expect(delta, `a delta for ${host} after ${JSON.stringify(o)}`).not.toBeNull();
                const rebuilt = applyDelta(wire(before, hostAssignmentSchema), wire(delta, hostDeltaSchema));
                expect(rebuilt?.revision).toBe(full.revision);
                expect(rebuilt?.desired).toEqual(wire(full, hostAssignmentSchema).desired);
              }
              previous.set(host, full);
            }
          }
        } finally {
          await s.cleanup();
        }
      }),
      { numRuns: factory.name === 'sqlite' ? 20 : 8 },
    );
  }, 300_000);

  it('prunes the feed to what can still be of use, and builds a class whole again when it fell behind the pruned rows or too many changed', async () => {
    const s = await factory.open();
    opened.push(() => s.cleanup());
    const clock = { now: new Date('2026-12-01T09:00:00Z') };
    const ctx = exampleAppContext(s.store, { now: () => new Date(clock.now.getTime()) }, { config });
    for (const u of USERS) {
      await addPerson(ctx, { id: `P-${u}`, firstName: u, lastName: 'Example', roles: [] });
      await createAccount(ctx, { personId: `P-${u}`, type: 'member', username: u, skipEligibility: true });
    }
    const pruned: number[] = [];
    const assignment = (host: string): { targets: Record<string, unknown>; breaker: typeof config.breaker } => ({ targets: config.hosts[host]?.targets ?? {}, breaker: config.breaker });
    const projection = new IncrementalProjection(s.store.read, config, targetRegistry, assignment, {
      rebuildOver: 4,
      prune: async (seq) => pruned.push(await s.store.transaction((tx) => tx.pruneDesiredFeed(seq))),
    });
    const lagging = new IncrementalProjection(s.store.read, config, targetRegistry, assignment, { rebuildOver: 4 });
    const full = async (host: string): Promise<string> => digestsOf({ desired: await projectHost(s.store.read, config, host, clock.now, targetRegistry), ...assignment(host) }).revision;
    expect((await lagging.revision('shell', clock.now)).revision).toBe(await full('shell'));
    for (let i = 0; i < 12; i++) {
      const u = USERS[Math.floor(i / 2) % USERS.length] ?? 'ann';
      await (i % 2 === 0 ? freezeAccount(ctx, u, { reason: 'billing' }) : unfreezeAccount(ctx, u, { reason: 'billing' }));
      expect((await projection.revision('web1', clock.now)).revision).toBe(await full('web1'));
    }
    expect(pruned.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(await s.store.read.desiredFeedFloor()).toBeGreaterThan(1);
    // Far behind the pruned rows: built whole again, still equal.
    expect((await lagging.revision('shell', clock.now)).revision).toBe(await full('shell'));
  });
});

describe('whole states of more entries than one piece of the body', () => {
  it('are the full projection, as JSON and as NDJSON, made and then kept', async () => {
    const factory = storeFactories.find((f) => f.name === 'sqlite');
    if (factory === undefined) throw new Error('no SQLite store factory');
    const s = await factory.open();
    try {
      const now = new Date('2026-12-01T09:00:00Z');
      const ctx = exampleAppContext(s.store, { now: () => now }, { config });
      // 2,345 accounts: three pieces of the body, the last one short.
      for (let i = 0; i < 2_345; i++) {
        await addPerson(ctx, { id: `P${i}`, firstName: `n${i}`, lastName: 'Example', roles: [] });
        await createAccount(ctx, { personId: `P${i}`, type: 'member', username: `u${i}x`, skipEligibility: true });
      }
      const full = wire(await fullAssignment(s.store.read, 'web1', now), hostAssignmentSchema);
      for (const turn of ['made', 'kept']) {
        const current = await desiredRevision(ctx, 'web1');
        const json = await servedJson(await desiredState(ctx, 'web1', current));
        expect([turn, json.revision, json.desired.accounts.length, json.desired]).toEqual([turn, full.revision, 2_345, full.desired]);
        const lines = await servedNdjson(await desiredState(ctx, 'web1', current, 'ndjson'));
        expect(lines.end).toEqual({ end: { accounts: 2_345, groups: full.desired.groups.length } });
        expect([turn, lines.revision, lines.desired]).toEqual([turn, full.revision, full.desired]);
      }
    } finally {
      await s.cleanup();
    }
  }, 120_000);
});
