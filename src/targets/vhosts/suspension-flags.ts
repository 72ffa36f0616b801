import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { RosterError, errorMessage } from '../../domain/errors.js';
import { writeFileAtomic } from '../../system/write-file-atomic.js';

/** A file of the flag directory that the web server's `-f` test sees, by its name (a vhost's). */
export interface SuspensionFlag {
  readonly name: string;
  /** Set only for a flag Roster wrote (holding flagText); any other file is the administrator's and never touched. */
  readonly managed: boolean;
}

/** Flags are one line; a bigger file is not one of Roster's, and is not read whole. */
const MAX_FLAG_BYTES = 1024;

/**
 * What a flag holds: that Roster wrote it and what it does. No reason and
 * no member's data: the web server's workers can read it, and the reason is
 * in the store.
 */
export function flagText(name: string): string {
  return `Suspended by Roster: ${name} answers 503 with the suspended page while this file exists.\n`;
}

/**
 * The files of the flag directory the web servers' `-f` would find, by
 * name: regular files, and symbolic links to one (nginx and Apache follow
 * them). Dot files are left out (Roster's half-written temp files; no vhost
 * name starts with a dot). A missing directory holds no flags. Synchronous,
 * as the vhost directory is read: a file per suspended vhost, a handful.
 */
export function readFlagDir(dir: string): ReadonlyMap<string, SuspensionFlag> {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new RosterError('unavailable', `cannot read the suspension flag directory ${dir}: ${errorMessage(e)}`, [], { cause: e });
  }
  return readFlags(dir, entries);
}

/** The flags of these vhosts only, as readFlagDir would find them: what a plan of some accounts reads. */
export function readFlags(dir: string, names: Iterable<string>): ReadonlyMap<string, SuspensionFlag> {
  const flags = new Map<string, SuspensionFlag>();
  for (const name of names) {
    if (name.startsWith('.') || name.includes('/') || flags.has(name)) continue;
    const path = join(dir, name);
    try {
      const link = lstatSync(path);
      if (link.isFile()) {
        flags.set(name, { name, managed: link.size <= MAX_FLAG_BYTES && readFileSync(path, 'utf8') === flagText(name) });
      } else if (link.isSymbolicLink() && statSync(path).isFile()) {
        flags.set(name, { name, managed: false });
      }
    } catch (e) {
      // Not there (or gone since the listing), a dangling link, or no directory: the server's -f finds nothing either.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new RosterError('unavailable', `cannot read ${path}: ${errorMessage(e)}`, [], { cause: e });
    }
  }
  return flags;
}

/**
 * Makes the flag directory if it is missing, each directory made 0755
 * whatever the umask: the web server's workers (www-data) must be able to
 * search down to the flags, or their `-f` finds none and a suspended site
 * is served (verify would report it).
 */
export async function ensureFlagDir(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let d = dir; ; d = posix.dirname(d)) {
    await chmod(d, 0o755);
    if (d === first || d === posix.dirname(d)) break;
  }
}

/** What is at `path`: null for nothing, else its text, refusing what is not a regular file. */
async function flagAt(path: string): Promise<string | null> {
  const stat = await lstat(path).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  });
  if (stat === null) return null;
  if (!stat.isFile() || stat.size > MAX_FLAG_BYTES) throw new RosterError('conflict', `${path} is not a flag Roster wrote; left alone`);
  return readFile(path, 'utf8');
}

/**
 * Creates the vhost's flag (0644, written atomically, the directory synced
 * by the write), from which moment the server answers 503. A flag already
 * there is left as it is; another file under that name is someone else's.
 */
export async function createFlag(dir: string, name: string): Promise<void> {
  const path = join(dir, name);
  const text = await flagAt(path);
  if (text === flagText(name)) return;
  if (text !== null) throw new RosterError('conflict', `${path} exists and was not written by Roster; left alone`);
  await writeFileAtomic(path, flagText(name), { mode: 0o644 });
}

/** Removes the vhost's flag, from which moment the site is served again; a flag already gone is fine. The caller syncs the directory. */
export async function removeFlag(dir: string, name: string): Promise<void> {
  const path = join(dir, name);
  const text = await flagAt(path);
  if (text === null) return;
  if (text !== flagText(name)) throw new RosterError('conflict', `${path} was not written by Roster (or changed since it was read); left alone`);
  await rm(path);
}

/** Makes the removals in a directory durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
