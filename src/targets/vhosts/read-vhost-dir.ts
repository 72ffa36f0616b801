import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RosterError, errorMessage } from '../../domain/errors.js';
import { serverNames } from './server-names.js';
import { parseMarker, type ReadMarker } from './vhost-marker.js';

/** A file of the include dir as observed. */
export interface VhostFile {
  readonly file: string;
  readonly text: string;
  /** Set only for a file Roster wrote; every other file is the administrator's and never touched. */
  readonly marker: ReadMarker | null;
  /** The exact host names it serves. */
  readonly names: readonly string[];
}

/**
 * Every file the web server may include from `dir`, by name: regular files
 * and symbolic links (followed for reading only, never written through),
 * except dot files, which neither server's `*` glob matches and which are
 * where Roster's half-written temp files live. A missing dir has no files.
 * Read synchronously: the include dir of a big host holds one small file per
 * vhost, and the plan waits for all of them anyway.
 */
export function readVhostDir(dir: string, server: 'nginx' | 'apache'): ReadonlyMap<string, VhostFile> {
  const files = new Map<string, VhostFile>();
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw new RosterError('unavailable', `cannot read the vhost directory ${dir}: ${errorMessage(e)}`, [], { cause: e });
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.') || !(entry.isFile() || entry.isSymbolicLink())) continue;
    const f = readEntry(dir, entry.name, entry.isFile(), server);
    if (f !== null) files.set(entry.name, f);
  }
  return files;
}

/**
 * The files of `dir` with these names, as readVhostDir would find them (a
 * name that is not there, a directory or a dot file is left out): what a
 * plan of some accounts reads instead of the whole directory.
 */
export function readVhostFiles(dir: string, server: 'nginx' | 'apache', names: Iterable<string>): ReadonlyMap<string, VhostFile> {
  const files = new Map<string, VhostFile>();
  for (const name of names) {
    if (name.startsWith('.') || name.includes('/') || files.has(name)) continue;
    let stat;
    try {
      stat = lstatSync(join(dir, name));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new RosterError('unavailable', `cannot read ${join(dir, name)}: ${errorMessage(e)}`, [], { cause: e });
    }
    if (!(stat.isFile() || stat.isSymbolicLink())) continue;
    const f = readEntry(dir, name, stat.isFile(), server);
    if (f !== null) files.set(name, f);
  }
  return files;
}

/** One file of the dir; null for a dangling link or a link to a directory, which include nothing. */
function readEntry(dir: string, name: string, regular: boolean, server: 'nginx' | 'apache'): VhostFile | null {
  let text: string;
  try {
    text = readFileSync(join(dir, name), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') return null;
    throw new RosterError('unavailable', `cannot read ${join(dir, name)}: ${errorMessage(e)}`, [], { cause: e });
  }
  const marker = regular ? parseMarker(name, text) : null;
  return { file: name, text, marker, names: serverNames(server, text) };
}
