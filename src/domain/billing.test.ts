import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balanceCents, billingDecision, runOutDate } from './billing.js';
import { RosterError } from './errors.js';

describe('balanceCents', () => {
  it('is payments minus charges', () => {
    expect(balanceCents([])).toBe(0);
    expect(balanceCents([{ kind: 'payment', amountCents: 5000 }, { kind: 'charge', amountCents: 1234 }, { kind: 'charge', amountCents: 1234 }])).toBe(2532);
    expect(balanceCents([{ kind: 'charge', amountCents: 100 }])).toBe(-100);
  });

  it('refuses fractional cents', () => {
    expect(() => balanceCents([{ kind: 'payment', amountCents: 10.5 }])).toThrow(RosterError);
  });
});

describe('runOutDate', () => {
  it('no dues: never', () => {
    expect(runOutDate({ balanceCents: 0, monthlyDuesCents: 0, today: '2026-01-15' })).toBeNull();
    expect(runOutDate({ balanceCents: -500, monthlyDuesCents: 0, today: '2026-01-15' })).toBeNull();
  });

  it('a negative balance has run out today', () => {
    expect(runOutDate({ balanceCents: -1, monthlyDuesCents: 1000, today: '2026-01-15' })).toBe('2026-01-15');
  });

  it('b/d months of 30.4375 days, rounded down', () => {
    const d = 1000;
    expect(runOutDate({ balanceCents: 0, monthlyDuesCents: d, today: '2026-01-15' })).toBe('2026-01-15');
    // One month: 30.4375 → 30 days.
    expect(runOutDate({ balanceCents: 1000, monthlyDuesCents: d, today: '2026-01-15' })).toBe('2026-02-14');
    // Four months: exactly 121.75 → 121 days.
    expect(runOutDate({ balanceCents: 4000, monthlyDuesCents: d, today: '2026-01-01' })).toBe('2026-05-02');
    // Twelve months: 365.25 → 365 days.
    expect(runOutDate({ balanceCents: 12000, monthlyDuesCents: d, today: '2026-01-01' })).toBe('2027-01-01');
    // Half a month: 15.21875 → 15 days.
    expect(runOutDate({ balanceCents: 500, monthlyDuesCents: d, today: '2026-01-01' })).toBe('2026-01-16');
    // Exactly 32 months = 974 days: an exact integer is not rounded down.
    expect(runOutDate({ balanceCents: 32 * 1234, monthlyDuesCents: 1234, today: '2026-01-01' })).toBe('2028-09-01');
  });

  it('more money never brings the date closer (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 100_000 }), (b, extra, d) => {
        const a = runOutDate({ balanceCents: b, monthlyDuesCents: d, today: '2026-03-01' });
        const c = runOutDate({ balanceCents: b + extra, monthlyDuesCents: d, today: '2026-03-01' });
        expect(a !== null && c !== null && a <= c).toBe(true);
      }),
    );
  });
});

const base = { today: '2026-01-01', warnLeadDays: [60, 45], freezeLeadDays: 30, frozenForBilling: false, noticesSent: new Set<string>() };
const inDays = (n: number): string => new Date(Date.UTC(2026, 0, 1 + n)).toISOString().slice(0, 10);

describe('billingDecision (seed 000)', () => {
  it('nothing to do far ahead, or when it never runs out', () => {
    expect(billingDecision({ ...base, runOut: inDays(61) })).toEqual({ action: 'none', daysLeft: 61 });
    expect(billingDecision({ ...base, runOut: null })).toEqual({ action: 'none', daysLeft: null });
  });

  it('warns at each lead, once', () => {
    expect(billingDecision({ ...base, runOut: inDays(60) })).toEqual({ action: 'warn', warnKind: 'warn:60', daysLeft: 60 });
    expect(billingDecision({ ...base, runOut: inDays(50), noticesSent: new Set(['warn:60']) })).toEqual({ action: 'none', daysLeft: 50 });
    expect(billingDecision({ ...base, runOut: inDays(45), noticesSent: new Set(['warn:60']) })).toEqual({ action: 'warn', warnKind: 'warn:45', daysLeft: 45 });
    expect(billingDecision({ ...base, runOut: inDays(31), noticesSent: new Set(['warn:60', 'warn:45']) })).toEqual({ action: 'none', daysLeft: 31 });
  });

  it('a member first seen inside a later lead gets that warning only', () => {
    expect(billingDecision({ ...base, runOut: inDays(40) })).toEqual({ action: 'warn', warnKind: 'warn:45', daysLeft: 40 });
    expect(billingDecision({ ...base, runOut: inDays(40), noticesSent: new Set(['warn:45']) }).action).toBe('none');
  });

  it('freezes at the freeze lead, and does not freeze twice', () => {
    expect(billingDecision({ ...base, runOut: inDays(30) })).toEqual({ action: 'freeze', daysLeft: 30 });
    expect(billingDecision({ ...base, runOut: inDays(0) })).toEqual({ action: 'freeze', daysLeft: 0 });
    expect(billingDecision({ ...base, runOut: inDays(30), frozenForBilling: true })).toEqual({ action: 'none', daysLeft: 30 });
  });

  it('lifts the billing freeze once a payment moves the date past the lead', () => {
    expect(billingDecision({ ...base, runOut: inDays(31), frozenForBilling: true })).toEqual({ action: 'lift', daysLeft: 31 });
    expect(billingDecision({ ...base, runOut: null, frozenForBilling: true })).toEqual({ action: 'lift', daysLeft: null });
  });

  it('warn leads in any order', () => {
    expect(billingDecision({ ...base, warnLeadDays: [45, 60], runOut: inDays(50) })).toEqual({ action: 'warn', warnKind: 'warn:60', daysLeft: 50 });
    expect(billingDecision({ ...base, warnLeadDays: [], runOut: inDays(50) })).toEqual({ action: 'none', daysLeft: 50 });
  });

  it('a daily run sends each warning once and freezes once (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 120 }), (start) => {
        const sent = new Set<string>();
        let frozen = false;
        let freezes = 0;
        const runOut = inDays(start);
        for (let day = 0; day <= start; day++) {
          const today = inDays(day);
          const d = billingDecision({ ...base, today, runOut, frozenForBilling: frozen, noticesSent: sent });
          if (d.action === 'warn' && d.warnKind !== undefined) {
            expect(sent.has(d.warnKind)).toBe(false);
            sent.add(d.warnKind);
          }
          if (d.action === 'freeze') {
            frozen = true;
            freezes++;
          }
          expect(d.action).not.toBe('lift');
        }
        expect(freezes).toBe(1);
        // warn:45 once the member is seen with 31-45 days left, warn:60 with 46-60.
        expect([...sent].sort()).toEqual([...(start > 30 ? ['warn:45'] : []), ...(start > 45 ? ['warn:60'] : [])]);
      }),
    );
  });
});

describe('runOutDate limits', () => {
  it('a credit of millennia stops at 9999-12-31', () => {
    expect(runOutDate({ balanceCents: Number.MAX_SAFE_INTEGER, monthlyDuesCents: 1, today: '2026-01-01' })).toBe('9999-12-31');
  });
});
