import { readdirSync, readFileSync } from 'node:fs';
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
    let text: string;
    try {
      text = readFileSync(join(dir, entry.name), 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A dangling link or a directory behind a link includes nothing.
      if (code === 'ENOENT' || code === 'EISDIR') continue;
      throw new RosterError('unavailable', `cannot read ${join(dir, entry.name)}: ${errorMessage(e)}`, [], { cause: e });
    }
    const marker = entry.isFile() ? parseMarker(entry.name, text) : null;
    files.set(entry.name, { file: entry.name, text, marker, names: serverNames(server, text) });
  }
  return files;
}
