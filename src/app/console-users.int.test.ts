import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { RosterError } from '../domain/errors.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import { createAccount } from './accounts.js';
import type { AppContext } from './app-context.js';
import { listConsoleUsers, resetSecondFactor } from './console-users.js';
import { addPerson } from './people.js';

const NOW = '2026-12-05T09:00:00.000Z';
const config = parseConfig(`${exampleConfig()}\nconsole:\n  admins: [ada]\n  operators: [bob]\n  auditors: [ghost]\n`, 'roster.yaml').config;

describe.each(storeFactories)("the console's users on $name", (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;

  beforeEach(async () => {
    s = await factory.open();
    ctx = exampleAppContext(s.store, NOW, { config, actor: 'cli:root' });
    for (const [id, username] of [['P1', 'ada'], ['P2', 'bob']] as const) {
      await addPerson(ctx, { id, firstName: 'Test', lastName: username, roles: ['STAFF'], emails: {} });
      await createAccount(ctx, { personId: id, type: 'member', username, skipEligibility: true });
    }
  });
  afterEach(async () => {
    await s.cleanup();
  });

  it('lists each named user with role, account state and second factor; a name without an account is shown as such', async () => {
    const ada = await s.store.read.getAccount('ada');
    await s.store.transaction((tx) => tx.putConsoleSecondFactor({ accountId: ada?.id ?? -1, sealedSecret: 'x.y.z', createdAt: NOW, confirmedAt: NOW, lastStep: 0, recoveryHashes: ['a', 'b', 'c'] }));
    expect(await listConsoleUsers(ctx)).toEqual([
      { username: 'ada', role: 'admin', state: 'active', secondFactor: 'set up', recoveryCodesLeft: 3 },
      { username: 'bob', role: 'operator', state: 'active', secondFactor: 'none', recoveryCodesLeft: 0 },
      { username: 'ghost', role: 'auditor', state: null, secondFactor: 'none', recoveryCodesLeft: 0 },
    ]);
  });

  it('resets a lost second factor and ends the console sessions, audited; refuses an unknown name or one with nothing to reset, changing nothing', async () => {
    const ada = await s.store.read.getAccount('ada');
    const id = ada?.id ?? -1;
    await s.store.transaction(async (tx) => {
      await tx.putConsoleSecondFactor({ accountId: id, sealedSecret: 'x.y.z', createdAt: NOW, confirmedAt: NOW, lastStep: 7, recoveryHashes: [] });
      await tx.insertConsoleSession({ idHash: 'h1', accountId: id, stage: 'done', createdAt: NOW, lastSeenAt: NOW, expiresAt: '2026-12-05T21:00:00.000Z', address: null, userAgent: null });
    });
    expect(await resetSecondFactor(ctx, 'ada')).toEqual({ sessionsEnded: 1 });
    expect(await s.store.read.getConsoleSecondFactor(id)).toBeUndefined();
    expect(await s.store.read.getConsoleSession('h1')).toBeUndefined();
    const [record] = (await s.store.read.listAudit()).filter((r) => r.action === 'console.reset-second-factor');
    expect(record).toMatchObject({ actor: 'cli:root', target: 'account:ada', after: { secondFactor: false, sessionsEnded: 1 } });

    const head = await s.store.read.auditHead();
    await expect(resetSecondFactor(ctx, 'ada')).rejects.toThrow(new RosterError('conflict', 'ada has no console second factor to reset'));
    await expect(resetSecondFactor(ctx, 'nosuch')).rejects.toThrow('no account nosuch');
    expect(await s.store.read.auditHead()).toEqual(head);
  });

  it('accepts a TOTP time step once, and a recovery code once', async () => {
    const ada = await s.store.read.getAccount('ada');
    const id = ada?.id ?? -1;
    await s.store.transaction((tx) => tx.putConsoleSecondFactor({ accountId: id, sealedSecret: 'x.y.z', createdAt: NOW, confirmedAt: null, lastStep: 0, recoveryHashes: ['r1', 'r2'] }));
    expect(await s.store.transaction((tx) => tx.useConsoleCode(id, 100, NOW))).toBe(true);
    expect((await s.store.read.getConsoleSecondFactor(id))?.confirmedAt).toBe(NOW);
    expect(await s.store.transaction((tx) => tx.useConsoleCode(id, 100, NOW))).toBe(false);
    expect(await s.store.transaction((tx) => tx.useConsoleCode(id, 99, NOW))).toBe(false);
    expect(await s.store.transaction((tx) => tx.useConsoleCode(id, 101, '2026-12-05T09:00:30.000Z'))).toBe(true);
    // Confirmed once: a later code leaves the first confirmation time.
    expect((await s.store.read.getConsoleSecondFactor(id))?.confirmedAt).toBe(NOW);
    expect(await s.store.transaction((tx) => tx.useConsoleRecoveryCode(id, 'r2'))).toBe(true);
    expect(await s.store.transaction((tx) => tx.useConsoleRecoveryCode(id, 'r2'))).toBe(false);
    expect((await s.store.read.getConsoleSecondFactor(id))?.recoveryHashes).toEqual(['r1']);
  });
});
