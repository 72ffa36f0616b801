import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import type { Clock } from '../domain/clock.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import type { AppContext } from './app-context.js';
import { createAccount } from './accounts.js';
import { passwordResetFor, resetPasswordWithLink, sendPasswordResetLink } from './password-reset-link.js';
import { addPerson } from './people.js';

const base = parseConfig(exampleConfig(), 'roster.yaml').config;
const config = { ...base, portal: { ...base.portal, publicUrl: 'https://accounts.example.org/' } };

describe.each(storeFactories)('password reset links on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;
  let now = new Date('2026-05-01T10:00:00Z');
  const clock: Clock = { now: () => now };

  async function newestLink(): Promise<string> {
    const m = (await s.store.read.listMessages({ kind: 'password-reset' }))[0];
    if (m === undefined) throw new Error('no password-reset message');
    expect(m.recipient).toBe('rhea@home.example');
    return String(m.data.link);
  }
  const tokenOf = (link: string): string => new URL(link).searchParams.get('token') ?? '';

  beforeAll(async () => {
    s = await factory.open();
    // A salted hash, as libcrypt's: the same password set twice gives another hash.
    ctx = exampleAppContext(s.store, clock, { config, actor: 'console:root1(admin)', hasher: { hash: (p) => `$6$${randomBytes(6).toString('hex')}$${Buffer.from(p).toString('hex')}` } });
    await addPerson(ctx, { id: 'R1', firstName: 'Rhea', lastName: 'Set', roles: ['MEMBER'], emails: { MEMBER: 'rhea@home.example' } });
    await addPerson(ctx, { id: 'R2', firstName: 'Nils', lastName: 'Noaddress', roles: ['MEMBER'] });
    await createAccount(ctx, { personId: 'R1', type: 'member', username: 'rhea', password: 'Correct-Horse-7-Battery' });
    await createAccount(ctx, { personId: 'R2', type: 'member', username: 'nils' });
  });
  afterAll(async () => s.cleanup());

  it('sends a link the member sets a new password with, once; the audit names the address, never the link', async () => {
    const hashBefore = (await s.store.read.getAccount('rhea'))?.passwordHash;
    const dry = await sendPasswordResetLink(ctx, 'rhea', { dryRun: true });
    expect(dry.to).toBe('rhea@home.example');
    expect(await s.store.read.listMessages({ kind: 'password-reset' })).toEqual([]);

    const sent = await sendPasswordResetLink(ctx, 'rhea');
    expect(sent.expiresAt).toBe('2026-05-02T10:00:00.000Z');
    const link = await newestLink();
    expect(link).toMatch(/^https:\/\/accounts\.example\.org\/portal\/password\/reset\?token=/);
    const token = tokenOf(link);
    const record = (await s.store.read.listAudit({ target: 'account:rhea', actionPrefix: 'account.reset-link' }))[0];
    expect(record?.actor).toBe('console:root1(admin)');
    expect(record?.after).toEqual({ sentTo: 'rhea@home.example', expiresAt: '2026-05-02T10:00:00.000Z' });
    expect(JSON.stringify(record)).not.toContain(token);

    expect(await passwordResetFor(ctx, token)).toEqual({ username: 'rhea', type: 'member' });
    // Opening the link changed nothing.
    expect((await s.store.read.getAccount('rhea'))?.passwordHash).toBe(hashBefore);

    // A weak password is refused naming the field, and the link still works.
    await expect(resetPasswordWithLink(ctx, token, 'short')).rejects.toMatchObject({ code: 'weak_password', issues: expect.arrayContaining([expect.objectContaining({ where: 'password' })]) });
    expect((await s.store.read.getAccount('rhea'))?.passwordHash).toBe(hashBefore);

    expect(await resetPasswordWithLink(ctx, token, 'Battery-Staple-42-Horse')).toEqual({ username: 'rhea' });
    const hashAfter = (await s.store.read.getAccount('rhea'))?.passwordHash;
    expect(hashAfter).not.toBe(hashBefore);
    expect(hashAfter).toContain(Buffer.from('Battery-Staple-42-Horse').toString('hex'));
    const passwd = (await s.store.read.listAudit({ target: 'account:rhea', actionPrefix: 'account.passwd' })).at(-1);
    expect(passwd?.actor).toBe('portal:R1');

    // Used once: the password changed, so the link is dead.
    await expect(resetPasswordWithLink(ctx, token, 'Another-Staple-43-Horse')).rejects.toMatchObject({ code: 'not_found', issues: [{ where: 'token', message: 'not valid' }] });
    await expect(passwordResetFor(ctx, token)).rejects.toMatchObject({ code: 'not_found' });
    expect((await s.store.read.getAccount('rhea'))?.passwordHash).toBe(hashAfter);
  });

  it('refuses a link that is altered or expired, and an account with no address to send to', async () => {
    await sendPasswordResetLink(ctx, 'rhea');
    const token = tokenOf(await newestLink());
    const [id, exp, mac] = token.split('.') as [string, string, string];
    // The MAC altered in its first character (its last carries only some bits of the digest).
    for (const bad of [`${id}.${Number(exp) + 3600}.${mac}`, `${Number(id) + 1}.${exp}.${mac}`, `${id}.${exp}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`, '', 'x.y.z']) {
      await expect(passwordResetFor(ctx, bad), bad).rejects.toMatchObject({ code: 'not_found' });
    }
    const was = now;
    now = new Date(was.getTime() + 24 * 3600_000);
    try {
      await expect(resetPasswordWithLink(ctx, token, 'Battery-Staple-44-Horse')).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      now = was;
    }
    expect(await passwordResetFor(ctx, token)).toEqual({ username: 'rhea', type: 'member' });
    await expect(sendPasswordResetLink(ctx, 'nils')).rejects.toMatchObject({ code: 'conflict' });
    await expect(sendPasswordResetLink(ctx, 'nobody')).rejects.toMatchObject({ code: 'not_found' });
  });
});
