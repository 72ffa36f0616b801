import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { fixtureAccount, fixtureHost } from '../../test/desired-fixture.js';
import { fixedClock } from '../domain/clock.js';
import type { AnyTarget } from '../targets/registry.js';
import { defineTarget, type ChangeResult, type TargetContext } from '../targets/target.js';
import { applyPrepared, applyRuns, type ChangeOutcome } from './apply-host-plan.js';
import { planDesired } from './host-plan.js';

/**
 * Concurrent targets (Target.concurrent) with targets written for the test:
 * each plans one change per account and records when its apply starts and
 * ends; `fails` makes it fail for those accounts. Two concurrent neighbours
 * overlap; a target that is not concurrent waits for both and skips the
 * accounts either of them failed.
 */
interface Journal {
  readonly events: string[];
}

function target(journal: Journal, name: string, options: { readonly concurrent?: boolean; readonly fails?: readonly string[]; readonly ms?: number } = {}): AnyTarget {
  return defineTarget({
    name,
    hostSettings: z.strictObject({}),
    ...(options.concurrent === undefined ? {} : { concurrent: options.concurrent }),
    observe: async () => null,
    plan: (desired) => desired.accounts.map((a) => ({ target: name, action: 'touch', subject: `thing:${a.username}`, account: a.username, summary: `${name} ${a.username}`, destructive: false })),
    apply: async (_ctx, _config, changes) => {
      journal.events.push(`${name} start`);
      await new Promise((r) => setTimeout(r, options.ms ?? 30));
      journal.events.push(`${name} end`);
      return changes.map((change): ChangeResult => ((options.fails ?? []).includes(change.account ?? '') ? { change, ok: false, error: `${name} refused` } : { change, ok: true }));
    },
  });
}

const tctx: TargetContext = { root: '/', host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
const desired = fixtureHost([fixtureAccount('ann', 3001), fixtureAccount('bo', 3002)]);

async function apply(targets: readonly AnyTarget[]): Promise<{ outcomes: readonly ChangeOutcome[]; audited: string[] }> {
  const prepared = await planDesired(targets.map((t) => ({ target: t, config: {} })), desired, tctx);
  const audited: string[] = [];
  const report = await applyPrepared(tctx, prepared, async (outcomes) => {
    audited.push(...outcomes.map((o) => `${o.target} ${o.account ?? ''} ${o.status}`));
  });
  return { outcomes: report.outcomes, audited };
}

describe('concurrent targets', () => {
  it('cuts the apply order into runs: neighbouring concurrent targets together, every other target alone', async () => {
    const j: Journal = { events: [] };
    const steps = (await planDesired(
      [target(j, 'a'), target(j, 'b', { concurrent: true }), target(j, 'c', { concurrent: true }), target(j, 'd'), target(j, 'e', { concurrent: true })].map((t) => ({ target: t, config: {} })),
      desired,
      tctx,
    )).steps;
    expect(applyRuns(steps).map((run) => run.map((s) => s.target.name))).toEqual([['a'], ['b', 'c'], ['d'], ['e']]);
  });

  it('applies neighbouring concurrent targets at the same time; a failure in one skips nothing of the other, and the next target skips the failed account', async () => {
    const j: Journal = { events: [] };
    const { outcomes, audited } = await apply([target(j, 'first'), target(j, 'web', { concurrent: true, fails: ['ann'], ms: 60 }), target(j, 'db', { concurrent: true }), target(j, 'last')]);
    expect(j.events).toEqual(['first start', 'first end', 'web start', 'db start', 'db end', 'web end', 'last start', 'last end']);
    expect(outcomes.map((o) => `${o.target} ${o.account ?? ''} ${o.status}`)).toEqual([
      'first ann ok',
      'first bo ok',
      'web ann failed',
      'web bo ok',
      // db ran beside web: ann's failure there does not skip it.
      'db ann ok',
      'db bo ok',
      'last ann skipped',
      'last bo ok',
    ]);
    expect(outcomes.find((o) => o.target === 'last' && o.account === 'ann')?.error).toBe('skipped: an earlier change for ann failed (web touch: web refused)');
    // Audited in apply order, whatever order the run's targets finished in.
    expect(audited).toEqual(['first ann ok', 'first bo ok', 'web ann failed', 'web bo ok', 'db ann ok', 'db bo ok', 'last bo ok']);
  });

  it('keeps targets that are not concurrent one after the other, each skipping what an earlier one failed', async () => {
    const j: Journal = { events: [] };
    const { outcomes } = await apply([target(j, 'web', { fails: ['ann'], ms: 60 }), target(j, 'db')]);
    expect(j.events).toEqual(['web start', 'web end', 'db start', 'db end']);
    expect(outcomes.map((o) => `${o.target} ${o.account ?? ''} ${o.status}`)).toEqual(['web ann failed', 'web bo ok', 'db ann skipped', 'db bo ok']);
  });
});
