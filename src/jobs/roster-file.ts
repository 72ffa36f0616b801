import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { personInputIssues, printable, verificationDigest, type PersonInput } from '../app/person-input.js';
import type { SourceConfig } from '../config/config-schema.js';
import { type ErrorIssue, errorMessage, RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';

/**
 * One validated row of a roster file: the person as the source states them
 * (e-mails from the e-mail column, verification already hashed: the clear
 * values are dropped as soon as the row is read).
 */
export interface RosterRow extends Pick<Person, 'id' | 'firstName' | 'lastName' | 'roles' | 'classes' | 'campuses' | 'majors' | 'emails' | 'verification'> {
  /** Record number in the file, the header being row 1. */
  readonly row: number;
}

/**
 * What the validating pass keeps of a whole file: its row count, each id
 * with its row (the uniqueness check needs no more), and a digest of its
 * bytes, so a later pass can tell the file did not change in between.
 */
export interface RosterIndex {
  readonly rows: number;
  readonly ids: ReadonlyMap<string, number>;
  readonly bytes: number;
  readonly sha256: string;
}

export type ReadProgress = (bytesRead: number, totalBytes: number, rows: number) => void;

/** Where a person lacks a role the address of the e-mail column is kept under this one. */
export const CONTACT_ROLE = 'CONTACT';

const BOM = [0xef, 0xbb, 0xbf];

type Field = 'id' | 'firstName' | 'lastName' | 'roles' | 'classes' | 'campus' | 'major' | 'email';

/**
 * Validates a whole roster file before anything changes (DESIGN.md §7: bad
 * input names the row and field and changes nothing), keeping no row: only
 * the ids with their rows, for the duplicate check and for telling later
 * who is absent from the file. The sync then reads the file again in
 * chunks (readRosterChunks), so its memory does not grow with the rows.
 * Fields arrive as bytes and are checked for UTF-8 one by one, so a bad
 * byte is reported at its row and column instead of turning into U+FFFD.
 *
 * Every problem is collected: wrong column counts, bad encoding, missing or
 * duplicate ids, names, roles the source does not know, e-mail addresses,
 * verification values. One RosterError('bad_input') lists them all.
 */
export async function validateRosterFile(path: string, sourceName: string, source: SourceConfig, hmacKey: Buffer, progress?: ReadProgress): Promise<RosterIndex> {
  const ids = new Map<string, number>();
  const issues: ErrorIssue[] = [];
  const records = rosterRecords({ path, sourceName, source, hmacKey, progress }, issues, ids);
  let next = await records.next();
  while (next.done !== true) next = await records.next();
  if (issues.length > 0) {
    throw new RosterError('bad_input', `${path} has ${issues.length} problem${issues.length === 1 ? '' : 's'}; nothing was changed`, issues);
  }
  return { rows: ids.size, ids, bytes: next.value.bytes, sha256: next.value.sha256 };
}

/**
 * The rows of a file validateRosterFile passed, `size` at a time, in file
 * order (the verification values already hashed, the clear ones dropped).
 * The file must still be the one validated: a row that no longer validates
 * or different bytes at the end throw RosterError('conflict'), the latter
 * only after the last chunk (a caller that must not act on a changed file
 * reads it whole before acting).
 */
export async function* readRosterChunks(path: string, sourceName: string, source: SourceConfig, hmacKey: Buffer, index: RosterIndex, size: number): AsyncGenerator<RosterRow[], void, undefined> {
  const changed = (why: string): RosterError => new RosterError('conflict', `${path} changed while the sync was reading it (${why}); run the sync again`, [{ where: path, message: 'changed during the sync' }]);
  const issues: ErrorIssue[] = [];
  const first = (): string => `${issues[0]?.where ?? ''}: ${issues[0]?.message ?? ''}`;
  const records = rosterRecords({ path, sourceName, source, hmacKey, keep: true }, issues, undefined);
  let chunk: RosterRow[] = [];
  let next = await records.next();
  try {
    for (; next.done !== true; next = await records.next()) {
      if (issues.length > 0) throw changed(first());
      if (next.value === null) continue;
      chunk.push(next.value);
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
  } finally {
    // A consumer that stops early (or a throw above) closes the file too.
    if (next.done !== true) await records.return({ bytes: 0, sha256: '' });
  }
  if (issues.length > 0) throw changed(first());
  if (chunk.length > 0) yield chunk;
  if (next.value.sha256 !== index.sha256) throw changed('its bytes differ from the file checked');
}

interface ReaderInput {
  readonly path: string;
  readonly sourceName: string;
  readonly source: SourceConfig;
  readonly hmacKey: Buffer;
  readonly progress?: ReadProgress | undefined;
  /** Rows are wanted (with their verification digests), not only checked. */
  readonly keep?: boolean;
}

/**
 * The file through csv-parse, one record at a time: each record is checked
 * (problems go to `issues`) and yielded as a RosterRow when `keep` is set
 * and it is good, else as null. An async iteration, so a consumer that
 * pauses to write pauses the reading. `seen` (id to row) is filled and
 * checked when given; the chunked re-read of a validated file leaves it out.
 * Returns the size and SHA-256 of the bytes read.
 */
async function* rosterRecords(input: ReaderInput, issues: ErrorIssue[], seen: Map<string, number> | undefined): AsyncGenerator<RosterRow | null, { bytes: number; sha256: string }, undefined> {
  const { path, source, progress } = input;
  let total: number;
  try {
    total = (await stat(path)).size;
  } catch (e) {
    throw new RosterError('bad_input', `cannot read ${path}: ${errorMessage(e)}`, [{ where: path, message: 'cannot read the file' }]);
  }
  const check = rowChecker(input, issues, seen);
  const hash = createHash('sha256');
  let bytesRead = 0;
  let lastReport = 0;
  const file = createReadStream(path);
  // encoding null: fields come as bytes, checked for UTF-8 below. No
  // `bom` option: csv-parse would switch to decoding text when it sees one.
  const parser = parse({ encoding: null, delimiter: source.delimiter, relax_column_count: true, skip_empty_lines: true });
  file.on('data', (chunk) => {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    bytesRead += bytes.length;
    if (progress !== undefined && (bytesRead - lastReport > 1 << 20 || bytesRead === total)) {
      lastReport = bytesRead;
      progress(bytesRead, total, check.records());
    }
  });
  file.on('error', (e) => parser.destroy(e));
  file.pipe(parser);
  try {
    for await (const record of parser) yield check.record(record as Uint8Array[]);
  } catch (e) {
    if (e instanceof RosterError) throw e;
    const err = e as Error & { readonly code?: string; readonly lines?: number };
    if (typeof err.code !== 'string' || !err.code.startsWith('CSV_')) {
      throw new RosterError('bad_input', `cannot read ${path}: ${err.message}`, [{ where: path, message: 'cannot read the file' }]);
    }
    // The parser cannot go on past a broken quote: what came before is still reported.
    issues.push({ where: `row ${check.records() + 1}${err.lines === undefined ? '' : ` (line ${err.lines})`}`, message: `${err.message.replace(/^[^:]*: /, '')}; the file may be truncated` });
  } finally {
    file.destroy();
  }
  progress?.(bytesRead, total, check.records());
  if (!check.sawHeader()) issues.unshift({ where: 'row 1', message: 'the file is empty: expected a header row naming the columns' });
  return { bytes: bytesRead, sha256: hash.digest('hex') };
}

/**
 * The checks of one record (the header first), as a function of the record:
 * problems go to `issues`; a good row comes back when rows are kept.
 */
function rowChecker(input: ReaderInput, issues: ErrorIssue[], seen: Map<string, number> | undefined): { record(fields: Uint8Array[]): RosterRow | null; records(): number; sawHeader(): boolean } {
  const { sourceName, source, hmacKey } = input;
  const keep = input.keep === true;
  const knownRoles = new Set([...Object.keys(source.types), ...source.roles]);
  const verificationColumns = Object.entries(source.columns.verification ?? {});
  const sep = source.multiValueSeparator;
  let header: string[] | undefined;
  let index: Partial<Record<Field, number>> = {};
  const verificationIndex: Array<readonly [string, number]> = [];
  let records = 0;

  const onRecord = (fields: readonly Uint8Array[]): RosterRow | null => {
    records++;
    const rowNo = records;
    if (header === undefined) {
      header = readHeader(fields, issues);
      ({ index } = locateColumns(header, source, verificationColumns, verificationIndex, issues));
      return null;
    }
    if (fields.length !== header.length) {
      issues.push({ where: `row ${rowNo}`, message: `has ${fields.length} column${fields.length === 1 ? '' : 's'}, the header has ${header.length}` });
      return null;
    }
    const text: string[] = [];
    let encodingOk = true;
    for (let i = 0; i < fields.length; i++) {
      const bytes = fields[i] as Uint8Array;
      if (!isUtf8(bytes)) {
        encodingOk = false;
        issues.push({ where: `row ${rowNo}, column ${header[i] ?? i + 1}`, message: 'is not valid UTF-8 (save the file as UTF-8)' });
        text.push('');
      } else {
        text.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
      }
    }
    if (!encodingOk) return null;
    const cell = (field: Field): string => {
      const i = index[field];
      return i === undefined ? '' : (text[i] ?? '').trim();
    };
    const list = (field: Field): string[] => [...new Set(cell(field).split(sep).map((v) => v.trim()).filter((v) => v !== ''))];
    const at = (field: Field | 'verification', attribute?: string): string => {
      const name = field === 'verification' ? (source.columns.verification?.[attribute ?? ''] ?? attribute ?? '') : source.columns[field];
      return `row ${rowNo}, column ${name ?? field}`;
    };

    const id = cell('id');
    if (id === '') {
      issues.push({ where: at('id'), message: 'is missing' });
      return null;
    }
    if (seen !== undefined) {
      const first = seen.get(id);
      if (first !== undefined) {
        issues.push({ where: at('id'), message: `"${printable(id)}" is also on row ${first}` });
        return null;
      }
      seen.set(id, rowNo);
    }

    const roles = list('roles').map((r) => r.toUpperCase());
    const email = cell('email');
    const emails: Record<string, string> = {};
    if (email !== '') for (const role of roles.length > 0 ? roles : [CONTACT_ROLE]) emails[role] = email;
    const verification: Record<string, string> = {};
    for (const [attribute, i] of verificationIndex) {
      const value = (text[i] ?? '').trim();
      if (value !== '') verification[attribute] = value;
    }
    const input: PersonInput = {
      id,
      firstName: cell('firstName'),
      lastName: cell('lastName'),
      roles,
      classes: list('classes'),
      campuses: list('campus'),
      majors: list('major'),
      emails,
      verification,
    };
    const before = issues.length;
    for (const issue of personInputIssues(input)) {
      const [field, attribute] = issue.where.split('.');
      const where =
        field === 'firstName' || field === 'lastName' || field === 'id' || field === 'roles' || field === 'classes'
          ? at(field)
          : field === 'campuses'
            ? at('campus')
            : field === 'majors'
              ? at('major')
              : field === 'emails'
                ? at('email')
                : field === 'verification'
                  ? at('verification', attribute)
                  : `row ${rowNo}`;
      // One e-mail cell fans out to every role: report it once.
      if (field === 'emails' && issues.slice(before).some((i) => i.where === where)) continue;
      issues.push({ where, message: field === 'emails' ? `"${printable(email)}" is not an e-mail address` : issue.message });
    }
    for (const role of roles) {
      if (!knownRoles.has(role)) issues.push({ where: at('roles'), message: `unknown role "${printable(role)}" (the source ${sourceName} knows ${[...knownRoles].join(', ') || 'none'})` });
    }
    if (issues.length > before) return null;
    if (Object.keys(verification).length > 0 && hmacKey.length === 0) {
      throw new RosterError('bad_config', 'verification attributes need an HMAC key: run `roster init` or set ROSTER_HMAC_KEY');
    }
    if (!keep) return null;
    const digests: Record<string, string> = {};
    for (const [attribute, value] of Object.entries(verification)) digests[attribute] = verificationDigest(hmacKey, attribute, value);
    return { row: rowNo, id, firstName: input.firstName, lastName: input.lastName, roles, classes: input.classes ?? [], campuses: input.campuses ?? [], majors: input.majors ?? [], emails, verification: digests };
  };
  return {
    record: (fields) => onRecord(records === 0 ? stripBom(fields) : fields),
    records: () => records,
    sawHeader: () => header !== undefined,
  };
}

function stripBom(record: Uint8Array[]): Uint8Array[] {
  const first = record[0];
  if (first === undefined || first.length < 3 || !BOM.every((b, i) => first[i] === b)) return record;
  return [first.subarray(3), ...record.slice(1)];
}

function readHeader(fields: readonly Uint8Array[], issues: ErrorIssue[]): string[] {
  return fields.map((bytes, i) => {
    if (!isUtf8(bytes)) {
      issues.push({ where: `row 1, column ${i + 1}`, message: 'is not valid UTF-8 (save the file as UTF-8)' });
      return `#${i + 1}`;
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').trim();
  });
}

function locateColumns(
  header: readonly string[],
  source: SourceConfig,
  verificationColumns: ReadonlyArray<readonly [string, string]>,
  verificationIndex: Array<readonly [string, number]>,
  issues: ErrorIssue[],
): { index: Partial<Record<Field, number>> } {
  const positions = new Map<string, number>();
  header.forEach((name, i) => {
    if (positions.has(name)) issues.push({ where: `row 1, column ${i + 1}`, message: `"${printable(name)}" appears twice in the header` });
    else positions.set(name, i);
  });
  const index: Partial<Record<Field, number>> = {};
  const find = (name: string): number | undefined => {
    const i = positions.get(name);
    if (i === undefined) issues.push({ where: `row 1, column ${name}`, message: `is missing from the header (it has ${header.map((h) => printable(h)).join(', ') || 'nothing'})` });
    return i;
  };
  for (const field of ['id', 'firstName', 'lastName', 'roles', 'classes', 'campus', 'major', 'email'] as const) {
    const name = source.columns[field];
    if (name === undefined) continue;
    const i = find(name);
    if (i !== undefined) index[field] = i;
  }
  for (const [attribute, name] of verificationColumns) {
    const i = find(name);
    if (i !== undefined) verificationIndex.push([attribute, i]);
  }
  return { index };
}
