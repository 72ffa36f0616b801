import { lineStartsWith } from '../../system/line-starts.js';
import { entryId, entryName, type EtcName } from './etc-text.js';

/** One line as found, with its 1-based line number for messages. */
export interface EtcEntry {
  readonly name: string;
  readonly text: string;
  readonly line: number;
}

/**
 * How many lookups of each kind search the text directly before an index of
 * every line pays off: a freeze among 100,000 accounts asks for a handful of
 * names and ids, a plan creating thousands asks for every one.
 */
export const SEARCHES_BEFORE_INDEX = 32;

/** A file's bytes as `EtcTable` keeps them: every line ending in `\n` (a missing final newline is added). */
export function etcBytes(source: Buffer | string | readonly string[]): Buffer {
  if (Buffer.isBuffer(source)) return source.length === 0 || source[source.length - 1] === 0x0a ? source : Buffer.concat([source, Buffer.from('\n')]);
  if (typeof source !== 'string') return Buffer.from(source.length === 0 ? '' : `${source.join('\n')}\n`, 'latin1');
  return Buffer.from(source === '' || source.endsWith('\n') ? source : `${source}\n`, 'latin1');
}

/** What was found in one file's bytes as read: shared by every table made on them. */
interface Lookups {
  /** Name → offset of its first line, once searches pay for an index. */
  byName?: Map<string, number>;
  /** Names searched for (-1: absent). */
  readonly searched: Map<string, number>;
  /** Name prefixes whose every line is in `searched` (see prefetch). */
  readonly prefetched: string[];
  searches: number;
  byId?: Map<number, number[]>;
  readonly idSearched: Map<number, number[]>;
  /** Offsets of every line start, for line numbers in messages. */
  starts?: number[];
  /** The whole file decoded (one character per byte), only once an index is built. */
  decoded?: string;
}

const lookupsOf = new WeakMap<Buffer, Lookups>();

/**
 * One of the four files as read, plus edits staged against it. Lines are
 * looked up by entry name (first occurrence, as getpwnam does) and, for
 * passwd and group, by the id in field 3. Edits replace a line in place,
 * remove it, or add lines in front of the first NIS `+`/`-` line (as
 * shadow-utils does); every other byte is emitted untouched, so lines Roster
 * does not own survive byte for byte and in place.
 *
 * The file stays the bytes it was read as and lines are known by their
 * offset: a few lookups search the bytes (a native substring search) and
 * decode only the lines they find, many decode the file and build an index
 * once, and writing copies the unchanged stretches between edits.
 */
export class EtcTable {
  readonly file: EtcName;
  readonly #bytes: Buffer;
  readonly #look: Lookups;
  /** Replacement lines by line offset ([] removes the line). */
  readonly #slots = new Map<number, readonly string[]>();
  /** Lines added in front of the NIS lines (or at the end). */
  readonly #added = new AddedLines();
  #changed = false;
  readonly #lineOf = (at: number): number => this.#lineNumber(at);

  /** `source`: the file's bytes, its text (latin1) or its lines. */
  constructor(file: EtcName, source: Buffer | string | readonly string[]) {
    this.file = file;
    this.#bytes = etcBytes(source);
    // Plan and apply build tables on the same bytes as read: what one found, the other need not search again.
    let look = lookupsOf.get(this.#bytes);
    if (look === undefined) {
      look = { searched: new Map(), prefetched: [], searches: 0, idSearched: new Map() };
      lookupsOf.set(this.#bytes, look);
    }
    this.#look = look;
  }

  get #text(): string {
    this.#look.decoded ??= this.#bytes.toString('latin1');
    return this.#look.decoded;
  }

  #indexOf(pattern: string, from = 0): number {
    return this.#bytes.indexOf(pattern, from, 'latin1');
  }

  get changed(): boolean {
    return this.#changed;
  }

  /** The end (offset of the `\n`) of the line starting at `at`. */
  #end(at: number): number {
    return this.#bytes.indexOf(0x0a, at);
  }

  #line(at: number): string {
    return this.#bytes.toString('latin1', at, this.#end(at));
  }

  /** Calls `fn` with each line's offset and text, in order. */
  #eachLine(fn: (at: number, line: string) => void): void {
    const text = this.#text;
    for (let at = 0; at < text.length; ) {
      const end = text.indexOf('\n', at);
      fn(at, text.slice(at, end));
      at = end + 1;
    }
  }

  /**
   * Offset of the first line named `name`, or -1. (No closure in here nor in
   * `withId`: one would make every call allocate, and a first fill asks
   * 400,000 times.)
   */
  #find(name: string): number {
    if (this.#look.byName !== undefined) return this.#look.byName.get(name) ?? -1;
    const known = this.#look.searched.get(name);
    if (known !== undefined) return known;
    if (this.#prefetched(name)) return -1;
    if (++this.#look.searches > SEARCHES_BEFORE_INDEX) return this.#nameIndex().get(name) ?? -1;
    let at = -1;
    // A name never holds a colon or newline; one starting like a NIS or comment line names nothing.
    if (name !== '' && !name.includes(':') && !name.includes('\n') && entryName(`${name}:`) === name) {
      // The generator's first value, or undefined once it is done (its return value).
      at = (lineStartsWith(this.#bytes, `${name}:`, 'latin1').next().value as number | undefined) ?? -1;
    }
    this.#look.searched.set(name, at);
    return at;
  }

  /** Whether `name` starts with a prefix whose every line is known (so it has none when not known). */
  #prefetched(name: string): boolean {
    return this.#look.prefetched.some((p) => name.startsWith(p));
  }

  #nameIndex(): Map<string, number> {
    const index = new Map<string, number>();
    this.#eachLine((at, line) => {
      const n = entryName(line);
      if (n !== null && !index.has(n)) index.set(n, at);
    });
    this.#look.byName = index;
    return index;
  }

  /**
   * Finds every line whose name starts with `prefix` in one search (a
   * group's continuation lines `<group>-x1` … `<group>-x100`), so asking for
   * each of them costs nothing more.
   */
  prefetch(prefix: string): void {
    if (this.#look.byName !== undefined || prefix === '' || prefix.includes('\n') || this.#look.prefetched.includes(prefix)) return;
    for (const at of lineStartsWith(this.#bytes, prefix, 'latin1')) {
      const name = this.#nameAt(at);
      if (name !== null && name.startsWith(prefix) && !this.#look.searched.has(name)) this.#look.searched.set(name, at);
    }
    this.#look.prefetched.push(prefix);
  }

  /**
   * The entry name of the line starting at `at`, as `entryName` of the whole
   * line, decoding the name alone: a group's continuation lines are a few
   * KiB each, and a freeze among 100,000 accounts passes hundreds of them.
   */
  #nameAt(at: number): string | null {
    const colon = this.#bytes.indexOf(0x3a, at);
    // No colon before the line's end: no name (entryName needs one).
    if (colon < 0 || this.#bytes.subarray(at, colon).includes(0x0a)) return null;
    return entryName(this.#bytes.toString('latin1', at, colon + 1));
  }

  /** Every line (as read) containing `token`, with where in the line each occurrence starts. */
  occurrences(token: string): Array<{ readonly line: string; readonly at: number }> {
    const found: Array<{ line: string; at: number }> = [];
    if (token === '') return found;
    // The scan passes every line named `token` too: the first one is remembered for `get`.
    let named = -1;
    for (let i = this.#indexOf(token); i >= 0; i = this.#indexOf(token, i + 1)) {
      // (lastIndexOf counts a negative offset from the end.)
      const start = i === 0 ? 0 : this.#bytes.lastIndexOf(0x0a, i - 1) + 1;
      const line = this.#line(start);
      if (named < 0 && start === i && entryName(line) === token) named = start;
      found.push({ line, at: i - start });
    }
    if (this.#look.byName === undefined && !this.#look.searched.has(token) && !token.includes('\n')) this.#look.searched.set(token, named);
    return found;
  }

  #lineNumber(at: number): number {
    if (this.#look.starts === undefined) {
      const starts: number[] = [];
      this.#eachLine((a) => starts.push(a));
      this.#look.starts = starts;
    }
    const starts = this.#look.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** An entry whose line number, needed for messages only, is counted when asked for. */
  #entry(at: number, name: string, text: string): EtcEntry {
    return new FoundEntry(name, text, at, this.#lineOf);
  }

  /** The line for `name` as read (before any staged edit). */
  get(name: string): EtcEntry | undefined {
    const at = this.#find(name);
    return at < 0 ? undefined : this.#entry(at, name, this.#line(at));
  }

  /** The text of the line for `name` as read, without building an entry. */
  text(name: string): string | undefined {
    const at = this.#find(name);
    return at < 0 ? undefined : this.#line(at);
  }

  has(name: string): boolean {
    return this.#find(name) >= 0;
  }

  /** Every line as read whose field 3 is `id` (uid in passwd, gid in group). */
  withId(id: number): readonly EtcEntry[] {
    const look = this.#look;
    let found: readonly number[] | undefined = look.byId?.get(id) ?? look.idSearched.get(id);
    if (found === undefined && look.byId === undefined && look.idSearched.size < SEARCHES_BEFORE_INDEX) found = this.#searchId(id);
    found ??= (look.byId ?? this.#idIndex()).get(id) ?? NONE;
    // Most ids are free: asked for every account a plan creates, no array is made for them.
    if (found.length === 0) return NONE;
    return this.#entries(found);
  }

  /** The lines whose field 3 is `id`, found by searching the bytes. */
  #searchId(id: number): readonly number[] {
    // Candidates contain `:<id>` followed by `:` or the line's end; only field 3 counts.
    const lines = new Set<number>();
    const needle = `:${id}`;
    for (let i = this.#indexOf(needle); i >= 0; i = this.#indexOf(needle, i + 1)) {
      const next = this.#bytes[i + needle.length];
      if (next !== 0x3a && next !== 0x0a) continue;
      const at = this.#bytes.lastIndexOf(0x0a, i) + 1;
      const line = this.#line(at);
      if (entryName(line) !== null && entryId(line) === id) lines.add(at);
    }
    const sorted = [...lines].sort((a, b) => a - b);
    this.#look.idSearched.set(id, sorted);
    return sorted;
  }

  #idIndex(): Map<number, number[]> {
    const byId = new Map<number, number[]>();
    this.#eachLine((at, line) => {
      const lineId = entryName(line) === null ? null : entryId(line);
      if (lineId === null) return;
      const list = byId.get(lineId);
      if (list === undefined) byId.set(lineId, [at]);
      else list.push(at);
    });
    this.#look.byId = byId;
    return byId;
  }

  #entries(offsets: readonly number[]): EtcEntry[] {
    return offsets.map((at) => {
      const text = this.#line(at);
      return this.#entry(at, entryName(text) ?? '', text);
    });
  }

  /**
   * Makes the entries named `old` become exactly `lines`, at the place of the
   * first of them that exists (appended when none does). Writing the same
   * bytes that are already there is not a change.
   */
  replace(old: readonly string[], lines: readonly string[]): void {
    const at: number[] = [];
    for (const name of old) {
      const i = this.#find(name);
      if (i >= 0) at.push(i);
    }
    if (at.length > 1) at.sort((a, b) => a - b);
    const first = at[0];
    if (first === undefined) {
      if (lines.length === 0) return;
      for (const line of lines) this.#added.add(line);
      this.#changed = true;
      return;
    }
    const same = at.length === lines.length && at.every((i, k) => this.#line(i) === lines[k]) && at.every((i, k) => k === 0 || i === this.#end(at[k - 1] ?? 0) + 1);
    if (same && at.every((i) => !this.#slots.has(i))) return;
    this.#slots.set(first, lines);
    for (const i of at.slice(1)) this.#slots.set(i, []);
    this.#changed = true;
  }

  /** `replace([name], [line])` without the lists: one line for one entry, as every account and most groups have. */
  put(name: string, line: string): void {
    const at = this.#find(name);
    if (at < 0) {
      this.#added.add(line);
      this.#changed = true;
      return;
    }
    if (!this.#slots.has(at) && this.#line(at) === line) return;
    this.#slots.set(at, [line]);
    this.#changed = true;
  }

  remove(names: readonly string[]): void {
    this.replace(names, []);
  }

  /** Offset of the first NIS `+`/`-` line (new entries go in front of it), or the end. */
  #nisAt(): number {
    const bytes = this.#bytes;
    if (bytes[0] === 0x2b || bytes[0] === 0x2d) return 0;
    const hits = [this.#indexOf('\n+'), this.#indexOf('\n-')].filter((i) => i >= 0);
    return hits.length === 0 ? bytes.length : Math.min(...hits) + 1;
  }

  /** `put` of the line `render(source)`, rendered only when needed: at once to compare with a line already there, else as the file is written (see `AddedLines`). */
  putFrom<T extends object>(name: string, source: T, render: LineOf<T>): void {
    const at = this.#find(name);
    if (at >= 0) {
      this.put(name, render(source));
      return;
    }
    this.#added.addFrom(source, render);
    this.#changed = true;
  }

  /**
   * The file with the staged edits, in order: [start, end) stretches of the
   * file as read, replacement lines, and ADDED where the added lines go (in
   * front of the first NIS line, else at the end).
   */
  #layout(): Array<Stretch | readonly string[] | typeof ADDED> {
    const bytes = this.#bytes;
    const edits: Array<[number, readonly string[]]> = [...this.#slots].sort((a, b) => a[0] - b[0]);
    const hasAdded = !this.#added.empty;
    const addAt = hasAdded ? this.#nisAt() : bytes.length;
    const pieces: Array<Stretch | readonly string[] | typeof ADDED> = [];
    const keep = (start: number, end: number): void => {
      if (end > start) pieces.push({ start, end });
    };
    let from = 0;
    let addedDone = !hasAdded;
    for (const [at, replacement] of edits) {
      if (!addedDone && addAt <= at) {
        keep(from, addAt);
        pieces.push(ADDED);
        from = addAt;
        addedDone = true;
      }
      keep(from, at);
      if (replacement.length > 0) pieces.push(replacement);
      from = this.#end(at) + 1;
    }
    if (!addedDone) {
      keep(from, addAt);
      pieces.push(ADDED);
      from = addAt;
    }
    keep(from, bytes.length);
    return pieces;
  }

  /**
   * The file's bytes with the staged edits, produced as they are written:
   * new lines are rendered a chunk at a time into one buffer of
   * STREAM_BUFFER bytes, which each piece given out reuses once written (so
   * take each piece before asking for the next), and long unchanged
   * stretches of the file as read are given out as they are (a freeze
   * among 100,000 accounts writes 10 MB of shadow without copying it). A first fill's 25 MB of lines thus never
   * exist at once, nor take fresh memory (on a VM, faulting in fresh pages
   * costs more than writing them).
   */
  *stream(): Generator<Buffer, void, undefined> {
    if (!this.#changed) {
      yield this.#bytes;
      return;
    }
    const bytes = this.#bytes;
    const out = new PieceBuffer(STREAM_BUFFER);
    for (const piece of this.#layout()) {
      if (piece === ADDED) {
        for (const text of this.#added.texts()) yield* out.text(text);
      } else if ('start' in piece) {
        yield* out.bytes(bytes.subarray(piece.start, piece.end));
      } else {
        for (let i = 0; i < piece.length; i += LINES_PER_WRITE) yield* out.text(linesText(piece.length <= LINES_PER_WRITE ? piece : piece.slice(i, i + LINES_PER_WRITE)));
      }
    }
    yield* out.rest();
  }
}

/** A [start, end) stretch of a file as read. */
interface Stretch {
  readonly start: number;
  readonly end: number;
}

/** Where a file's added lines go in its layout. */
const ADDED = Symbol('added lines');

/** Renders the line of an entry from what it is made of (an account, a group). */
export type LineOf<T extends object> = (source: T) => string;

/** Bytes of the buffer `stream` renders into; a stretch of the file as read this long or longer is given out as it is. */
const STREAM_BUFFER = 512 * 1024;

/** `lines`, each followed by a newline, as one string (an empty last line makes the join end in one). */
function linesText(lines: readonly string[]): string {
  return [...lines, ''].join('\n');
}

/**
 * One buffer filled with bytes and text (one byte per character) and given
 * out whenever the next piece does not fit; what it gives out is valid
 * until the generator is resumed.
 */
class PieceBuffer {
  readonly #buffer: Buffer;
  #used = 0;

  constructor(size: number) {
    this.#buffer = Buffer.allocUnsafe(size);
  }

  *#room(size: number): Generator<Buffer, void, undefined> {
    if (this.#used > 0 && this.#used + size > this.#buffer.length) yield* this.rest();
  }

  *bytes(piece: Buffer): Generator<Buffer, void, undefined> {
    if (piece.length >= this.#buffer.length) {
      yield* this.rest();
      yield piece;
      return;
    }
    yield* this.#room(piece.length);
    this.#used += piece.copy(this.#buffer, this.#used);
  }

  *text(text: string): Generator<Buffer, void, undefined> {
    if (text.length > this.#buffer.length) {
      yield* this.rest();
      yield Buffer.from(text, 'latin1');
      return;
    }
    yield* this.#room(text.length);
    this.#used += this.#buffer.write(text, this.#used, 'latin1');
  }

  /** What is in the buffer, given out and then forgotten. */
  *rest(): Generator<Buffer, void, undefined> {
    if (this.#used === 0) return;
    const filled = this.#used;
    this.#used = 0;
    yield this.#buffer.subarray(0, filled);
  }
}

/** No lines: one shared empty answer instead of an array per lookup. */
const NONE: readonly never[] = Object.freeze([]);

/** Lines written per native call: one call per line costs more than the bytes it writes. */
const LINES_PER_WRITE = 4_096;

/** Added lines rendered at a time: few enough that their text (at most some 64 KiB) dies young, enough that a native call each is cheap. */
const ADDED_PER_CHUNK = 512;

/**
 * Lines added to a file, in order: a line, or what it is made of and how to
 * render it. A first fill adds 100,000 lines to each file; kept as strings
 * (or as their bytes) until the file is written they would outlive, and be
 * copied by, every garbage collection in between, while the accounts and
 * groups they are made of live on anyway. The lines are rendered as the
 * file is written, a chunk at a time.
 */
class AddedLines {
  /** Lines and sources, ADDED_PER_CHUNK a chunk (no array of 100,000 to grow and copy). */
  readonly #chunks: unknown[][] = [];
  /** How the sources are rendered: one way per file (another is rendered at once). */
  #render: LineOf<never> | undefined;

  get empty(): boolean {
    return this.#chunks.length === 0;
  }

  #push(item: unknown): void {
    const last = this.#chunks[this.#chunks.length - 1];
    if (last !== undefined && last.length < ADDED_PER_CHUNK) last.push(item);
    else this.#chunks.push([item]);
  }

  add(line: string): void {
    this.#push(line);
  }

  addFrom<T extends object>(source: T, render: LineOf<T>): void {
    this.#render ??= render as LineOf<never>;
    if (this.#render === (render as LineOf<never>)) this.#push(source);
    else this.#push(render(source));
  }

  /** The lines added, a chunk at a time, as text (each line ending in a newline). */
  *texts(): Generator<string, void, undefined> {
    const render = this.#render as LineOf<object> | undefined;
    const lines: string[] = [];
    for (const chunk of this.#chunks) {
      lines.length = 0;
      for (const item of chunk) lines.push(typeof item === 'string' ? item : (render as LineOf<object>)(item as object));
      lines.push('');
      yield lines.join('\n');
    }
  }

}

/** A line as found; its line number is counted only when a message asks for it. */
class FoundEntry implements EtcEntry {
  constructor(
    readonly name: string,
    readonly text: string,
    readonly offset: number,
    readonly lineNumber: (offset: number) => number,
  ) {}

  get line(): number {
    return this.lineNumber(this.offset);
  }
}
