/**
 * Text for man(7) pages. Help texts are plain sentences that may carry
 * `code` in backticks and option names (--dry-run); in a page these become
 * bold, with real minus signs (\-) so that a copied option works, and
 * protected from hyphenation (\%) so that no option is split at a line end.
 * Everything else is escaped: a backslash would start a roff escape, a dot
 * or quote at the start of a line a request, and non-ASCII characters are
 * written as \[uXXXX] so that groff reads them without preconv(1).
 */

/** A character of text as groff reads it. */
function escapeCharacter(c: string): string {
  if (c === '\\') return '\\e';
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x80) return c;
  // groff names Unicode characters \[uXXXX], at least four upper-case hex digits.
  return `\\[u${code.toString(16).toUpperCase().padStart(4, '0')}]`;
}

function escapeText(text: string): string {
  return Array.from(text, escapeCharacter).join('');
}

/** Code as groff prints it: minus signs, never hyphenated, never broken by the formatter. */
export function roffLiteral(text: string): string {
  return `\\%${escapeText(text).replace(/-/g, '\\-')}`;
}

/** Code in bold. */
export function roffBold(text: string): string {
  return `\\fB${roffLiteral(text)}\\fR`;
}

/** A placeholder (an argument's name) in italics. */
export function roffItalic(text: string): string {
  return `\\fI${roffLiteral(text)}\\fR`;
}

// `code`, or an option name: one or two dashes and a letter, at the start or after a space or an opening bracket.
const INLINE = /`([^`]+)`|(?<=^|[\s([{"'])(--?[A-Za-z][A-Za-z0-9-]*)/g;

/**
 * One paragraph of help text as roff lines: option names and `code` in bold,
 * the rest escaped. Line breaks in the text are kept as line breaks of the
 * source (roff fills them), blank lines become paragraph breaks.
 */
export function roffText(text: string): string {
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') {
      if (lines.length > 0 && lines[lines.length - 1] !== '.PP') lines.push('.PP');
      continue;
    }
    let out = '';
    let last = 0;
    for (const m of line.matchAll(INLINE)) {
      out += escapeText(line.slice(last, m.index));
      out += roffBold(m[1] ?? m[2] ?? '');
      last = m.index + m[0].length;
    }
    out += escapeText(line.slice(last));
    // A dot or an apostrophe at the start of a line would be read as a request.
    lines.push(/^[.']/.test(out) ? `\\&${out}` : out);
  }
  while (lines[lines.length - 1] === '.PP') lines.pop();
  return lines.join('\n');
}

/** A macro's argument, quoted so that spaces do not split it; a double quote inside is written \(dq. */
export function roffArgument(text: string): string {
  return `"${escapeText(text).replace(/-/g, '\\-').replace(/"/g, '\\(dq')}"`;
}
