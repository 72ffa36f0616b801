import { describe, expect, it } from 'vitest';
import { hasMan, renderMan } from './render-man.js';
import { roffArgument, roffBold, roffLiteral, roffText } from './roff.js';

const page = (body: string) => `.TH T 1 2026-01-01 "t 1" "T Manual"\n.SH NAME\nt \\- test\n.SH DESCRIPTION\n${body}\n`;

describe('roffText', () => {
  it('writes option names and `code` in bold with minus signs that are never hyphenated', () => {
    expect(roffText('with --dry-run: see `roster apply --account U`')).toBe('with \\fB\\%\\-\\-dry\\-run\\fR: see \\fB\\%roster apply \\-\\-account U\\fR');
  });

  it('leaves hyphens inside words and dashes between numbers as they are', () => {
    expect(roffText('a well-known host, ids 1-9')).toBe('a well-known host, ids 1-9');
  });

  it('escapes backslashes, and a dot or apostrophe that would start a request', () => {
    expect(roffText('.hidden\n\'quoted\nC:\\path')).toBe("\\&.hidden\n\\&'quoted\nC:\\epath");
  });

  it('writes non-ASCII characters as groff Unicode escapes', () => {
    expect(roffText('caf\u00e9 \u2014 \u{1F600}')).toBe('caf\\[u00E9] \\[u2014] \\[u1F600]');
  });

  it('turns blank lines into one paragraph break and drops trailing ones', () => {
    expect(roffText('one\n\n\ntwo\n\n')).toBe('one\n.PP\ntwo');
  });
});

describe('roffArgument', () => {
  it('quotes, with a double quote inside as \\(dq', () => {
    expect(roffArgument('say "hi"-now')).toBe('"say \\(dqhi\\(dq\\-now"');
  });
});

describe.skipIf(!hasMan())('as groff reads it', () => {
  it('renders tricky text exactly and without a warning', () => {
    const tricky = '.TH looks like a request\n\'so does this\nback\\slash, caf\u00e9 \u2014 `--dry-run` and -x, "quotes" and %percent';
    const { text, warnings } = renderMan(page(`${roffText(tricky)}\n.TP\n${roffBold('--long-option-name')} ${roffLiteral('<value>')}\nbody`));
    expect(warnings).toBe('');
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('.TH looks like a request \'so does this back\\slash, caf\u00e9 \u2014 --dry-run and -x, "quotes" and %percent');
    expect(flat).toContain('--long-option-name <value>');
  });
});
