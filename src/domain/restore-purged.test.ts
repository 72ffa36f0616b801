import { describe, expect, it } from 'vitest';
import { accountState, type Account } from './account.js';
import { RosterError } from './errors.js';
import { restorePurged } from './restore-purged.js';

const purged: Account = {
  id: 7, personId: 'P1', type: 'member', username: 'alice', uid: 10007, gid: 10007, primaryGroup: 'alice', gecos: 'Alice', shell: '/bin/bash', home: '/home/alice',
  passwordHash: '$y$j9T$abc$def', principal: null, groups: ['members'],
  holds: [{ kind: 'retired', reason: 'admin', since: '2026-01-01T00:00:00.000Z', note: null, setBy: 'cli:root' }, { kind: 'freeze', reason: 'billing', since: '2025-12-01T00:00:00.000Z', note: null, setBy: 'job:billing' }],
  expiresAt: '2026-01-01T00:00:00.000Z', purgeAt: '2026-02-01T00:00:00.000Z', purgedAt: '2026-02-01T04:50:00.000Z', pending: false,
  createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2026-02-01T04:50:00.000Z',
};

describe('restorePurged', () => {
  const now = new Date('2026-03-01T10:00:00Z');

  it('brings a tombstone back active, with the same username and UID and no holds or dates', () => {
    const a = restorePurged(purged, now);
    expect(accountState(a, now)).toBe('active');
    expect(a).toMatchObject({ username: 'alice', uid: 10007, gid: 10007, home: '/home/alice', passwordHash: purged.passwordHash, holds: [], expiresAt: null, purgeAt: null, purgedAt: null, updatedAt: '2026-03-01T10:00:00.000Z' });
    expect(purged.purgedAt).not.toBeNull();
  });

  it('refuses an account that is not purged', () => {
    expect(() => restorePurged({ ...purged, purgedAt: null }, now)).toThrow(RosterError);
    expect(() => restorePurged({ ...purged, purgedAt: null }, now)).toThrow(/not purged/);
  });
});
