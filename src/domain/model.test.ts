/**
 * Model-based test of the account lifecycle (DESIGN.md §3): random sequences
 * of freeze / unfreeze / retire / reactivate / purge-if-due / clock steps are
 * applied to one account through the real transitions and to a tiny
 * reference model, and the two must agree after every step.
 *
 * The model is independent of zoned-time.ts: it uses zones with a fixed UTC
 * offset (no DST since long before the test's dates), where "start of day"
 * is plain arithmetic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountState, effectiveHolds, type Account, type AccountState } from './account.js';
import { isRosterError, type ErrorCode } from './errors.js';
import { freeze, isPurgeDue, markPurged, reactivate, retire, unfreeze, type Transition } from './lifecycle.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

const ZONES: ReadonlyArray<{ readonly name: string; readonly offset: number }> = [
  { name: 'UTC', offset: 0 },
  { name: 'Asia/Kolkata', offset: 5.5 * HOUR },
  { name: 'Asia/Kathmandu', offset: 5.75 * HOUR },
  { name: 'Etc/GMT+5', offset: -5 * HOUR },
  { name: 'Pacific/Kiritimati', offset: 14 * HOUR },
];

const REASONS = ['billing', 'admin', 'security'] as const;

type Command =
  | { readonly t: 'freeze'; readonly reason: string }
  | { readonly t: 'unfreeze'; readonly reason: string }
  | { readonly t: 'retire'; readonly d: number; readonly p: number }
  | { readonly t: 'reactivate' }
  | { readonly t: 'purgeIfDue' }
  | { readonly t: 'advance'; readonly ms: number }
  /** Jump to a deadline (±1 ms) if it lies ahead: the boundaries are where bugs live. */
  | { readonly t: 'toDeadline'; readonly which: 'expiresAt' | 'purgeAt'; readonly delta: -1 | 0 | 1 };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ t: fc.constant('freeze' as const), reason: fc.constantFrom(...REASONS) }),
  fc.record({ t: fc.constant('unfreeze' as const), reason: fc.constantFrom(...REASONS) }),
  // Includes P = 0 (purge now) and D > P (rejected).
  fc.record({ t: fc.constant('retire' as const), d: fc.integer({ min: 0, max: 6 }), p: fc.integer({ min: 0, max: 8 }) }),
  fc.constant({ t: 'reactivate' as const }),
  fc.constant({ t: 'purgeIfDue' as const }),
  fc.record({
    t: fc.constant('advance' as const),
    ms: fc.oneof(fc.integer({ min: 1, max: 59_999 }), fc.integer({ min: 60_000, max: 6 * HOUR }), fc.integer({ min: DAY / 2, max: 3 * DAY })),
  }),
  fc.record({ t: fc.constant('toDeadline' as const), which: fc.constantFrom('expiresAt' as const, 'purgeAt' as const), delta: fc.constantFrom(-1 as const, 0 as const, 1 as const) }),
);

interface Model {
  readonly freezes: ReadonlySet<string>;
  /** Instants (ms) when the `retired` hold takes effect and when the purge is due. */
  readonly retire: { readonly deact: number; readonly purge: number } | null;
  readonly purged: boolean;
}

/** What the model expects of one command: a new model, or an error code. */
type Expectation = { readonly model: Model; readonly purgeNow?: true } | { readonly error: ErrorCode };

function startOfDay(t: number, offset: number): number {
  return Math.floor((t + offset) / DAY) * DAY - offset;
}

function step(m: Model, c: Command, now: number, offset: number): Expectation {
  switch (c.t) {
    case 'freeze':
      if (m.purged) return { error: 'conflict' };
      return { model: { ...m, freezes: new Set([...m.freezes, c.reason]) } };
    case 'unfreeze': {
      if (m.purged) return { error: 'conflict' };
      const freezes = new Set(m.freezes);
      freezes.delete(c.reason);
      return { model: { ...m, freezes } };
    }
    case 'retire': {
      if (c.p > 0 && c.d > c.p) return { error: 'bad_input' };
      if (m.purged) return { error: 'conflict' };
      if (c.p === 0) return { model: { ...m, purged: true }, purgeNow: true };
      const deact = c.d === 0 ? now : startOfDay(now + c.d * DAY, offset);
      const purge = startOfDay(now + c.p * DAY, offset);
      const retire = m.retire === null ? { deact, purge } : { deact: Math.min(deact, m.retire.deact), purge: Math.min(purge, m.retire.purge) };
      return { model: { ...m, retire } };
    }
    case 'reactivate':
      if (m.purged) return { error: 'conflict' };
      return { model: { ...m, retire: null } };
    case 'purgeIfDue':
      return { model: !m.purged && m.retire !== null && m.retire.purge <= now ? { ...m, purged: true } : m };
    case 'advance':
    case 'toDeadline':
      return { model: m };
  }
}

function modelState(m: Model, now: number): AccountState {
  if (m.purged) return 'purged';
  if (m.freezes.size > 0 || (m.retire !== null && m.retire.deact <= now)) return 'disabled';
  return 'active';
}

function signature(m: Model): string {
  return JSON.stringify([[...m.freezes].sort(), m.retire, m.purged]);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const iso = (t: number): string => new Date(t).toISOString();
const ms = (s: string | null): number | null => (s === null ? null : Date.parse(s));

function newAccount(now: number): Account {
  return {
    id: 7,
    personId: 'p7',
    type: 'member',
    username: 'svette',
    uid: 20007,
    gid: 20007,
    primaryGroup: 'svette',
    gecos: 'Søren Vette',
    shell: '/bin/bash',
    home: '/home/svette',
    passwordHash: '$y$j9T$salt$hash',
    principal: null,
    groups: [],
    holds: [],
    expiresAt: null,
    purgeAt: null,
    purgedAt: null,
    pending: false,
    createdAt: iso(now),
    updatedAt: iso(now),
  };
}

/** Runs one command against the real transitions; returns the new account or the error code thrown. */
function apply(account: Account, c: Command, now: Date, timeZone: string): { account: Account; changed: boolean; purgeNow?: true } | { error: ErrorCode } {
  const by = 'model';
  try {
    switch (c.t) {
      case 'freeze':
        return freeze(account, { reason: c.reason, note: null, by, now });
      case 'unfreeze':
        return unfreeze(account, { reason: c.reason, by, now });
      case 'retire': {
        const outcome = retire(account, { deactivation: c.d, deletion: c.p, now, timeZone, by });
        if ('purgeNow' in outcome) {
          // The caller purges at once (DESIGN.md §3: "purge now").
          return { account: markPurged(account, now), changed: true, purgeNow: true };
        }
        return outcome;
      }
      case 'reactivate':
        return reactivate(account, { by, now });
      case 'purgeIfDue': {
        if (!isPurgeDue(account, now)) return { account, changed: false };
        return { account: markPurged(account, now), changed: true };
      }
      case 'advance':
      case 'toDeadline':
        return { account, changed: false } satisfies Transition;
    }
  } catch (e) {
    if (isRosterError(e)) return { error: e.code };
    throw e;
  }
}

function check(account: Account, m: Model, now: number): void {
  const at = new Date(now);
  expect(accountState(account, at)).toBe(modelState(m, now));

  const freezes = account.holds.filter((h) => h.kind === 'freeze').map((h) => h.reason);
  expect(new Set(freezes).size).toBe(freezes.length);
  expect(new Set(freezes)).toEqual(m.freezes);

  const retired = account.holds.filter((h) => h.kind === 'retired');
  expect(account.holds.length).toBe(freezes.length + retired.length);
  if (m.retire === null) {
    expect(retired).toEqual([]);
    expect(account.expiresAt).toBeNull();
    expect(account.purgeAt).toBeNull();
  } else {
    expect(retired).toHaveLength(1);
    expect(retired[0]?.since).toBe(iso(m.retire.deact));
    expect(account.expiresAt).toBe(iso(m.retire.deact));
    expect(account.purgeAt).toBe(iso(m.retire.purge));
    expect(m.retire.deact).toBeLessThanOrEqual(m.retire.purge);
  }

  const expectedEffective = [...m.freezes].length + (m.retire !== null && m.retire.deact <= now ? 1 : 0);
  expect(effectiveHolds(account, at)).toHaveLength(expectedEffective);
  expect(isPurgeDue(account, at)).toBe(!m.purged && m.retire !== null && m.retire.purge <= now);
}

describe('lifecycle model', () => {
  it('agrees with a reference model after every step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.constantFrom(...ZONES),
        fc.array(command, { maxLength: 30 }),
        (start, zone, commands) => {
          let now = start;
          let account = deepFreeze(newAccount(now));
          let m: Model = { freezes: new Set(), retire: null, purged: false };
          let purgedAs: Account | null = null;

          for (const c of commands) {
            if (c.t === 'advance') now += c.ms;
            if (c.t === 'toDeadline') {
              const target = ms(account[c.which]);
              if (target !== null && target + c.delta > now) now = target + c.delta;
            }

            const before = account;
            const expected = step(m, c, now, zone.offset);
            const actual = apply(before, c, new Date(now), zone.name);

            if ('error' in expected) {
              expect(actual).toEqual({ error: expected.error });
            } else {
              if ('error' in actual) throw new Error(`unexpected ${actual.error} for ${JSON.stringify(c)}`);
              expect('purgeNow' in actual).toBe(expected.purgeNow === true);
              // `changed` is exactly "the model moved", and no change means the very same object.
              expect(actual.changed).toBe(signature(expected.model) !== signature(m));
              if (!actual.changed) expect(actual.account).toBe(before);
              else expect(actual.account.updatedAt).toBe(iso(now));
              account = deepFreeze(actual.account);
              m = expected.model;
            }

            // No deadline ever moves later (reactivation clears them; that is not a move).
            if (c.t !== 'reactivate') {
              for (const key of ['expiresAt', 'purgeAt'] as const) {
                const was = ms(before[key]);
                const is = ms(account[key]);
                if (was !== null) {
                  expect(is).not.toBeNull();
                  expect(is ?? Infinity).toBeLessThanOrEqual(was);
                }
              }
            }

            // Purged is final: nothing changes a tombstone again.
            if (purgedAs !== null) expect(account).toBe(purgedAs);
            if (m.purged && purgedAs === null) {
              purgedAs = account;
              expect(account.purgedAt).toBe(iso(now));
            }

            check(account, m, now);
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });
});
