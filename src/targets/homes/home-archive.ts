import { execFile, type ExecFileOptions } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream, readdirSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { promisify } from 'node:util';
import { RosterError } from '../../domain/errors.js';
import { archiveStem } from '../resource-archive.js';
import { accountLines, type AccountLines } from './account-lines.js';
import { homeManifest, manifestDifferences, type ManifestEntry } from './home-manifest.js';
import { ensureDirectory, inspectPath, underRoot } from './path-safety.js';

/** execFile as a promise, made when called: the startup snapshot (src/cli/snapshot-entry.ts) loads node:child_process only on first use. */
function run(file: string, args: readonly string[], options: ExecFileOptions = {}): Promise<unknown> {
  return promisify(execFile)(file, args, options);
}

/**
 * Archives of purged homes (RATS removal, seed 002 D): `<archiveDir>/<user>-<uid>-<purgedAt>.tar`
 * and beside it `….manifest.json` with the SHA-256 of the tarball, the
 * type/mode/owner/size/SHA-256 of every entry, and the account's passwd,
 * shadow and group lines. The manifest is renamed into place last, so its
 * presence means the archive is complete; after a restore it becomes
 * `….restored.json`, so an archive is restored at most once.
 *
 * The tarball is written and read by GNU tar with argument arrays, not a
 * JavaScript tar: as root it keeps numeric owners, modes, ACLs, extended
 * attributes, sparse files and hard links, it stores symlinks as links
 * without following them, and it refuses members that would escape the
 * extraction directory. The `tar` npm package keeps neither ACLs nor xattrs.
 */

export const MANIFEST_FORMAT = 'roster-home-archive/1';

export interface HomeArchiveManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly username: string;
  readonly uid: number;
  readonly home: string;
  readonly host: string;
  readonly purgedAt: string;
  readonly archivedAt: string;
  readonly tar: { readonly file: string; readonly bytes: number; readonly sha256: string };
  readonly entries: readonly ManifestEntry[];
  readonly lines: AccountLines;
}

export interface ArchiveRef {
  /** File name stem inside the archive dir. */
  readonly name: string;
  readonly username: string;
  readonly uid: number;
}

const NAME = /^(.+)-(\d+)-(\d{8}T\d{6,9}Z)\.manifest\.json$/;

/** Complete archives not yet restored, newest per (username, uid); key `username:uid`. */
export function restorableArchives(root: string, archiveDir: string): Map<string, ArchiveRef> {
  let names: string[];
  try {
    names = readdirSync(underRoot(root, archiveDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  const out = new Map<string, ArchiveRef & { readonly stamp: string }>();
  for (const file of names) {
    const m = NAME.exec(file);
    if (m === null) continue;
    const [, username = '', uid = '', stamp = ''] = m;
    const key = `${username}:${uid}`;
    const seen = out.get(key);
    if (seen === undefined || seen.stamp < stamp) out.set(key, { name: file.slice(0, -'.manifest.json'.length), username, uid: Number(uid), stamp });
  }
  return new Map([...out].map(([k, { name, username, uid }]) => [k, { name, username, uid }]));
}

async function fileSha256(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function fsyncPath(path: string, flags = constants.O_RDONLY): Promise<void> {
  const h = await open(path, flags);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** The archive dir under the root, created 0700 root; no component may be a symlink. */
async function archiveDirectory(root: string, archiveDir: string): Promise<string> {
  ensureDirectory(root, archiveDir);
  const dir = underRoot(root, archiveDir);
  await chmod(dir, 0o700);
  return dir;
}

function requireRealDirectory(root: string, home: string): void {
  const state = inspectPath(root, home);
  if (state.kind === 'unsafe') throw new RosterError('conflict', `refusing ${home}: ${state.problem}`);
  if (state.kind === 'symlink') throw new RosterError('conflict', `refusing ${home}: it is a symbolic link`);
  if (state.kind !== 'directory') throw new RosterError('conflict', `${home} is not a directory`);
}

export interface ArchiveInput {
  readonly root: string;
  readonly host: string;
  readonly archiveDir: string;
  readonly username: string;
  readonly uid: number;
  readonly home: string;
  readonly purgedAt: string;
  readonly now: Date;
}

/**
 * Writes the archive of a home, or finds the complete one an interrupted
 * earlier run left (same account, same purge). Everything is fsynced before
 * this returns, because the caller deletes the home next.
 */
export async function archiveHome(input: ArchiveInput): Promise<{ readonly manifestPath: string; readonly reused: boolean; readonly files: number; readonly bytes: number }> {
  const dir = await archiveDirectory(input.root, input.archiveDir);
  const stem = archiveStem(input.username, input.uid, input.purgedAt);
  const manifestPath = posix.join(dir, `${stem}.manifest.json`);
  try {
    const done = JSON.parse(await readFile(manifestPath, 'utf8')) as HomeArchiveManifest;
    return { manifestPath: posix.join(input.archiveDir, `${stem}.manifest.json`), reused: true, files: done.entries.length, bytes: done.tar.bytes };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  requireRealDirectory(input.root, input.home);
  const homePath = underRoot(input.root, input.home);
  const entries = await homeManifest(homePath);
  const tarPartial = posix.join(dir, `${stem}.tar.partial`);
  await run('tar', ['--create', `--file=${tarPartial}`, '--format=posix', '--numeric-owner', '--acls', '--xattrs', '--xattrs-include=*', '--sparse', '--one-file-system', `--directory=${homePath}`, '.'], { maxBuffer: 16 * 1024 * 1024 });
  await chmod(tarPartial, 0o600);
  await fsyncPath(tarPartial);
  const tar = await fileSha256(tarPartial);
  const manifest: HomeArchiveManifest = {
    format: MANIFEST_FORMAT,
    username: input.username,
    uid: input.uid,
    home: input.home,
    host: input.host,
    purgedAt: input.purgedAt,
    archivedAt: input.now.toISOString(),
    tar: { file: `${stem}.tar`, ...tar },
    entries,
    lines: await accountLines(input.root, input.username),
  };
  const manifestPartial = `${manifestPath}.partial`;
  const h = await open(manifestPartial, 'w', 0o600);
  try {
    await h.writeFile(`${JSON.stringify(manifest, null, 1)}\n`);
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tarPartial, posix.join(dir, `${stem}.tar`));
  await rename(manifestPartial, manifestPath);
  await fsyncPath(dir);
  return { manifestPath: posix.join(input.archiveDir, `${stem}.manifest.json`), reused: false, files: entries.length, bytes: tar.bytes };
}

/** Reads a manifest and checks the tarball against its SHA-256. */
export async function readArchive(root: string, archiveDir: string, name: string): Promise<HomeArchiveManifest> {
  const dir = underRoot(root, archiveDir);
  const manifest = JSON.parse(await readFile(posix.join(dir, `${name}.manifest.json`), 'utf8')) as HomeArchiveManifest;
  // The file may hold anything: its format is checked before the type above is trusted.
  if ((manifest.format as string) !== MANIFEST_FORMAT) throw new RosterError('bad_input', `${name}.manifest.json is not a ${MANIFEST_FORMAT} manifest`);
  const tar = await fileSha256(posix.join(dir, manifest.tar.file));
  if (tar.sha256 !== manifest.tar.sha256) throw new RosterError('bad_input', `${manifest.tar.file} does not match its manifest (sha256 ${tar.sha256}, expected ${manifest.tar.sha256})`);
  return manifest;
}

/**
 * Removes a home without following symlinks: it is first renamed out of the
 * way inside its (checked) parent, so its path is free at once, then deleted
 * by GNU rm, which walks with openat and never crosses a symlink or, with
 * --one-file-system, a mount point.
 */
export async function removeHome(root: string, home: string): Promise<void> {
  requireRealDirectory(root, home);
  const path = underRoot(root, home);
  const doomed = posix.join(posix.dirname(path), `.roster-removing-${posix.basename(path)}-${randomBytes(6).toString('hex')}`);
  await rename(path, doomed);
  await run('rm', ['-r', '-f', '--one-file-system', '--preserve-root=all', '--', doomed]);
}

/**
 * Brings a home back from its archive: the tarball (checked against its
 * SHA-256) is extracted as root into a fresh 0700 directory beside the home,
 * the result is compared entry by entry with the manifest, and only then
 * renamed into place. A mismatch leaves nothing behind.
 */
export async function restoreHome(root: string, archiveDir: string, name: string, home: string): Promise<{ readonly files: number }> {
  const manifest = await readArchive(root, archiveDir, name);
  const state = inspectPath(root, home);
  if (state.kind !== 'missing') throw new RosterError('conflict', `cannot restore ${home}: it already exists or is unsafe (${state.kind})`);
  ensureDirectory(root, posix.dirname(home));
  const path = underRoot(root, home);
  // The extracted tree takes the home's owner and mode at once; the outer
  // 0700 root directory keeps it out of reach until it has been checked.
  const outer = posix.join(posix.dirname(path), `.roster-restore-${posix.basename(path)}-${randomBytes(6).toString('hex')}`);
  await mkdir(outer, { mode: 0o700 });
  try {
    const inner = posix.join(outer, 'home');
    await mkdir(inner, { mode: 0o700 });
    const tarPath = posix.join(underRoot(root, archiveDir), manifest.tar.file);
    await run('tar', ['--extract', `--file=${tarPath}`, '--numeric-owner', '--same-owner', '--preserve-permissions', '--acls', '--xattrs', '--xattrs-include=*', `--directory=${inner}`], { maxBuffer: 16 * 1024 * 1024 });
    const differences = manifestDifferences(manifest.entries, await homeManifest(inner));
    if (differences.length > 0) throw new RosterError('bad_input', `the extracted home does not match its manifest: ${differences.slice(0, 5).join('; ')}`);
    if ((await lstat(path).catch(() => null)) !== null) throw new RosterError('conflict', `${home} appeared while it was being restored`);
    await rename(inner, path);
  } finally {
    await run('rm', ['-r', '-f', '--one-file-system', '--preserve-root=all', '--', outer]);
  }
  const dir = underRoot(root, archiveDir);
  await rename(posix.join(dir, `${name}.manifest.json`), posix.join(dir, `${name}.restored.json`));
  return { files: manifest.entries.length };
}

/** True when a complete archive of this purge exists (checked before a home is deleted). */
export async function archiveComplete(root: string, archiveDir: string, username: string, uid: number, purgedAt: string): Promise<boolean> {
  try {
    await stat(posix.join(underRoot(root, archiveDir), `${archiveStem(username, uid, purgedAt)}.manifest.json`));
    return true;
  } catch {
    return false;
  }
}
