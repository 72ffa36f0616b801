import { readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../../system/write-file-atomic.js';

/**
 * Where Roster keeps which account owns each vhost file it wrote, as seen on
 * the host: in its own state directory, root's alone, beside the apply lock.
 */
export const INDEX_PATH = '/var/lib/roster/vhosts-owners.json';

/** The include dir's files Roster wrote, by file name: their owners. */
export type VhostOwners = ReadonlyMap<string, string>;

/**
 * The record as read: a freeze asks for one owner's files among 10,000
 * owners, so each owner's list is checked when it is asked for, and the
 * whole map is made only for a plan of the whole host.
 */
export class OwnerRecord {
  private map: VhostOwners | null = null;

  constructor(private readonly byOwner: Readonly<Record<string, unknown>>) {}

  /** The files recorded for `owner`. */
  filesOf(owner: string): readonly string[] {
    const files = Object.hasOwn(this.byOwner, owner) ? this.byOwner[owner] : undefined;
    return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
  }

  /** Every file recorded, with its owner. */
  all(): VhostOwners {
    if (this.map === null) {
      const map = new Map<string, string>();
      for (const owner of Object.keys(this.byOwner)) for (const f of this.filesOf(owner)) map.set(f, owner);
      this.map = map;
    }
    return this.map;
  }
}

/**
 * What identifies the include dir's list of files: its inode and its
 * modification and change times in nanoseconds, which every file made,
 * removed or renamed into it (each of Roster's writes) moves on. Null when
 * there is no directory.
 */
export function dirStamp(dir: string): string | null {
  try {
    const s = statSync(dir, { bigint: true });
    return `${String(s.ino)}:${String(s.mtimeNs)}:${String(s.ctimeNs)}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * The owners recorded for the include dir `dir` (as roster.yaml names it),
 * if the record still describes it: written for that directory, with its
 * stamp as it is now. Anything else (no record, another directory, a file
 * added or removed since, a record that does not parse) is null, and the
 * directory is read whole.
 */
export function readOwners(indexFile: string, dir: string, stamp: string | null): OwnerRecord | null {
  if (stamp === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null) return null;
  const r = json as { version?: unknown; dir?: unknown; stamp?: unknown; owners?: unknown };
  if (r.version !== 1 || r.dir !== dir || r.stamp !== stamp || typeof r.owners !== 'object' || r.owners === null || Array.isArray(r.owners)) return null;
  return new OwnerRecord(r.owners as Record<string, unknown>);
}

/** Records the owners with the directory's stamp as it is now (after the writes they describe). */
export async function writeOwners(indexFile: string, dir: string, stamp: string, owners: VhostOwners): Promise<void> {
  const byOwner: Record<string, string[]> = {};
  for (const [file, owner] of [...owners].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) (byOwner[owner] ??= []).push(file);
  await writeFileAtomic(indexFile, `${JSON.stringify({ version: 1, dir, stamp, owners: byOwner })}\n`, { mode: 0o600 });
}

/** Forgets the record (it may no longer be true): the next plan reads the directory whole. */
export function dropOwners(indexFile: string): void {
  rmSync(indexFile, { force: true });
}

/** Whether two owner maps say the same. */
export function sameOwners(a: VhostOwners, b: VhostOwners): boolean {
  if (a.size !== b.size) return false;
  for (const [file, owner] of a) if (b.get(file) !== owner) return false;
  return true;
}
