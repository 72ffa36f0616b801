import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import type { Clock } from '../domain/clock.js';
import { RosterError } from '../domain/errors.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import type { AppContext } from './app-context.js';
import { createAccount } from './accounts.js';
import { confirmEmailChange, pendingEmailChange, requestEmailChange } from './email-change.js';
import { addPerson, requirePerson } from './people.js';

const base = parseConfig(exampleConfig(), 'roster.yaml').config;
const config = { ...base, portal: { ...base.portal, publicUrl: 'https://accounts.example.org/' } };

async function refusal(p: Promise<unknown>): Promise<RosterError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof RosterError)) throw new Error(`expected a RosterError, got ${String(e)}`);
  return e;
}

describe.each(storeFactories)('e-mail change on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;
  let now = new Date('2026-05-01T10:00:00Z');
  const clock: Clock = { now: () => now };

  /** The link of the newest confirmation message to `to`, from the outbox as the mailer would send it. */
  async function linkTo(to: string): Promise<string> {
    const m = (await s.store.read.listMessages({ kind: 'email-confirm' })).find((x) => x.recipient === to);
    if (m === undefined) throw new Error(`no confirmation message to ${to}`);
    return String(m.data.link);
  }
  const tokenOf = (link: string): string => new URL(link).searchParams.get('token') ?? '';

  beforeAll(async () => {
    s = await factory.open();
    ctx = exampleAppContext(s.store, clock, { config });
    await addPerson(ctx, { id: 'E1', firstName: 'Esa', lastName: 'Mail', roles: ['MEMBER', 'STUDENT'], campuses: ['NB'], emails: { MEMBER: 'esa@home.example', STUDENT: 'esa@home.example' } });
    await addPerson(ctx, { id: 'E2', firstName: 'Noa', lastName: 'None', roles: ['MEMBER'] });
    await createAccount(ctx, { personId: 'E1', type: 'member', username: 'esa' });
  });
  afterAll(async () => s.cleanup());

  it('asking queues the link to the new address and a warning to the old one; confirming replaces the address under each role, audited, and tells the old address', async () => {
    const asked = await requestEmailChange(ctx, 'E1', '  esa.new@mail.example ');
    expect(asked).toEqual({ oldAddress: 'esa@home.example', expiresAt: '2026-05-02T10:00:00.000Z' });
    // Nothing changes before the link is used.
    expect((await requirePerson(s.store.read, 'E1')).emails).toEqual({ MEMBER: 'esa@home.example', STUDENT: 'esa@home.example' });
    const link = await linkTo('esa.new@mail.example');
    expect(link).toMatch(/^https:\/\/accounts\.example\.org\/portal\/email\/confirm\?token=[A-Za-z0-9_-]{43}$/);
    const warned = (await s.store.read.listMessages({ kind: 'email-change-asked' })).map((m) => m.recipient);
    expect(warned).toEqual(['esa@home.example']);
    // Only the token's hash is stored, and the audit log never holds the token.
    const token = tokenOf(link);
    expect(JSON.stringify(await s.raw.selectFrom('portal_email_changes').selectAll().execute())).not.toContain(token);
    expect(JSON.stringify(await s.store.read.listAudit({}))).not.toContain(token);

    // The page a GET shows: what the link would do, changing nothing.
    expect((await pendingEmailChange(ctx, token)).newAddress).toBe('esa.new@mail.example');
    const head = (await s.store.read.auditHead()).seq;
    now = new Date('2026-05-01T11:00:00Z');
    expect(await confirmEmailChange(ctx, token)).toEqual({ personId: 'E1', address: 'esa.new@mail.example' });
    expect((await requirePerson(s.store.read, 'E1')).emails).toEqual({ MEMBER: 'esa.new@mail.example', STUDENT: 'esa.new@mail.example' });
    const records = await s.store.read.listAudit({ afterSeq: head });
    expect(records.map((r) => [r.actor, r.action, r.target])).toEqual([['portal:E1', 'person.email', 'person:E1']]);
    expect(records[0]?.before).toEqual({ emails: { MEMBER: 'esa@home.example', STUDENT: 'esa@home.example' } });
    const told = (await s.store.read.listMessages({ kind: 'email-changed' })).map((m) => [m.recipient, m.data.newAddress]);
    expect(told).toEqual([['esa@home.example', 'esa.new@mail.example']]);

    // A second use of the same link is refused and changes nothing.
    const again = await refusal(confirmEmailChange(ctx, token));
    expect(again.message).toMatch(/used already/);
    expect((await refusal(pendingEmailChange(ctx, token))).message).toMatch(/used already/);
  });

  it('an expired link is refused, and so is an unknown one; nothing changes', async () => {
    now = new Date('2026-05-03T09:00:00Z');
    await requestEmailChange(ctx, 'E1', 'esa.late@mail.example');
    const token = tokenOf(await linkTo('esa.late@mail.example'));
    now = new Date('2026-05-04T09:00:01Z');
    const expired = await refusal(confirmEmailChange(ctx, token));
    expect(expired.message).toMatch(/expired on 2026-05-04/);
    expect((await refusal(confirmEmailChange(ctx, `${token}x`))).code).toBe('not_found');
    expect((await requirePerson(s.store.read, 'E1')).emails.MEMBER).toBe('esa.new@mail.example');
  });

  it('bad input names the field: not an address, the same address; a person with no address gets a CONTACT one and no warning', async () => {
    const bad = await refusal(requestEmailChange(ctx, 'E1', 'not-an-address'));
    expect([bad.code, bad.issues[0]?.where]).toEqual(['bad_input', 'email']);
    const same = await refusal(requestEmailChange(ctx, 'E1', 'ESA.NEW@mail.example'));
    expect(same.message).toMatch(/already your address/);

    const warnedBefore = (await s.store.read.listMessages({ kind: 'email-change-asked' })).length;
    expect((await requestEmailChange(ctx, 'E2', 'noa@mail.example')).oldAddress).toBeNull();
    expect((await s.store.read.listMessages({ kind: 'email-change-asked' })).length).toBe(warnedBefore);
    await confirmEmailChange(ctx, tokenOf(await linkTo('noa@mail.example')));
    expect((await requirePerson(s.store.read, 'E2')).emails).toEqual({ CONTACT: 'noa@mail.example' });
  });
});
