/**
 * The four files as lines of *bytes*: each line is a `latin1` string, one
 * character per byte, so a line Roster does not own (a GECOS in ISO-8859-1, a
 * stray `\r`) goes back out byte for byte (DESIGN.md §4). Lines Roster renders
 * are Unicode and pass through `toEtcBytes` once.
 */
export type EtcName = 'passwd' | 'shadow' | 'group' | 'gshadow';

/** The order shadow-utils-compatible writers use (DESIGN.md §7). */
export const ETC_WRITE_ORDER: readonly EtcName[] = ['group', 'gshadow', 'passwd', 'shadow'];

// Regular expressions of functions called once per line are made once: a literal in the body is a new object on every call.
const ASCII = /^[\u0000-\u007f]*$/;
const ID = /^[0-9]{1,10}$/;

/** A Unicode line as the latin1 string of its UTF-8 bytes. */
export function toEtcBytes(line: string): string {
  // Fast path: pure ASCII is the same in both.
  return ASCII.test(line) ? line : Buffer.from(line, 'utf8').toString('latin1');
}

/** The entry name (first field); NIS compat lines (`+…`, `-…`) have none, as shadow-utils treats them. */
export function entryName(line: string): string | null {
  if (line === '' || line.startsWith('+') || line.startsWith('-') || line.startsWith('#')) return null;
  const colon = line.indexOf(':');
  return colon <= 0 ? null : line.slice(0, colon);
}

/** The numeric id in field 3 (uid in passwd, gid in group), or null when absent or not a number. */
export function entryId(line: string): number | null {
  const a = line.indexOf(':');
  if (a < 0) return null;
  const b = line.indexOf(':', a + 1);
  if (b < 0) return null;
  const c = line.indexOf(':', b + 1);
  const field = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return ID.test(field) ? Number(field) : null;
}

/** True for a line new entries go in front of (shadow-utils keeps NIS `+`/`-` entries at the end). */
export function isNisLine(line: string): boolean {
  return line.startsWith('+') || line.startsWith('-');
}

/**
 * `parts` joined into one flat string. A template literal builds a tree of
 * partial strings that stays in memory behind the result until something
 * flattens it; for the 200,000 lines and summaries of a first apply those
 * trees are most of what the garbage collector copies. A join writes the
 * result once.
 */
export function joined(parts: ReadonlyArray<string | number>, separator = ''): string {
  return parts.join(separator);
}
