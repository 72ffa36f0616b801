import { describe, expect, it } from 'vitest';
import { WholeHostNeeded } from './target.js';
import { listFileChange, mergeUserList } from './user-list-file.js';

const managed = new Set(['alice', 'bob', 'carol']);

describe('mergeUserList', () => {
  it('keeps unmanaged lines byte for byte and in place, drops managed lines no longer wanted, puts new ones after the managed name before them', () => {
    const existing = '# local policy\nguest\n  bob  \nalice\n\nmallory\n';
    expect(mergeUserList(existing, managed, ['carol', 'alice'])).toBe('# local policy\nguest\nalice\ncarol\n\nmallory\n');
    // Without a managed name before them, before the first one after them; without any managed line, at the end.
    expect(mergeUserList('guest\ncarol\nmallory\n', managed, ['carol', 'bob', 'alice'])).toBe('guest\nalice\nbob\ncarol\nmallory\n');
    expect(mergeUserList('guest\n', managed, ['bob', 'alice'])).toBe('guest\nalice\nbob\n');
  });

  it('round-trips an allow list: a name taken out and put back leaves the file as it was, wherever the admin lines are', () => {
    for (const admin of [['# ftp users', 'root'], [], ['local']]) {
      for (const at of ['top', 'bottom'] as const) {
        const lines = at === 'top' ? [...admin, 'alice', 'bob', 'carol'] : ['alice', 'bob', 'carol', ...admin];
        const file = `${lines.join('\n')}\n`;
        for (const out of ['alice', 'bob', 'carol']) {
          const without = mergeUserList(file, managed, ['alice', 'bob', 'carol'].filter((n) => n !== out));
          expect(without).toBe(`${lines.filter((l) => l !== out).join('\n')}\n`);
          expect(mergeUserList(without, managed, ['alice', 'bob', 'carol'])).toBe(file);
        }
      }
    }
  });

  it('returns the very same text when nothing changes, even without a final newline', () => {
    const existing = 'guest\nalice';
    expect(mergeUserList(existing, managed, ['alice'])).toBe(existing);
  });

  it('adds a newline before appending to a file that lacks one', () => {
    expect(mergeUserList('guest', managed, ['bob'])).toBe('guest\nbob\n');
  });

  it('creates nothing for an absent file with no names, and the names otherwise', () => {
    expect(mergeUserList(null, managed, [])).toBeNull();
    expect(mergeUserList(null, managed, ['alice', 'bob'])).toBe('alice\nbob\n');
  });

  it('collapses duplicate managed lines to one', () => {
    expect(mergeUserList('alice\nalice\n', managed, ['alice'])).toBe('alice\n');
  });

  it('round-trips: listing then unlisting restores the admin file exactly', () => {
    const admin = '# keep me\nguest\n';
    const frozen = mergeUserList(admin, managed, ['bob']);
    expect(frozen).toBe('# keep me\nguest\nbob\n');
    expect(mergeUserList(frozen, managed, [])).toBe(admin);
  });
});

describe('listFileChange', () => {
  it('is null when the file already says it, and names who is added and removed otherwise', () => {
    expect(listFileChange('cron', '/etc/cron.deny', 'alice\n', managed, ['alice'], { what: 'x' })).toBeNull();
    const c = listFileChange('cron', '/etc/cron.deny', 'alice\nguest\n', managed, ['bob'], { what: 'denied crontab' });
    expect(c?.action).toBe('update');
    expect(c?.summary).toBe('/etc/cron.deny (denied crontab): add bob; remove alice');
    expect(c?.data).toEqual({ path: '/etc/cron.deny', content: 'guest\nbob\n', added: ['bob'], removed: ['alice'] });
  });

  it('plans the whole host when a name returns to an allow list planned for some accounts only: its place depends on the lines of the others', () => {
    // Scoped to alice: bob and carol are not known to be managed, so alice's place among them is not known either.
    const scoped = (text: string, allow: boolean): unknown => listFileChange('t', '/etc/acl', text, new Set(['alice']), ['alice'], { what: 'allowed', scopedAllowList: allow });
    expect(() => scoped('bob\ncarol\n', true)).toThrow(WholeHostNeeded);
    // The whole host puts her back where she was.
    expect(mergeUserList('bob\ncarol\n', new Set(['alice', 'bob', 'carol']), ['alice', 'bob', 'carol'])).toBe('alice\nbob\ncarol\n');
    // Nothing returns, or the file holds nothing else, or a deny list: the scoped plan stands.
    expect(scoped('alice\nbob\n', true)).toBeNull();
    expect(scoped('', true)).toMatchObject({ summary: '/etc/acl (allowed): add alice' });
    expect(scoped('bob\ncarol\n', false)).toMatchObject({ summary: '/etc/acl (allowed): add alice' });
  });

  it('creates an empty file when asked to make sure it exists', () => {
    expect(listFileChange('cron', '/etc/cron.allow', null, managed, [], { what: 'x' })).toBeNull();
    const c = listFileChange('cron', '/etc/cron.allow', null, managed, [], { what: 'x', ensureExists: true });
    expect(c?.action).toBe('create');
    expect((c?.data as { content: string }).content).toBe('');
  });
});
