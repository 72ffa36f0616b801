import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changelogAuthor, changelogText } from '../app/changelog.js';
import { entryKey, parseChangelogFile, renderChangelogFile, shownKey, type FileEntry } from './changelog-file.js';

const NGINX: FileEntry = { at: '2026-12-04T22:55:31.123Z', author: 'alice', text: 'Upgraded nginx to 1.26 and reloaded it.', source: 'cli' };
const APPLY: FileEntry = { at: '2026-12-04T23:10:00.000Z', author: 'roster', text: 'applied revision 1a2b3c4d5e6f: 2 changes — unix: freeze bob; login: deny bob', source: 'apply' };

describe('/root/changelog', () => {
  it("is written in the seed's form: a header, then one dated entry per intervention with its text indented, newest last", () => {
    expect(renderChangelogFile('shell', [NGINX, APPLY], [])).toBe(
      [
        '# Interventions on shell, newest last. Kept by Roster: add one with',
        '# `roster changelog add --host shell "…"`, or append one below in the same form.',
        '',
        '2026-12-04 22:55 UTC  alice',
        '    Upgraded nginx to 1.26 and reloaded it.',
        '',
        '2026-12-04 23:10 UTC  roster (apply)',
        '    applied revision 1a2b3c4d5e6f: 2 changes — unix: freeze bob; login: deny bob',
        '',
      ].join('\n'),
    );
  });

  it('reads back every entry it writes, to the minute, whatever the text (property)', () => {
    const text = fc
      .array(fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constantFrom('', '  indented', '# not a comment', '2026-12-04 22:55 UTC  not a date line', '\u00a0nbsp\u00a0')), { minLength: 1, maxLength: 6 })
      .map((lines) => lines.join('\n'))
      .filter((t) => {
        try {
          changelogText(t);
          return true;
        } catch {
          return false;
        }
      })
      .map((t) => changelogText(t));
    const author = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 })).filter((a) => {
      try {
        return changelogAuthor(a) === a;
      } catch {
        return false;
      }
    });
    const entry = fc.record({
      at: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
      author,
      text,
      source: fc.constantFrom('cli', 'api', 'apply', 'host-file'),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
        const parsed = parseChangelogFile(renderChangelogFile('shell', entries, []));
        expect(parsed.kept).toEqual([]);
        expect(parsed.entries.map(entryKey)).toEqual(entries.map(shownKey));
      }),
      { numRuns: 300 },
    );
  });

  it('reads entries appended by hand, also when an editor dropped the indent of a blank line or used tabs and CRLF', () => {
    const file = [
      renderChangelogFile('shell', [NGINX], []).trimEnd(),
      '',
      '2026-12-05 08:00 UTC  bob',
      '    Purged the mailboxes over 5 GB.',
      '',
      '      - alice: 7 GB',
      '',
      '2026-12-05 9:15 UTC bob',
      '    the hour has one digit',
      '',
      '2026-12-05T09:30 UTC carol',
      '\tRestarted postfix.',
      '',
    ].join('\r\n');
    const parsed = parseChangelogFile(file);
    expect(parsed.entries.map((e) => [e.line, e.at, e.author, e.text])).toEqual([
      [4, '2026-12-04T22:55:00.000Z', 'alice', 'Upgraded nginx to 1.26 and reloaded it.'],
      [7, '2026-12-05T08:00:00.000Z', 'bob', 'Purged the mailboxes over 5 GB.\n\n  - alice: 7 GB'],
      [15, '2026-12-05T09:30:00.000Z', 'carol', 'Restarted postfix.'],
    ]);
    expect(parsed.kept).toEqual([{ line: 12, lines: ['2026-12-05 9:15 UTC bob', '    the hour has one digit'], problem: 'the date line must read YYYY-MM-DD HH:MM UTC, two spaces, then who did it' }]);
  });

  it('keeps what is not an entry, each with its line and why, and comments of the admin’s own without a complaint', () => {
    const file = [
      '# Interventions on shell, newest last. Kept by Roster: add one with',
      '# `roster changelog add --host shell "…"`, or append one below in the same form.',
      '# Ask alice before touching the mail spool.',
      '',
      '2026-02-30 10:00 UTC  bob',
      '    no such day',
      '',
      '2026-12-05 10:00 UTC  bob',
      '',
      'rebooted the box at some point',
      'and it came back',
      '',
      '    indented, but under nothing',
      '',
      '2026-12-06 10:00 UTC  dave',
      '    fine',
    ].join('\n');
    const parsed = parseChangelogFile(file);
    expect(parsed.entries.map((e) => [e.line, e.author, e.text])).toEqual([[15, 'dave', 'fine']]);
    expect(parsed.kept.map((k) => [k.line, k.lines.length, k.problem])).toEqual([
      [3, 1, null],
      [5, 2, '2026-02-30 10:00 is not a date and time'],
      [8, 1, 'no text under the date line (indent it by four spaces)'],
      // Indented lines after a blank line go with the block above them, as an entry's text would.
      [10, 4, 'not an entry: an entry starts with a line such as "2026-12-04 22:55 UTC  alice"'],
    ]);
    expect(parseChangelogFile('    indented, but under nothing\n').kept).toEqual([{ line: 1, lines: ['    indented, but under nothing'], problem: 'indented text without a date line above it' }]);
    // Written again, the kept lines come after the entries, as they were; read again, they are kept again.
    const again = parseChangelogFile(renderChangelogFile('shell', [{ ...parsed.entries[0], source: 'host-file' } as FileEntry], parsed.kept));
    expect(again.entries.map((e) => e.text)).toEqual(['fine']);
    expect(again.kept.map((k) => k.lines)).toEqual(parsed.kept.map((k) => k.lines));
  });
});
