import { changelogAuthorLabel, normaliseChangelogText } from '../domain/changelog-text.js';

/**
 * The host's `/root/changelog` as people read and write it (seed GlobeNet:
 * time, who, what; one dated entry per intervention, newest last):
 *
 *     2026-12-04 22:55 UTC  alice
 *         Upgraded nginx to 1.26 and reloaded it.
 *
 * A date line (UTC, to the minute, then the author), then the text indented
 * by four spaces; entries are separated by a blank line. Lines starting
 * with `#` are comments. Pure: reading and writing the file is the caller's.
 */

/** What the file shows of an entry. */
export interface FileEntry {
  /** ISO 8601 UTC; the file shows it to the minute. */
  readonly at: string;
  readonly author: string;
  readonly text: string;
  /** `apply` and `api` entries say so after the author; people's own (`cli`, `host-file`) do not. */
  readonly source: string;
}

/** A well-formed entry found in the file. */
export interface ParsedEntry {
  /** 1-based line of its date line. */
  readonly line: number;
  /** ISO 8601 UTC, to the minute. */
  readonly at: string;
  /** The author as the date line says it (with a source mark such as ` (apply)`, if written). */
  readonly author: string;
  readonly text: string;
}

/** Lines that are not an entry: kept in the file as they are, never dropped. */
export interface KeptLines {
  readonly line: number;
  readonly lines: readonly string[];
  /** Why they are not an entry; null for comments of the admin's own. */
  readonly problem: string | null;
}

export interface ParsedChangelogFile {
  readonly entries: readonly ParsedEntry[];
  readonly kept: readonly KeptLines[];
}

const INDENT = '    ';
/** `2026-12-04 22:55 UTC  alice`: the date, the minute, UTC, at least one space, the author. */
const DATE_LINE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::\d{2})?\s+UTC\s+(\S.*)$/;
/** Something meant as a date line, to explain what is wrong with it. */
const DATE_LIKE = /^\d{4}-\d{1,2}-\d{1,2}\b/;

/** The author as the date line shows it: `roster (apply)`, `token:3(admin) (api)`, `alice`. */
export function authorLabel(e: Pick<FileEntry, 'author' | 'source'>): string {
  return changelogAuthorLabel(e.author, e.source);
}

/** `2026-12-04 22:55 UTC  alice`. */
export function dateLine(e: Pick<FileEntry, 'at' | 'author' | 'source'>): string {
  const iso = new Date(e.at).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC  ${authorLabel(e)}`;
}

/** The date line, then the text indented by four spaces (blank lines of the text stay blank). */
export function renderEntry(e: FileEntry): string {
  const body = e.text.split('\n').map((l) => (l === '' ? '' : `${INDENT}${l}`));
  return [dateLine(e), ...body].join('\n');
}

/** What identifies an entry in the file: its minute, its author as shown, its text. */
export function entryKey(e: { readonly at: string; readonly author: string; readonly text: string }): string {
  return JSON.stringify([new Date(e.at).toISOString().slice(0, 16), e.author, e.text]);
}

/** The key of an entry as the file shows it (its author with the source mark). */
export function shownKey(e: FileEntry): string {
  return entryKey({ at: e.at, author: authorLabel(e), text: e.text });
}

function header(host: string): string[] {
  return [`# Interventions on ${host}, newest last. Kept by Roster: add one with`, `# \`roster changelog add --host ${host} "…"\`, or append one below in the same form.`];
}

/** The whole file: the header, the entries in the order given, then the lines kept as they were. */
export function renderChangelogFile(host: string, entries: readonly FileEntry[], kept: readonly KeptLines[]): string {
  const blocks = [header(host).join('\n'), ...entries.map(renderEntry), ...kept.map((k) => k.lines.join('\n'))];
  return `${blocks.join('\n\n')}\n`;
}

function isHeaderLine(line: string): boolean {
  return /^# Interventions on \S+, newest last\. Kept by Roster: add one with$/.test(line) || /^# `roster changelog add --host \S+ "\u2026"`, or append one below in the same form\.$/.test(line);
}

/** A text line's indent taken off: a tab or up to four spaces. */
function unindent(line: string): string {
  if (line.startsWith('\t')) return line.slice(1);
  const spaces = /^ {1,4}/.exec(line)?.[0].length ?? 0;
  return line.slice(spaces);
}

function isIndented(line: string): boolean {
  return line.startsWith(' ') || line.startsWith('\t');
}

/** The minute a date line names, or null when there is no such date or time. */
function minuteOf(m: RegExpExecArray): string | null {
  const [year, month, day, hour, minute] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
  if (hour > 23 || minute > 59) return null;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, 0, 0);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? d.toISOString() : null;
}

/**
 * Reads the file: its entries, and what is not an entry (kept, with the
 * reason). An entry's text runs over blank lines as long as indented lines
 * follow, so an editor that strips an indented blank line does not cut it.
 */
export function parseChangelogFile(content: string): ParsedChangelogFile {
  const lines = content.replace(/\r\n?/g, '\n').split('\n');
  const entries: ParsedEntry[] = [];
  const kept: KeptLines[] = [];
  let i = 0;
  /** The index after the indented lines from `from` (blank lines included only when indented ones follow them). */
  const bodyEnd = (from: number): number => {
    let end = from;
    let j = from;
    while (j < lines.length) {
      const l = lines[j] ?? '';
      if (l.trim() === '') j++;
      else if (isIndented(l)) end = ++j;
      else break;
    }
    return end;
  };
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (line.trim() === '' || isHeaderLine(line)) {
      i++;
      continue;
    }
    if (line.startsWith('#')) {
      const from = i;
      while (i < lines.length && (lines[i] ?? '').startsWith('#') && !isHeaderLine(lines[i] ?? '')) i++;
      kept.push({ line: from + 1, lines: lines.slice(from, i), problem: null });
      continue;
    }
    const m = DATE_LINE.exec(line);
    if (m !== null) {
      const end = bodyEnd(i + 1);
      // As the server keeps a text, so an entry read back is the entry written.
      const text = normaliseChangelogText(lines.slice(i + 1, end).map(unindent).join('\n'));
      const at = minuteOf(m);
      const author = (m[6] ?? '').trim();
      if (at === null) kept.push({ line: i + 1, lines: lines.slice(i, end), problem: `${line.slice(0, 16)} is not a date and time` });
      else if (text === '') kept.push({ line: i + 1, lines: lines.slice(i, end), problem: 'no text under the date line (indent it by four spaces)' });
      else entries.push({ line: i + 1, at, author, text });
      i = end;
      continue;
    }
    // Not a date line: kept with what follows it up to the next blank line or date line.
    const from = i;
    i++;
    while (i < lines.length && (lines[i] ?? '').trim() !== '' && !DATE_LINE.test(lines[i] ?? '')) i++;
    i = Math.max(i, bodyEnd(i));
    const problem = DATE_LIKE.test(line)
      ? 'the date line must read YYYY-MM-DD HH:MM UTC, two spaces, then who did it'
      : isIndented(line)
        ? 'indented text without a date line above it'
        : 'not an entry: an entry starts with a line such as "2026-12-04 22:55 UTC  alice"';
    kept.push({ line: from + 1, lines: lines.slice(from, i), problem });
  }
  return { entries, kept };
}
