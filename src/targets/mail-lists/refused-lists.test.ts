import { describe, expect, it } from 'vitest';
import { FREEZE_BILLING, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import type { DesiredHost } from '../../desired/desired-host.js';
import { mailListsConfigSchema } from './mail-lists-config.js';
import { refusedLists } from './refused-lists.js';

const config = mailListsConfigSchema.parse({ mta: 'postfix', map: '/etc/postfix/roster-lists', suffixes: ['-request'] });

describe('which lists are refused', () => {
  const alice = fixtureAccount('alice', 2001, { holds: [FREEZE_BILLING], targets: { 'mail-lists': { address: 'alice@example.net' } } });
  const bob = fixtureAccount('bob', 2002, { targets: { 'mail-lists': { address: 'bob@example.net' } } });
  const host = (accounts = [alice, bob], extra: Partial<DesiredHost> = {}): DesiredHost => ({
    ...fixtureHost(accounts),
    resources: { 'mail-lists': [{ id: 1, kind: 'list', name: 'announce@example.org', owner: 'alice', settings: {} }] },
    ...extra,
  });
  const mailman = [
    { address: 'solo@example.org', owners: ['alice@example.net'] },
    { address: 'shared@example.org', owners: ['alice@example.net', 'bob@example.net'] },
    { address: 'outside@example.org', owners: ['alice@example.net', 'carol@elsewhere.example'] },
    { address: 'theirs@example.org', owners: ['carol@elsewhere.example'] },
  ];
  const refused = (desired: DesiredHost) => refusedLists(desired, config, mailman).blocks.flatMap((b) => b.lists.map((l) => `${b.owner} ${l.address}: ${l.reply}`));

  it('a disabled owner’s own lists, not those shared with an active account; owners Roster does not know do not count', () => {
    expect(refused(host())).toEqual([
      'alice announce@example.org: 550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      'alice outside@example.org: 550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      'alice solo@example.org: 550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
    ]);
  });

  it('freeze.keep with lists keeps them open; a retirement closes them all the same', () => {
    expect(refused({ ...host(), freezeKeep: ['mail', 'portal', 'lists'] })).toEqual([]);
    const retired = fixtureAccount('alice', 2001, { holds: [{ ...FREEZE_BILLING, kind: 'retired', reason: 'admin' }], targets: { 'mail-lists': { address: 'alice@example.net' } } });
    expect(refused({ ...host([retired, bob]), freezeKeep: ['mail', 'portal', 'lists'] })).toHaveLength(3);
  });

  it('a scoped state plans alone only lists whose owners are all in it', () => {
    expect(() => refusedLists(host([alice], { scope: ['alice'] }), config, mailman)).toThrow(/the Mailman list shared@example.org has owners outside/);
    expect(refusedLists(host([alice], { scope: ['alice'] }), config, mailman.slice(0, 1)).blocks).toHaveLength(1);
  });
});
