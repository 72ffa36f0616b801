import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { RosterError } from '../domain/errors.js';
import { rootedPath } from '../system/rooted-path.js';

/**
 * Archives of owned resources (database dumps, list archives, vhost
 * configs) before a target removes them (DESIGN.md §10 "Owned resources":
 * purge archives before removing). Each file is
 * `<username>-<uid>-<stamp>.<kind>.<name>.<ext>` in the archive dir, and the
 * target's manifest `<username>-<uid>-<stamp>.<target>.manifest.json` lists
 * it with its SHA-256 and size. The homes archive uses the same stem
 * (`archiveStem`), so the home and the databases of one purge sort together
 * and share its stamp.
 *
 * Atomic as homes is: a file is written as `.partial`, fsynced and renamed,
 * and only then is the manifest (itself written as `.partial` and renamed)
 * made to list it, so a file the manifest lists is complete. The dir is
 * 0700 and every file 0600: dumps hold members' data.
 */

export const RESOURCE_MANIFEST_FORMAT = 'roster-resource-archive/1';

/** One archived file, as its manifest lists it. */
export interface ResourceArchiveFile {
  /** File name inside the archive dir. */
  readonly file: string;
  /** The resource's kind and name (`postgres-database`, `alice_blog`). */
  readonly kind: string;
  readonly name: string;
  readonly sha256: string;
  readonly bytes: number;
  /** ISO 8601 UTC of the archive. */
  readonly archivedAt: string;
  /** Set once the file has been brought back, so an archive is restored at most once (as homes renames its manifest). */
  readonly restoredAt?: string;
}

export interface ResourceArchiveManifest {
  readonly format: typeof RESOURCE_MANIFEST_FORMAT;
  /** The target that wrote it. */
  readonly target: string;
  readonly host: string;
  /** The owning account's username and UID. */
  readonly owner: string;
  readonly uid: number;
  /** The stamp of the file names (the purge's time, or the removal's). */
  readonly stamp: string;
  readonly files: readonly ResourceArchiveFile[];
}

/** Who an archive belongs to and when it was made: the purge time for a purged owner, else the time of the removal. */
export interface ArchiveOwner {
  readonly username: string;
  readonly uid: number;
  /** ISO 8601 UTC. */
  readonly at: string;
}

/** `<username>-<uid>-<stamp>`, the stem of every archive of one purge, homes' and the dumps' alike (`2026-11-23T12:00:00.000Z` → `20261123T120000000Z`). */
export function archiveStem(username: string, uid: number, at: string): string {
  return `${username}-${uid}-${at.replace(/[-:.]/g, '')}`;
}

const STAMP = /^\d{8}T\d{6,9}Z$/;

function stampKey(stamp: string): string {
  return stamp.slice(0, -1).padEnd(18, '0');
}

function manifestName(stem: string, target: string): string {
  return `${stem}.${target}.manifest.json`;
}

/**
 * The archive dir under the root, created 0755 above and 0700 itself, owned
 * by root; no component may be a symbolic link (DESIGN.md §7: never follow
 * one), since a link would let its owner redirect dumps of members' data.
 */
async function archiveDirectory(root: string, archiveDir: string): Promise<string> {
  const parts = archiveDir.split('/').filter((p) => p !== '');
  let prefix = '';
  for (const part of parts) {
    prefix += `/${part}`;
    const path = rootedPath(root, prefix);
    await mkdir(path, { mode: 0o755 }).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    });
    const st = await lstat(path);
    if (st.isSymbolicLink()) throw new RosterError('conflict', `refusing archive dir ${archiveDir}: ${prefix} is a symbolic link`);
    if (!st.isDirectory()) throw new RosterError('conflict', `refusing archive dir ${archiveDir}: ${prefix} is not a directory`);
  }
  const dir = rootedPath(root, archiveDir);
  await chmod(dir, 0o700);
  return dir;
}

async function fsyncPath(path: string): Promise<void> {
  const h = await open(path, constants.O_RDONLY);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** SHA-256 and size of a file, read without following a symbolic link. */
export async function fileDigest(path: string): Promise<{ readonly sha256: string; readonly bytes: number }> {
  const h = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of h.createReadStream({ autoClose: false })) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), bytes };
  } finally {
    await h.close();
  }
}

function isManifest(value: unknown, target: string): value is ResourceArchiveManifest {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<ResourceArchiveManifest>;
  return m.format === RESOURCE_MANIFEST_FORMAT && m.target === target && typeof m.owner === 'string' && typeof m.uid === 'number' && Array.isArray(m.files);
}

/** The manifest at `path`, null when there is none; a file that is not one of `target`'s manifests is an error. */
async function readManifest(path: string, target: string): Promise<ResourceArchiveManifest | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RosterError('bad_input', `${posix.basename(path)} is not JSON, so not a ${RESOURCE_MANIFEST_FORMAT} manifest`);
  }
  if (!isManifest(parsed, target)) throw new RosterError('bad_input', `${posix.basename(path)} is not a ${RESOURCE_MANIFEST_FORMAT} manifest of the ${target} target`);
  return parsed;
}

/** Writes the manifest as `.partial`, fsyncs it and renames it into place, then fsyncs the dir. */
async function writeManifest(dir: string, path: string, manifest: ResourceArchiveManifest): Promise<void> {
  const partial = `${path}.partial`;
  await rm(partial, { force: true });
  // 'wx': a file or symlink planted at the partial name is never written through.
  const h = await open(partial, 'wx', 0o600);
  try {
    await h.writeFile(`${JSON.stringify(manifest, null, 1)}\n`);
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(partial, path);
  await fsyncPath(dir);
}

export interface ArchiveFileInput {
  readonly root: string;
  readonly archiveDir: string;
  readonly target: string;
  readonly host: string;
  readonly owner: ArchiveOwner;
  readonly kind: string;
  readonly name: string;
  /** The file's extension without the dot (`dump`, `sql`, `tar`). */
  readonly ext: string;
  readonly now: Date;
  /** Writes the file at the given path (a `.partial` name that does not exist yet); the archive fsyncs and renames it. */
  readonly write: (path: string) => Promise<void>;
}

export interface ArchivedFile {
  /** The manifest's path as seen on the host (`/var/lib/roster/archive/…manifest.json`). */
  readonly manifest: string;
  readonly file: ResourceArchiveFile;
  /** True when an earlier, interrupted run had already archived it (same owner, stamp, kind and name). */
  readonly reused: boolean;
}

/**
 * Archives one resource of an owner: the file is written by `write`, then
 * listed in the target's manifest for this owner and stamp (created or
 * extended; each resource of one purge adds its file). Everything is fsynced
 * before this returns, because the caller removes the resource next. A file
 * the manifest already lists for this kind and name is kept as it is
 * (reused), so a retried purge does not dump again what is already safe.
 */
export async function archiveResourceFile(input: ArchiveFileInput): Promise<ArchivedFile> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(input.ext)) throw new RosterError('internal', `archive extension "${input.ext}" is not a plain word`);
  const dir = await archiveDirectory(input.root, input.archiveDir);
  const stem = archiveStem(input.owner.username, input.owner.uid, input.owner.at);
  const manifestFile = manifestName(stem, input.target);
  const manifestPath = posix.join(dir, manifestFile);
  const hostManifest = posix.join(input.archiveDir, manifestFile);
  const existing = await readManifest(manifestPath, input.target);
  const done = existing?.files.find((f) => f.kind === input.kind && f.name === input.name);
  if (done !== undefined) return { manifest: hostManifest, file: done, reused: true };
  // The name is the resource's own, which its kind's schema checked; a `/` or a
  // leading dot would still escape or hide the file, so it is refused here too.
  if (input.name.includes('/') || input.name.startsWith('.') || input.name.includes('\0')) throw new RosterError('bad_input', `resource name "${input.name}" cannot be part of a file name`);
  const fileName = `${stem}.${input.kind}.${input.name}.${input.ext}`;
  const finalPath = posix.join(dir, fileName);
  const partial = `${finalPath}.partial`;
  await rm(partial, { force: true });
  try {
    await input.write(partial);
    const st = await lstat(partial);
    if (!st.isFile()) throw new RosterError('conflict', `${fileName}.partial is not a regular file after it was written`);
    await chmod(partial, 0o600);
    await fsyncPath(partial);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  const digest = await fileDigest(partial);
  await rename(partial, finalPath);
  const file: ResourceArchiveFile = { file: fileName, kind: input.kind, name: input.name, ...digest, archivedAt: input.now.toISOString() };
  const manifest: ResourceArchiveManifest = existing ?? {
    format: RESOURCE_MANIFEST_FORMAT,
    target: input.target,
    host: input.host,
    owner: input.owner.username,
    uid: input.owner.uid,
    stamp: stem.slice(stem.lastIndexOf('-') + 1),
    files: [],
  };
  // The manifest is written last: only now does the archive count as complete.
  await writeManifest(dir, manifestPath, { ...manifest, files: [...manifest.files, file] });
  return { manifest: hostManifest, file, reused: false };
}

/** The file the manifest of this owner and stamp lists for the resource, or null: whether its archive is complete (checked before it is removed). */
export async function archivedFile(root: string, archiveDir: string, target: string, owner: ArchiveOwner, kind: string, name: string): Promise<ResourceArchiveFile | null> {
  const path = rootedPath(root, posix.join(archiveDir, manifestName(archiveStem(owner.username, owner.uid, owner.at), target)));
  const manifest = await readManifest(path, target);
  return manifest?.files.find((f) => f.kind === kind && f.name === name) ?? null;
}

/** The newest archive of a resource, as `newestResourceArchive` finds it. */
export interface FoundArchive {
  /** The manifest's file name inside the archive dir. */
  readonly manifest: string;
  readonly stamp: string;
  readonly file: ResourceArchiveFile;
}

export interface ArchiveQuery {
  readonly target: string;
  readonly username: string;
  readonly uid: number;
  readonly kind: string;
  readonly name: string;
}

/**
 * The newest archive of one resource of one owner (same username and UID,
 * as a restored account keeps both), or null when there is none or the
 * newest has been restored already (an older one would bring back older
 * data than what was last there). Manifests are read newest first and only
 * until one lists the resource, so a dir of many purges costs one readdir.
 */
export async function newestResourceArchive(root: string, archiveDir: string, query: ArchiveQuery): Promise<FoundArchive | null> {
  let names: string[];
  try {
    names = await readdir(rootedPath(root, archiveDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const prefix = `${query.username}-${query.uid}-`;
  const suffix = `.${query.target}.manifest.json`;
  const stamps = names
    .filter((n) => n.startsWith(prefix) && n.endsWith(suffix))
    .map((n) => n.slice(prefix.length, n.length - suffix.length))
    .filter((s) => STAMP.test(s))
    // Newest first; the fraction (none, or up to nine digits) is padded so stamps of either length compare as text.
    .sort((a, b) => (stampKey(a) < stampKey(b) ? 1 : stampKey(a) > stampKey(b) ? -1 : 0));
  for (const stamp of stamps) {
    const manifest = `${prefix}${stamp}${suffix}`;
    const read = await readManifest(rootedPath(root, posix.join(archiveDir, manifest)), query.target);
    const file = read?.files.find((f) => f.kind === query.kind && f.name === query.name);
    if (file === undefined) continue;
    return file.restoredAt === undefined ? { manifest, stamp, file } : null;
  }
  return null;
}

/**
 * The path (under the root) of an archived file after checking it against
 * its manifest's SHA-256 and size: a damaged or swapped dump is an error,
 * never restored.
 */
export async function verifiedArchivePath(root: string, archiveDir: string, found: FoundArchive): Promise<string> {
  const path = rootedPath(root, posix.join(archiveDir, found.file.file));
  let digest: { readonly sha256: string; readonly bytes: number };
  try {
    digest = await fileDigest(path);
  } catch (e) {
    throw new RosterError('bad_input', `${found.file.file} listed in ${found.manifest} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (digest.sha256 !== found.file.sha256 || digest.bytes !== found.file.bytes) {
    throw new RosterError('bad_input', `${found.file.file} does not match ${found.manifest} (sha256 ${digest.sha256}, ${digest.bytes} bytes; expected ${found.file.sha256}, ${found.file.bytes} bytes)`);
  }
  return path;
}

/** Records in the manifest that the file was restored (so it is restored at most once). */
export async function markRestored(root: string, archiveDir: string, target: string, found: FoundArchive, now: Date): Promise<void> {
  const dir = rootedPath(root, archiveDir);
  const path = posix.join(dir, found.manifest);
  const manifest = await readManifest(path, target);
  if (manifest === null) throw new RosterError('conflict', `${found.manifest} disappeared while its file was being restored`);
  const files = manifest.files.map((f) => (f.file === found.file.file ? { ...f, restoredAt: now.toISOString() } : f));
  await writeManifest(dir, path, { ...manifest, files });
}
