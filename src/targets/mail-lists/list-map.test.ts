import { describe, expect, it } from 'vitest';
import { WholeHostNeeded } from '../target.js';
import { listAddresses, mapHeader, mergeScopedListMap, parseListMap, renderListMap, type OwnerBlock } from './list-map.js';
import { mailListsConfigSchema } from './mail-lists-config.js';

const config = mailListsConfigSchema.parse({ mta: 'postfix', map: '/etc/postfix/roster-lists', suffixes: ['-request'] });
const block = (owner: string, address: string): OwnerBlock => {
  const at = address.indexOf('@');
  return { owner, lists: [{ address, keys: [`${address.slice(0, at)}-request${address.slice(at)}`, address], reply: `550 5.7.1 ask ${owner}` }] };
};

describe('the list map', () => {
  it('is the header alone when nothing is refused, and one block per owner in username order otherwise', () => {
    expect(renderListMap(config, [])).toBe(mapHeader(config));
    expect(renderListMap(config, [block('bob', 'news@example.org'), block('alice', 'announce@example.org')]).slice(mapHeader(config).length)).toBe(
      '# owner alice\nannounce-request@example.org\t550 5.7.1 ask alice\nannounce@example.org\t550 5.7.1 ask alice\n# owner bob\nnews-request@example.org\t550 5.7.1 ask bob\nnews@example.org\t550 5.7.1 ask bob\n',
    );
    const exim = { ...config, mta: 'exim' as const };
    expect(renderListMap(exim, [block('alice', 'a@example.org')]).slice(mapHeader(exim).length)).toBe('# owner alice\na-request@example.org: 550 5.7.1 ask alice\na@example.org: 550 5.7.1 ask alice\n');
  });

  it('reads back its own blocks, and refuses a file it did not write', () => {
    const text = renderListMap(config, [block('bob', 'news@example.org'), block('alice', 'announce@example.org')]);
    expect([...(parseListMap(config, text)?.keys() ?? [])]).toEqual(['alice', 'bob']);
    expect(parseListMap(config, mapHeader(config))).toEqual(new Map());
    expect(parseListMap(config, 'announce@example.org REJECT\n')).toBeNull();
    expect(parseListMap(config, `${mapHeader(config)}stray@example.org\tREJECT\n`)).toBeNull();
    expect(parseListMap({ ...config, map: '/etc/postfix/other' }, text)).toBeNull();
  });

  it('a scoped merge replaces the scope’s blocks, drops purged owners’, keeps the rest, and gives what a whole render gives', () => {
    const current = renderListMap(config, [block('alice', 'announce@example.org'), block('carol', 'choir@example.org'), block('dave', 'darts@example.org')]);
    const merged = mergeScopedListMap(config, current, ['alice', 'bob'], ['dave'], [block('bob', 'news@example.org')], 'mail-lists');
    expect(merged).toBe(renderListMap(config, [block('bob', 'news@example.org'), block('carol', 'choir@example.org')]));
  });

  it('a scoped merge needs the whole host when the file is not Roster’s yet, or when a list of the scope is in another owner’s block', () => {
    expect(() => mergeScopedListMap(config, null, ['alice'], [], [], 'mail-lists')).toThrow(WholeHostNeeded);
    const current = renderListMap(config, [block('carol', 'news@example.org')]);
    expect(() => mergeScopedListMap(config, current, ['bob'], [], [block('bob', 'news@example.org')], 'mail-lists')).toThrow(/news@example.org is also refused for an owner outside/);
  });

  it('names the lists among its keys: those that are not another key with a suffix', () => {
    expect(listAddresses(new Set(['a-request@x.org', 'a@x.org', 'b-request@x.org']), ['-request'])).toEqual(['a@x.org', 'b-request@x.org']);
  });
});
