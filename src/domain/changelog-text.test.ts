import { describe, expect, it } from 'vitest';
import { normaliseChangelogText } from './changelog-text.js';

describe('normaliseChangelogText', () => {
  it('drops trailing blanks, the shared indent and the blank lines around the text, keeping its own structure', () => {
    expect(normaliseChangelogText('\r\n\n    Purged mailboxes:  \r\n      - alice (7 GB)\t\n\n      - bob\n   \n')).toBe('Purged mailboxes:\n  - alice (7 GB)\n\n  - bob');
    expect(normaliseChangelogText('one\n  two')).toBe('one\n  two');
    expect(normaliseChangelogText(' \n\t\n')).toBe('');
    // Only spaces are an indent: a tab stays for the checks to refuse.
    expect(normaliseChangelogText('\tx')).toBe('\tx');
  });

  it('is idempotent', () => {
    for (const t of ['  a\n    b\n', 'x\r\ny', '\n\n  \n a \n']) expect(normaliseChangelogText(normaliseChangelogText(t))).toBe(normaliseChangelogText(t));
  });
});
