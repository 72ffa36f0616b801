import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import * as z from 'zod';
import { asRosterError, errorMessage, type RosterError } from '../domain/errors.js';
import { readBytesIfExists, readTextIfExists } from '../system/read-text-if-exists.js';
import { writeFileAtomic } from '../system/write-file-atomic.js';
import { entryKey, parseChangelogFile, renderChangelogFile, shownKey, type FileEntry, type KeptLines } from './changelog-file.js';
import type { HostChangelogRecord } from './server-client.js';

/**
 * The host's `/root/changelog`, kept in step with the server by the agent
 * (seed GlobeNet: a changelog per machine that reads well on the machine
 * itself). Each turn the agent
 *
 * 1. reads the file: entries an admin appended by hand (a date line, then
 *    indented text) that it does not know yet wait to be sent; lines that
 *    are not an entry stay in the file as they are, and are reported once;
 * 2. sends the waiting entries (the server keeps each once, however often it
 *    is sent) and fetches the entries stored since the last it holds — only
 *    when the server's answer to the poll says there are any;
 * 3. writes the file again (atomically, only when its content changed):
 *    every entry by time, newest last, then the kept lines.
 *
 * Without the server the file still works: hand entries wait on disk (in
 * `/var/lib/roster/changelog.json`, private) and go out on a later turn.
 */

/** An entry as `roster watch` reads it: the local copy of the server's, and the hand-written ones not on the server yet. */
export interface HostChangelogEntry {
  readonly at: string;
  readonly author: string;
  readonly text: string;
  readonly source: string;
}

const handEntry = z.object({ at: z.string(), author: z.string(), text: z.string() });

const stateSchema = z.object({
  version: z.literal(1),
  host: z.string(),
  /** The id of the newest entry fetched from the server. */
  head: z.int().min(0),
  /** The server's entries of this host, as fetched. */
  entries: z.array(z.object({ id: z.int().min(1), at: z.string(), author: z.string(), text: z.string(), source: z.string(), public: z.boolean() })),
  /** Hand-written entries the server has not taken yet. */
  pending: z.array(handEntry),
  /** Hand-written entries the server refused (they stay in the file, with the reason logged once). */
  rejected: z.array(handEntry.extend({ reason: z.string() })),
  /** Hashes of the kept lines already reported, so each problem is logged once. */
  warned: z.array(z.string()),
});

type ChangelogState = z.infer<typeof stateSchema>;
type HandEntry = z.infer<typeof handEntry>;

/** Where the host keeps its changelog and the agent its copy, under `root`. */
export function hostChangelogPaths(root: string): { readonly file: string; readonly state: string } {
  return { file: posix.join(root, 'root/changelog'), state: posix.join(root, 'var/lib/roster/changelog.json') };
}

/** The server side of the sync (src/agent/server-client.ts). */
export interface ChangelogSyncClient {
  changelog(afterId: number): Promise<HostChangelogRecord[]>;
  addChangelog(entry: { readonly at: string; readonly author: string; readonly text: string }): Promise<HostChangelogRecord>;
}

export interface ChangelogSyncOptions {
  readonly root: string;
  readonly host: string;
  /** Null when the server was not reached this turn: the file is kept locally. */
  readonly client: ChangelogSyncClient | null;
  /** The server's newest entry id for the host, from its answer to the poll; unknown: fetch. */
  readonly serverHead?: number | undefined;
  readonly log: { warn(message: string): void };
}

export interface ChangelogSyncResult {
  /** Entries fetched from the server this turn. */
  readonly fetched: number;
  /** Hand-written entries the server took this turn. */
  readonly sent: number;
  /** Hand-written entries still waiting for the server. */
  readonly waiting: number;
  /** Hand-written entries the server refused this turn. */
  readonly rejected: number;
  /** Blocks of the file that are not entries (kept as they are). */
  readonly malformed: number;
  /** The file was written. */
  readonly written: boolean;
  /** Why the server part stopped, when it did. */
  readonly error: RosterError | null;
}

function emptyState(host: string): ChangelogState {
  return { version: 1, host, head: 0, entries: [], pending: [], rejected: [], warned: [] };
}

async function loadState(path: string, host: string, warn: (m: string) => void): Promise<ChangelogState> {
  const text = await readTextIfExists(path);
  if (text === null) return emptyState(host);
  try {
    const parsed = stateSchema.safeParse(JSON.parse(text));
    if (parsed.success && parsed.data.host === host) return parsed.data;
    warn(`${path}: not this host's changelog copy; fetching the changelog again`);
  } catch (e) {
    warn(`${path}: not JSON (${errorMessage(e)}); fetching the changelog again`);
  }
  return emptyState(host);
}

interface FileSeen {
  readonly content: string | null;
  /** What identifies this version of the file: a later write by someone else changes it. */
  readonly stamp: string;
  /** The file is there but is not UTF-8 text (latin-1, say): it is neither read nor written, so no byte of it is lost. */
  readonly notUtf8?: true;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

async function readFileSeen(path: string): Promise<FileSeen> {
  const st = await lstat(path).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  });
  if (st === null) return { content: null, stamp: 'absent' };
  // A symlink or a directory is not read through: the changelog is root's own file.
  if (!st.isFile()) return { content: null, stamp: `not-a-file:${st.ino}` };
  const stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const bytes = readBytesIfExists(path);
  if (bytes === null) return { content: null, stamp: 'absent' };
  try {
    return { content: strictUtf8.decode(bytes), stamp };
  } catch {
    return { content: null, stamp, notUtf8: true };
  }
}

function fromServer(r: HostChangelogRecord): ChangelogState['entries'][number] {
  return { id: r.id, at: r.at, author: r.author, text: r.text, source: r.source, public: r.public };
}

function handKey(e: HandEntry): string {
  return entryKey(e);
}

/**
 * Every entry the file shows, by the minute it shows (an entry written by
 * hand has no seconds); within a minute the server's in the order stored,
 * then those not on the server yet.
 */
function fileEntries(state: ChangelogState): FileEntry[] {
  const all = [
    ...[...state.entries].sort((a, b) => a.id - b.id).map((e) => ({ at: e.at, author: e.author, text: e.text, source: e.source })),
    ...state.pending.map((e) => ({ ...e, source: 'host-file' })),
    ...state.rejected.map((e) => ({ at: e.at, author: e.author, text: e.text, source: 'host-file' })),
  ];
  return all.map((e, i) => ({ e, i, t: Math.floor(new Date(e.at).getTime() / 60_000) })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.e);
}

/** The keys of every entry the state holds, as the file shows them. */
function knownKeys(state: ChangelogState): Set<string> {
  return new Set([...state.entries.map((e) => shownKey(e)), ...state.pending.map(handKey), ...state.rejected.map(handKey)]);
}

function keptHash(k: KeptLines): string {
  return createHash('sha256').update(k.lines.join('\n')).digest('hex').slice(0, 32);
}

/** Last turn's state and files per root, so a turn where nothing moved costs two stats. */
const lastTurn = new Map<string, { readonly stamp: string; readonly stateStamp: string; readonly state: ChangelogState }>();

/** What identifies this version of the copy on disk. */
async function stampOf(path: string): Promise<string> {
  const st = await lstat(path).catch(() => null);
  return st === null ? 'absent' : `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** One turn of keeping `/root/changelog` in step (see the module comment). Never throws for the server's sake: its failures are in `error`. */
export async function syncHostChangelog(o: ChangelogSyncOptions): Promise<ChangelogSyncResult> {
  const paths = hostChangelogPaths(o.root);
  const seen = await readFileSeen(paths.file);
  const stateStamp = await stampOf(paths.state);
  // Still valid when neither file changed since (another process, an admin's edit or a lost disk would show).
  const last = lastTurn.get(o.root);
  const remembered = last !== undefined && last.stateStamp === stateStamp && last.state.host === o.host ? last : undefined;
  const quiet = (s: ChangelogState): boolean => s.pending.length === 0 && (o.client === null || (o.serverHead !== undefined && o.serverHead <= s.head));
  if (remembered !== undefined && remembered.stamp === seen.stamp && quiet(remembered.state)) {
    return { fetched: 0, sent: 0, waiting: 0, rejected: 0, malformed: 0, written: false, error: null };
  }

  const before = remembered?.state ?? (await loadState(paths.state, o.host, (m) => o.log.warn(m)));
  const state: ChangelogState = { ...before, entries: [...before.entries], pending: [...before.pending], rejected: [...before.rejected] };

  let fetched = 0;
  let sent = 0;
  let rejected = 0;
  let error: RosterError | null = null;
  /** Fetches the entries stored after the last one held, page by page; why it stopped short, if it did. */
  const catchUp = async (client: ChangelogSyncClient): Promise<RosterError | null> => {
    try {
      for (;;) {
        const page = await client.changelog(state.head);
        const ids = new Set(state.entries.map((e) => e.id));
        for (const r of page) {
          if (!ids.has(r.id)) {
            state.entries.push(fromServer(r));
            fetched++;
          }
          state.head = Math.max(state.head, r.id);
        }
        if (page.length === 0 || (o.serverHead !== undefined && state.head >= o.serverHead)) return null;
      }
    } catch (e) {
      return asRosterError(e);
    }
  };

  // 1. What is new on the server, first: an entry the file shows because the server sent it is never taken for a hand-written one.
  if (o.client !== null && (o.serverHead === undefined || o.serverHead > state.head)) error = await catchUp(o.client);

  // 2. What the file says that the state does not know: new hand-written entries; and what is not an entry at all.
  const parsed = seen.content === null ? { entries: [], kept: [] } : parseChangelogFile(seen.content);
  // A hand-written entry the admin has since fixed or removed is forgotten: only what the file still shows waits or stays refused.
  if (seen.content !== null) {
    const shown = new Set(parsed.entries.map(handKey));
    state.pending = state.pending.filter((h) => shown.has(handKey(h)));
    state.rejected = state.rejected.filter((h) => shown.has(handKey(h)));
  }
  const known = knownKeys(state);
  for (const e of parsed.entries) {
    const hand = { at: e.at, author: e.author, text: e.text };
    if (known.has(handKey(hand))) continue;
    known.add(handKey(hand));
    state.pending.push(hand);
  }
  const problems = parsed.kept.filter((k) => k.problem !== null);
  const warned = new Set(state.warned);
  for (const k of problems) {
    if (warned.has(keptHash(k))) continue;
    o.log.warn(`${paths.file} line ${k.line}: ${k.problem ?? ''}; left in the file as it is, not sent to the server`);
  }
  // Decoded as UTF-8 and written back, its other bytes would become U+FFFD: left as it is, said once per version of it.
  const notUtf8 = seen.notUtf8 === true ? `not-utf8:${seen.stamp}` : null;
  if (notUtf8 !== null && !warned.has(notUtf8)) o.log.warn(`${paths.file} is not UTF-8 text; left as it is (save it as UTF-8 for Roster to read and write it)`);
  state.warned = [...problems.map(keptHash), ...(notUtf8 === null ? [] : [notUtf8])];

  // A hand-written entry the server took while its answer was lost comes back fetched, and so do the entries a host
  // that lost its copy read from the file while the server was away: shown once, not sent (again).
  const dropStored = (): void => {
    const stored = new Set(state.entries.map((e) => shownKey(e)));
    state.pending = state.pending.filter((h) => !stored.has(handKey(h)));
  };
  dropStored();

  // 3. Send what waits (the server keeps each entry once, however often it is sent).
  if (o.client !== null && error === null && state.pending.length > 0) {
    const waiting: HandEntry[] = [];
    for (const hand of state.pending) {
      if (error !== null) {
        waiting.push(hand);
        continue;
      }
      try {
        const r = await o.client.addChangelog(hand);
        sent++;
        if (!state.entries.some((e) => e.id === r.id)) state.entries.push(fromServer(r));
      } catch (e) {
        const why = asRosterError(e);
        if (why.code === 'bad_input') {
          // Refused as it is, it would be refused forever: kept in the file, said once.
          rejected++;
          state.rejected.push({ ...hand, reason: why.message });
          o.log.warn(`${paths.file}: the server refused the entry of ${hand.at.slice(0, 16).replace('T', ' ')} UTC by ${hand.author}: ${why.message}; it stays in the file`);
        } else {
          error = why;
          waiting.push(hand);
        }
      }
    }
    state.pending = waiting;
    if (sent > 0 && error === null) error = await catchUp(o.client);
    dropStored();
  }

  // 4. The file, when its content changed; the state, when it did.
  const content = renderChangelogFile(o.host, fileEntries(state), parsed.kept);
  let written = false;
  let stamp = seen.stamp;
  if (content !== seen.content && !seen.stamp.startsWith('not-a-file') && seen.notUtf8 !== true) {
    // Someone saved the file since it was read: their version is read next turn rather than overwritten now.
    if ((await stampOf(paths.file)) === seen.stamp) {
      await mkdir(posix.dirname(paths.file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(paths.file, content, { mode: 0o600 });
      written = true;
      stamp = await stampOf(paths.file);
    } else stamp = 'changed';
  } else if (seen.stamp.startsWith('not-a-file') && remembered?.stamp !== seen.stamp) {
    o.log.warn(`${paths.file} is not a regular file; the changelog is not written there`);
  }
  let savedStamp = stateStamp;
  if (JSON.stringify(state) !== JSON.stringify(before) || stateStamp === 'absent') {
    const dir = posix.dirname(paths.state);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // The copy may hold what admins wrote about the host: root's alone, as the agent's state is.
    await chmod(dir, 0o700);
    await writeFileAtomic(paths.state, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    savedStamp = await stampOf(paths.state);
  }
  lastTurn.set(o.root, { stamp, stateStamp: savedStamp, state });
  return { fetched, sent, waiting: state.pending.length, rejected, malformed: problems.length, written, error };
}

/**
 * The host's changelog as the host knows it now, by time: the copy of the
 * server's entries, and the hand-written ones not on the server yet —
 * including those appended to `/root/changelog` since the agent's last turn.
 * Reads only; a host without a changelog yet has none.
 */
export async function readHostChangelog(root: string): Promise<HostChangelogEntry[]> {
  const paths = hostChangelogPaths(root);
  const text = await readTextIfExists(paths.state);
  let state: ChangelogState | null = null;
  if (text !== null) {
    try {
      const parsed = stateSchema.safeParse(JSON.parse(text));
      if (parsed.success) state = parsed.data;
    } catch {
      // A broken copy: the file alone tells.
    }
  }
  const base = state ?? emptyState('');
  const known = knownKeys(base);
  const seen = await readFileSeen(paths.file);
  const inFile = seen.content === null ? null : parseChangelogFile(seen.content).entries;
  const fresh = inFile === null ? [] : inFile.filter((e) => !known.has(handKey(e)));
  // Hand-written entries not sent yet count while the file still shows them (an admin may have fixed or removed one).
  const shown = inFile === null ? null : new Set(inFile.map(handKey));
  const unsent = [...base.pending, ...base.rejected].filter((e) => shown === null || shown.has(handKey(e)));
  const entries: HostChangelogEntry[] = [
    ...base.entries.map((e) => ({ at: new Date(e.at).toISOString(), author: e.author, text: e.text, source: e.source })),
    ...[...unsent, ...fresh].map((e) => ({ at: e.at, author: e.author, text: e.text, source: 'host-file' })),
  ];
  return entries.map((e, i) => ({ e, i })).sort((a, b) => a.e.at.localeCompare(b.e.at) || a.i - b.i).map((x) => x.e);
}
