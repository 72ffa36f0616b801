import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import type { Clock } from '../domain/clock.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import { authenticateToken, createApiToken, listApiTokens, recordTokenUse, USE_RECORDED_EVERY_MS } from './api-tokens.js';

describe.each(storeFactories)('token last use on $name', (factory) => {
  let s: OpenedTestStore;
  let now = new Date('2026-06-01T10:00:00Z');
  const clock: Clock = { now: () => now };

  beforeEach(async () => {
    s = await factory.open();
    now = new Date('2026-06-01T10:00:00Z');
  });
  afterEach(async () => {
    await s.cleanup();
  });

  it('is recorded on first use, then at most every few minutes, and shown in the list', async () => {
    const ctx = exampleAppContext(s.store, clock);
    const { token, record } = await createApiToken(ctx, { role: 'operator', note: 'CI' });
    expect(record.lastUsedAt).toBeNull();
    const use = async (): Promise<boolean> => {
      const t = await authenticateToken(s.store.read, token, now);
      if (t === undefined) throw new Error('the token does not authenticate');
      return recordTokenUse(s.store, t, now);
    };
    expect(await use()).toBe(true);
    expect((await listApiTokens(ctx))[0]?.lastUsedAt).toBe('2026-06-01T10:00:00.000Z');

    // Within the interval: no write at all.
    now = new Date(now.getTime() + USE_RECORDED_EVERY_MS - 1000);
    expect(await use()).toBe(false);
    expect((await listApiTokens(ctx))[0]?.lastUsedAt).toBe('2026-06-01T10:00:00.000Z');

    now = new Date(now.getTime() + 2000);
    expect(await use()).toBe(true);
    expect((await listApiTokens(ctx))[0]?.lastUsedAt).toBe(now.toISOString());
  });

  it('two requests that read the same old value write once', async () => {
    const ctx = exampleAppContext(s.store, clock);
    const { token } = await createApiToken(ctx, { role: 'auditor' });
    const t = await authenticateToken(s.store.read, token, now);
    if (t === undefined) throw new Error('the token does not authenticate');
    const results = await Promise.all([recordTokenUse(s.store, t, now), recordTokenUse(s.store, t, now)]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
