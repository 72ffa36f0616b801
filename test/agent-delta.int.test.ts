import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { agentCycle, type AgentDeps, type AgentSettings } from '../src/agent/agent-cycle.js';
import { AgentStateFile, agentStatePath } from '../src/agent/agent-state.js';
import type { DesiredAnswer } from '../src/agent/server-client.js';
import { fixedClock } from '../src/domain/clock.js';
import { hostAssignmentSchema, type HostAssignment } from '../src/desired/desired-host-schema.js';
import type { DesiredGroup } from '../src/desired/desired-host.js';
import { deltaFrom, digestsOf, hostDeltaSchema, revisionOf } from '../src/desired/host-delta.js';
import { targetRegistry } from '../src/targets/registry.js';
import { FREEZE_BILLING, fixtureAccount, fixtureHost } from './desired-fixture.js';

/**
 * The incremental agent (issue 17 item 2): random sequences of changes —
 * freeze, unfreeze, add, drop, joining and leaving a shared group — served
 * as deltas to an agent that applies them in place and through the scoped
 * path where it can, leave the unix target's four files byte for byte as a
 * whole-host apply of the whole state after every change, on a root that
 * went through the same changes.
 */

const SHARED = { members: 9_000, staff: 9_001 } as const;
type Shared = keyof typeof SHARED;

interface Member { readonly uid: number; frozen: boolean; readonly groups: Set<Shared> }

type Change =
  | { readonly op: 'freeze' | 'unfreeze' | 'drop'; readonly pick: number }
  | { readonly op: 'join' | 'leave'; readonly pick: number; readonly group: Shared }
  | { readonly op: 'add'; readonly groups: readonly Shared[] };

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ op: fc.constantFrom('freeze' as const, 'unfreeze' as const, 'drop' as const), pick: fc.nat() }),
  fc.record({ op: fc.constantFrom('join' as const, 'leave' as const), pick: fc.nat(), group: fc.constantFrom<Shared>('members', 'staff') }),
  fc.record({ op: fc.constant('add' as const), groups: fc.subarray<Shared>(['members', 'staff']) }),
);

/** The server's side, as data: the host's assignment from the model, by the projection's rules (a shared group is there while someone names it). */
function assignmentOf(model: ReadonlyMap<string, Member>): HostAssignment {
  const accounts = [...model].map(([name, m]) => fixtureAccount(name, m.uid, { holds: m.frozen ? [FREEZE_BILLING] : [], groups: [...m.groups].sort() }));
  const groups: DesiredGroup[] = accounts.map((a) => ({ name: a.username, gid: a.gid, members: [] }));
  for (const [name, gid] of Object.entries(SHARED)) {
    const members = accounts.filter((a) => a.groups.includes(name)).map((a) => a.username).sort();
    if (members.length > 0) groups.push({ name, gid, members });
  }
  groups.sort((a, b) => (a.name < b.name ? -1 : 1));
  const rest = { desired: { ...fixtureHost(accounts), groups }, targets: { unix: {} }, breaker: { count: 1_000, percent: 100 } };
  return hostAssignmentSchema.parse(JSON.parse(JSON.stringify({ revision: revisionOf(rest), ...rest })));
}

/** Answers as `GET …/desired` does: 304, a delta from a revision it still knows, or the whole state. */
function serverOf(current: () => HostAssignment, history: ReadonlyMap<string, HostAssignment>, deltas: boolean): AgentDeps['client'] {
  return {
    desired: async (known: string | null, options?: { readonly delta?: boolean }): Promise<DesiredAnswer> => {
      const now = current();
      if (known === now.revision) return { changed: false, revision: now.revision };
      const base = known === null ? undefined : history.get(known);
      if (deltas && options?.delta === true && base !== undefined) return { changed: true, delta: hostDeltaSchema.parse(JSON.parse(JSON.stringify(deltaFrom(digestsOf(base), now, digestsOf(now))))) };
      return { changed: true, assignment: now };
    },
    report: async () => undefined,
    usage: async () => undefined,
  };
}

function makeRoot(dir: string): string {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(dir, 'etc/shadow'), 'root:*:20000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(dir, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
  return dir;
}

function etcFiles(root: string): Record<string, string> {
  return Object.fromEntries(['passwd', 'shadow', 'group', 'gshadow'].map((f) => [f, readFileSync(join(root, 'etc', f), 'utf8')]));
}

function apply(model: Map<string, Member>, change: Change, next: () => number): void {
  const names = [...model.keys()].sort();
  if (change.op === 'add') {
    const uid = next();
    model.set(`new${uid}`, { uid, frozen: false, groups: new Set(change.groups) });
    return;
  }
  const name = names[change.pick % Math.max(1, names.length)];
  const m = name === undefined ? undefined : model.get(name);
  if (name === undefined || m === undefined) return;
  if ('group' in change) {
    if (change.op === 'join') m.groups.add(change.group);
    else m.groups.delete(change.group);
  } else if (change.op === 'freeze') m.frozen = true;
  else if (change.op === 'unfreeze') m.frozen = false;
  else model.delete(name);
}

describe('the incremental agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-agent-delta-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const log = { info: () => undefined, warn: () => undefined };
  let run = 0;
  let scoped = 0;
  let widened = 0;

  it('applying deltas (scoped where it can) leaves the same files as whole-host applies of the same states', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(changeArb, { minLength: 1, maxLength: 8 }), async (changes) => {
        run++;
        let uid = 10_000;
        const model = new Map<string, Member>();
        for (let i = 0; i < 6; i++) model.set(`user${i}`, { uid: uid++, frozen: i === 5, groups: new Set(i % 2 === 0 ? ['members'] : i === 1 ? ['staff'] : []) });
        const history = new Map<string, HostAssignment>();
        let current = assignmentOf(model);
        history.set(current.revision, current);
        const roots = { delta: makeRoot(join(dir, `${run}-delta`)), whole: makeRoot(join(dir, `${run}-whole`)) };
        const agent = (which: 'delta' | 'whole'): { settings: AgentSettings; deps: AgentDeps; file: AgentStateFile } => {
          const settings: AgentSettings = { server: 'http://roster.test', host: 'shell', root: roots[which], statePath: agentStatePath(join(roots[which], 'var/lib/roster'), 'shell'), allowMassChange: false, lockTimeoutMs: 10_000, changelog: false };
          return { settings, deps: { client: serverOf(() => current, history, which === 'delta'), targets: targetRegistry, clock: fixedClock(new Date('2026-11-23T12:00:00.000Z')), log }, file: AgentStateFile.open(settings.statePath, log.warn) };
        };
        const a = agent('delta');
        const b = agent('whole');
        try {
          // Both start from the same whole-host apply.
          for (const x of [a, b]) expect((await agentCycle(x.settings, x.deps, x.file, { force: true })).result.applied?.failed).toBe(0);
          for (const change of changes) {
            apply(model, change, () => uid++);
            current = assignmentOf(model);
            history.set(current.revision, current);
            const turn = (await agentCycle(a.settings, a.deps, a.file, { force: false })).result;
            const reference = (await agentCycle(b.settings, b.deps, b.file, { force: true })).result;
            if (turn.changed) expect(turn.transfer).toBe('delta');
            expect(turn.applyError).toBeNull();
            expect(reference.applyError).toBeNull();
            if (turn.scope !== null) scoped++;
            if (turn.widened !== null) widened++;
            expect(etcFiles(roots.delta), JSON.stringify(changes)).toEqual(etcFiles(roots.whole));
            expect(a.file.load()).toEqual(current);
          }
        } finally {
          a.file.close();
          b.file.close();
          rmSync(roots.delta, { recursive: true, force: true });
          rmSync(roots.whole, { recursive: true, force: true });
        }
      }),
      { numRuns: 30 },
    );
    // Both paths were taken: freezes alone go scoped, drops and leaving a group take the whole host.
    expect(scoped).toBeGreaterThan(0);
    expect(widened).toBeGreaterThan(0);
  }, 120_000);
});
