import { entryId, entryName, isNisLine, type EtcName } from './etc-text.js';

/** One line as found, with its 1-based line number for messages. */
export interface EtcEntry {
  readonly name: string;
  readonly text: string;
  readonly line: number;
}

/**
 * One of the four files as read, plus edits staged against it. Lines are
 * looked up by entry name (first occurrence, as getpwnam does) and, for
 * passwd and group, by the id in field 3. Edits replace a line in place,
 * remove it, or add lines in front of the first NIS `+`/`-` line (as
 * shadow-utils does); every other line is emitted untouched, so lines Roster
 * does not own survive byte for byte and in place.
 */
export class EtcTable {
  readonly file: EtcName;
  readonly #lines: readonly string[];
  #byNameIndex: Map<string, number> | undefined;
  #byId: Map<number, number[]> | undefined;
  #idLookups = 0;
  /** Replacement lines by index ([] removes the line). */
  readonly #slots = new Map<number, readonly string[]>();
  readonly #added: string[] = [];
  /** Names added in this batch, to their position in #added. */
  readonly #addedNames = new Map<string, number>();
  #changed = false;

  constructor(file: EtcName, lines: readonly string[]) {
    this.file = file;
    this.#lines = lines;
  }

  /** Built on first use: an apply that only touches passwd and shadow never indexes group and gshadow. */
  get #byName(): Map<string, number> {
    if (this.#byNameIndex === undefined) {
      const index = new Map<string, number>();
      const lines = this.#lines;
      for (let i = 0; i < lines.length; i++) {
        const name = entryName(lines[i] ?? '');
        if (name !== null && !index.has(name)) index.set(name, i);
      }
      this.#byNameIndex = index;
    }
    return this.#byNameIndex;
  }

  get changed(): boolean {
    return this.#changed;
  }

  get size(): number {
    return this.#lines.length;
  }

  /** The line for `name` as read (before any staged edit). */
  get(name: string): EtcEntry | undefined {
    const i = this.#byName.get(name);
    return i === undefined ? undefined : { name, text: this.#lines[i] ?? '', line: i + 1 };
  }

  /** The text of the line for `name` as read, without building an entry. */
  text(name: string): string | undefined {
    const i = this.#byName.get(name);
    return i === undefined ? undefined : this.#lines[i];
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Every line as read whose field 3 is `id` (uid in passwd, gid in group). */
  withId(id: number): readonly EtcEntry[] {
    // A few lookups (one freeze) scan; many (a plan creating thousands) pay for an index once.
    if (this.#byId === undefined && ++this.#idLookups <= 8) {
      const found: EtcEntry[] = [];
      for (let i = 0; i < this.#lines.length; i++) {
        const text = this.#lines[i] ?? '';
        if (entryId(text) === id) {
          const name = entryName(text);
          if (name !== null) found.push({ name, text, line: i + 1 });
        }
      }
      return found;
    }
    if (this.#byId === undefined) {
      this.#byId = new Map();
      for (let i = 0; i < this.#lines.length; i++) {
        const text = this.#lines[i] ?? '';
        const lineId = entryName(text) === null ? null : entryId(text);
        if (lineId === null) continue;
        const list = this.#byId.get(lineId);
        if (list === undefined) this.#byId.set(lineId, [i]);
        else list.push(i);
      }
    }
    return (this.#byId.get(id) ?? []).map((i) => {
      const text = this.#lines[i] ?? '';
      return { name: entryName(text) ?? '', text, line: i + 1 };
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
      const i = this.#byName.get(name);
      if (i !== undefined) at.push(i);
    }
    at.sort((a, b) => a - b);
    const first = at[0];
    if (first === undefined) {
      if (lines.length === 0) return;
      for (const line of lines) {
        const name = entryName(line);
        if (name !== null) this.#addedNames.set(name, this.#added.length);
        this.#added.push(line);
      }
      this.#changed = true;
      return;
    }
    const same = at.length === lines.length && at.every((i, k) => this.#lines[i] === lines[k]) && at.every((i, k) => k === 0 || i === (at[k - 1] ?? -1) + 1);
    if (same && at.every((i) => !this.#slots.has(i))) return;
    this.#slots.set(first, lines);
    for (const i of at.slice(1)) this.#slots.set(i, []);
    this.#changed = true;
  }

  remove(names: readonly string[]): void {
    this.replace(names, []);
  }

  /** Whether `name` was added by an edit in this batch. */
  added(name: string): boolean {
    return this.#addedNames.has(name);
  }

  /** The file's lines with the staged edits. */
  render(): string[] {
    const out: string[] = [];
    let addedAt = this.#lines.findIndex(isNisLine);
    if (addedAt < 0) addedAt = this.#lines.length;
    for (let i = 0; i <= this.#lines.length; i++) {
      if (i === addedAt) for (const line of this.#added) out.push(line);
      if (i === this.#lines.length) break;
      const slot = this.#slots.get(i);
      if (slot === undefined) out.push(this.#lines[i] ?? '');
      else for (const line of slot) out.push(line);
    }
    return out;
  }
}
