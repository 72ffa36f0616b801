import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

interface Billing {
  personId: string;
  action: string;
  warnKind?: string;
  runOut: string | null;
  daysLeft: number | null;
  balanceCents: number;
  duesPosted?: number;
}

describe('billing freeze (seed 000): warn, freeze at the lead time, lift on payment', () => {
  let sb: RosterSandbox;
  beforeAll(async () => {
    sb = await rosterSandbox();
    expect((await sb.run(['person', 'add', '--id', 'M1', '--first', 'Dana', '--last', 'Dues', '--role', 'MEMBER'])).code).toBe(0);
    expect((await sb.run(['account', 'create', 'M1', '--type', 'member', '--username', 'dana', '--now', '2026-01-01T09:00:00Z'])).code).toBe(0);
  });
  afterAll(async () => sb.cleanup());

  const state = async (now: string): Promise<{ state: string; holds: Array<{ reason: string }> }> =>
    sb.json(['account', 'show', 'dana', '--now', now]);

  it('a payment sets the run-out date; the first run of a month posts dues once and warns once', async () => {
    const paid = await sb.json<{ billing: Billing }>(['ledger', 'pay', 'M1', '25', '--now', '2026-01-01T10:00:00Z']);
    expect(paid.billing.balanceCents).toBe(2500);
    expect(paid.billing.action).toBe('none');
    const dry = await sb.json<{ people: Billing[] }>(['billing', 'run', '--dry-run', '--now', '2026-01-01T11:00:00Z']);
    const first = await sb.json<{ people: Billing[] }>(['billing', 'run', '--now', '2026-01-01T11:00:00Z']);
    expect(first.people).toEqual(dry.people);
    const me = first.people.find((p) => p.personId === 'M1');
    expect(me?.duesPosted).toBe(1000);
    expect(me?.balanceCents).toBe(1500);
    expect(me?.action).toBe('warn');
    expect(me?.daysLeft).toBeLessThanOrEqual(60);
    expect(me?.daysLeft).toBeGreaterThan(30);
    const second = await sb.json<{ people: Billing[] }>(['billing', 'run', '--now', '2026-01-01T12:00:00Z']);
    const again = second.people.find((p) => p.personId === 'M1');
    expect(again?.duesPosted).toBeUndefined();
    expect(again?.action).toBe('none');
    expect((await state('2026-01-01T12:00:00Z')).state).toBe('active');
  });

  it('freezes with freeze:billing when the run-out date is within the freeze lead', async () => {
    const run = await sb.json<{ people: Billing[] }>(['billing', 'run', '--now', '2026-02-01T11:00:00Z']);
    const me = run.people.find((p) => p.personId === 'M1');
    expect(me?.duesPosted).toBe(1000);
    expect(me?.action).toBe('freeze');
    const a = await state('2026-02-01T11:00:00Z');
    expect(a.state).toBe('disabled');
    expect(a.holds.map((h) => h.reason)).toEqual(['billing']);
  });

  it('a payment lifts only the billing hold; an admin freeze stays', async () => {
    expect((await sb.run(['account', 'freeze', 'dana', '--reason', 'admin', '--now', '2026-02-02T08:00:00Z'])).code).toBe(0);
    const paid = await sb.json<{ billing: Billing }>(['ledger', 'pay', 'M1', '100', '--now', '2026-02-02T09:00:00Z']);
    expect(paid.billing.action).toBe('lift');
    const a = await state('2026-02-02T09:00:00Z');
    expect(a.holds.map((h) => h.reason)).toEqual(['admin']);
    expect((await sb.run(['account', 'unfreeze', 'dana', '--reason', 'admin', '--now', '2026-02-02T10:00:00Z'])).code).toBe(0);
    expect((await state('2026-02-02T10:00:00Z')).state).toBe('active');
    const statement = await sb.json<{ entries: unknown[]; billing: Billing }>(['ledger', 'show', 'M1', '--now', '2026-02-02T10:00:00Z']);
    expect(statement.entries).toHaveLength(4);
    expect(statement.billing.balanceCents).toBe(2500 - 1000 - 1000 + 10000);
  });
});
