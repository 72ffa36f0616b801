import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { writeFileAtomic } from '../../system/write-file-atomic.js';
import { ObjectStore } from './object-store.js';
import type { TreeEntry } from './tree-entry.js';

/** Host paths of the watch directory under a root prefix. */
export const WATCH_DIR = '/var/lib/roster/watch';

/** What made a change, when Roster knows: its own apply, or a package operation (the apt hooks). */
export type ChangeCause =
  | { readonly kind: 'apply'; readonly at: string; readonly actor: string; readonly changes: number }
  | { readonly kind: 'apt'; readonly at: string; readonly command: string; readonly user: string };

/** metche's states: a change is unstable; unchanged for the quiet period it is testing (and reported); days later, stable. */
export type SnapshotState = 'unstable' | 'testing' | 'stable';

export interface SnapshotMeta {
  readonly id: string;
  readonly takenAt: string;
  /** The last turn that still saw the state before this one: the change came after it. Null for the first snapshot. */
  readonly since: string | null;
  readonly state: SnapshotState;
  readonly testingAt: string | null;
  readonly stableAt: string | null;
  readonly cause: ChangeCause | null;
}

/** A snapshot's contents; written once, never changed. */
export interface SnapshotManifest {
  readonly version: 1;
  readonly id: string;
  readonly takenAt: string;
  readonly dirs: readonly string[];
  readonly entries: readonly TreeEntry[];
  /** The object holding the package list (JSON), null without a dpkg status file. */
  readonly packages: string | null;
  /** inode, size, mtime and ctime of the dpkg status file it was read from. */
  readonly packagesStat: string;
  /** The newest changelog entry seen (an entry is a change, as in metche, which watches the changelog too). */
  readonly changelogAt: string | null;
  /** The changelog entries seen, by identity (changelogKey); absent in manifests of older versions. */
  readonly changelogKeys?: readonly string[];
  /** The exclusions it was taken with: only then may the next turn reuse its directory listings. */
  readonly filters?: string;
}

export interface ReportMeta {
  readonly id: string;
  readonly madeAt: string;
  readonly baseline: string;
  readonly head: string;
  /** Taken by the server (or the store); false while it waits to be sent. */
  readonly delivered: boolean;
}

/** `state.json`: the snapshots by state and the reports, small enough to rewrite at every turn. */
export interface WatchState {
  readonly version: 1;
  readonly seq: number;
  readonly lastTurnAt: string | null;
  /** The latest snapshot. */
  readonly head: string | null;
  /** The snapshot the next report starts from: the last reported one, or the first. */
  readonly baseline: string | null;
  readonly snapshots: readonly SnapshotMeta[];
  readonly reports: readonly ReportMeta[];
}

export const EMPTY_STATE: WatchState = { version: 1, seq: 0, lastTurnAt: null, head: null, baseline: null, snapshots: [], reports: [] };

/**
 * The watch directory, `<root>/var/lib/roster/watch` (0700: it holds copies
 * of configuration files): `state.json`, `snapshots/`, `reports/`,
 * `objects/` (content by hash), and `secret.key`, which keys the hashes of
 * secret files.
 */
export class WatchStore {
  readonly dir: string;
  readonly objects: ObjectStore;

  constructor(root: string) {
    this.dir = posix.join(root, WATCH_DIR);
    this.objects = new ObjectStore(posix.join(this.dir, 'objects'));
  }

  /** Creates the directory (0700, also when it existed looser), /var/lib/roster 0700 when new, the rest 0755. */
  ensure(): void {
    mkdirSync(posix.dirname(posix.dirname(this.dir)), { recursive: true, mode: 0o755 });
    // /var/lib/roster: 0700, as apply and the changelog make it (the agent's state holds password hashes).
    mkdirSync(posix.dirname(this.dir), { recursive: true, mode: 0o700 });
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    for (const sub of ['objects', 'snapshots', 'reports']) mkdirSync(posix.join(this.dir, sub), { recursive: true, mode: 0o700 });
  }

  path(...parts: string[]): string {
    return posix.join(this.dir, ...parts);
  }

  /** Whether watching ever started on this root (the apt hooks do nothing where it did not). */
  exists(): boolean {
    try {
      readFileSync(this.path('state.json'));
      return true;
    } catch {
      return false;
    }
  }

  #json(path: string, what: string): unknown {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new RosterError('internal', `cannot read ${what} ${path}: ${errorMessage(e)}`);
    }
    try {
      const value = JSON.parse(text) as { version?: unknown };
      if (value.version !== 1) throw new Error(`unknown version ${String(value.version)}`);
      return value;
    } catch (e) {
      throw new RosterError('internal', `${what} ${path} is damaged (${errorMessage(e)}); move the watch directory ${this.dir} aside to start afresh`, [{ where: path, message: 'not readable JSON' }]);
    }
  }

  readState(): WatchState {
    return (this.#json(this.path('state.json'), 'the watch state') as WatchState | null) ?? EMPTY_STATE;
  }

  async writeState(state: WatchState): Promise<void> {
    await writeFileAtomic(this.path('state.json'), `${JSON.stringify(state)}\n`, { mode: 0o600 });
  }

  /**
   * When the last turn ran, if later than the state says: a turn that finds
   * nothing changed writes only this small file, without fsync (losing it in
   * a crash costs nothing but a looser bound on when a change was made).
   */
  readLastTurn(): string | null {
    try {
      const text = readFileSync(this.path('last-turn'), 'utf8').trim();
      return /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(text) ? text : null;
    } catch {
      return null;
    }
  }

  writeLastTurn(at: string): void {
    writeFileSync(this.path('last-turn'), `${at}\n`, { mode: 0o600 });
  }

  readSnapshot(id: string): SnapshotManifest {
    const m = this.#json(this.path('snapshots', `${id}.json`), 'the snapshot') as SnapshotManifest | null;
    if (m === null) throw new RosterError('not_found', `snapshot ${id} is not kept in ${this.path('snapshots')}`);
    return m;
  }

  async writeSnapshot(m: SnapshotManifest): Promise<void> {
    await writeFileAtomic(this.path('snapshots', `${m.id}.json`), `${JSON.stringify(m)}\n`, { mode: 0o600 });
  }

  removeSnapshot(id: string): void {
    rmSync(this.path('snapshots', `${id}.json`), { force: true });
  }

  /** A report kept on disk (its JSON: see WatchReport), or null when there is none of that id. */
  readReport(id: string): unknown {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) return null;
    return this.#json(this.path('reports', `${id}.json`), 'the report');
  }

  async writeReport(id: string, report: unknown): Promise<void> {
    await writeFileAtomic(this.path('reports', `${id}.json`), `${JSON.stringify(report)}\n`, { mode: 0o600 });
  }

  removeReport(id: string): void {
    rmSync(this.path('reports', `${id}.json`), { force: true });
  }

  /** Snapshot ids that have a manifest on disk. */
  listSnapshotFiles(): string[] {
    return readdirSync(this.path('snapshots')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  }

  /** Keys the hashes of secret files; made at the first turn, never leaves the directory. */
  secretKey(): Buffer {
    const path = this.path('secret.key');
    try {
      const key = readFileSync(path);
      if (key.length >= 32) return key;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    // Written whole or not at all (temp file, fsync, rename): a torn key would make every secret file look changed.
    const key = randomBytes(32);
    const temp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}`;
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, key);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      rmSync(temp, { force: true });
      throw e;
    }
    closeSync(fd);
    renameSync(temp, path);
    return key;
  }
}

/** Snapshot ids sort as they were taken. */
export function snapshotId(seq: number): string {
  return `s${String(seq).padStart(8, '0')}`;
}

/** `20260301-100000-3fa9c2`: the time it was made and a random part, unique even if the watch directory is started afresh. */
export function reportId(madeAt: string): string {
  return `${madeAt.slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${randomBytes(3).toString('hex')}`;
}
