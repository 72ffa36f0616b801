import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import { createApiToken, recordTokenUse, revokeApiToken, tokenUseDue } from './api-tokens.js';
import { VerifiedTokens } from './verified-tokens.js';

describe.each(storeFactories)('verified tokens on $name', (factory) => {
  let s: OpenedTestStore;
  const now = new Date('2026-06-01T10:00:00Z');
  /** The cache's own clock (performance.now() in a server), stepped by hand. */
  let tick = 0;
  const fresh = (): VerifiedTokens => new VerifiedTokens({ ttlMs: 1000, monotonic: () => tick });

  beforeEach(async () => {
    s = await factory.open();
    tick = 0;
  });
  afterEach(async () => {
    await s.cleanup();
  });

  it('answers from memory for a second: a revocation written by another process is seen when the entry runs out', async () => {
    const ctx = exampleAppContext(s.store, now.toISOString());
    const { token, record } = await createApiToken(ctx, { role: 'scim' });
    const tokens = fresh();
    expect((await tokens.authenticate(s.store.read, token, now))?.id).toBe(record.id);
    // Revoked as `roster token revoke` in another process does: the row changes, this process counts nothing.
    await s.store.transaction((tx) => tx.revokeApiToken(record.id, now.toISOString()));
    tick = 999;
    expect((await tokens.authenticate(s.store.read, token, now))?.id).toBe(record.id);
    tick = 1000;
    expect(await tokens.authenticate(s.store.read, token, now)).toBeUndefined();
    // Refused ones are not kept: still refused without a new entry to run out.
    tick = 1001;
    expect(await tokens.authenticate(s.store.read, token, now)).toBeUndefined();
  });

  it('refuses a token revoked in this process from the next request on', async () => {
    const ctx = exampleAppContext(s.store, now.toISOString());
    const { token, record } = await createApiToken(ctx, { role: 'admin' });
    const other = await createApiToken(ctx, { role: 'auditor' });
    const tokens = fresh();
    expect(await tokens.authenticate(s.store.read, token, now)).toBeDefined();
    expect(await tokens.authenticate(s.store.read, other.token, now)).toBeDefined();
    await revokeApiToken(ctx, record.id);
    expect(await tokens.authenticate(s.store.read, token, now)).toBeUndefined();
    expect((await tokens.authenticate(s.store.read, other.token, now))?.id).toBe(other.record.id);
  });

  it('judges expiry by the request clock even while the row is kept', async () => {
    const ctx = exampleAppContext(s.store, now.toISOString());
    const { token } = await createApiToken(ctx, { role: 'scim', expires: '30m' });
    const tokens = fresh();
    expect(await tokens.authenticate(s.store.read, token, now)).toBeDefined();
    expect(await tokens.authenticate(s.store.read, token, new Date('2026-06-01T10:30:00Z'))).toBeUndefined();
    expect(await tokens.authenticate(s.store.read, token, new Date('2026-06-01T10:29:59Z'))).toBeDefined();
  });

  it('keeps the recorded last use, so the requests after it do not write again', async () => {
    const ctx = exampleAppContext(s.store, now.toISOString());
    const { token } = await createApiToken(ctx, { role: 'scim' });
    const tokens = fresh();
    const first = await tokens.authenticate(s.store.read, token, now);
    if (first === undefined) throw new Error('the token does not authenticate');
    expect(tokenUseDue(first, now)).toBe(true);
    expect(await recordTokenUse(s.store, first, now)).toBe(true);
    tokens.used(first, now);
    const kept = await tokens.authenticate(s.store.read, token, now);
    expect(kept?.lastUsedAt).toBe(now.toISOString());
    expect(kept !== undefined && tokenUseDue(kept, now)).toBe(false);
    // Not malformed input either: it never reaches the database or the memory.
    expect(await tokens.authenticate(s.store.read, 'roster_short', now)).toBeUndefined();
  });
});
