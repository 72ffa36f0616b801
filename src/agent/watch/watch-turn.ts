import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { BUILT_IN_SECRETS, type WatchSettings } from '../../config/watch-settings.js';
import type { Clock } from '../../domain/clock.js';
import { globPattern } from '../../domain/glob-pattern.js';
import { parseDpkgStatus, type PackageList } from './dpkg-status.js';
import { sha256 } from './object-store.js';
import { pruneWatch, type PruneResult } from './prune-watch.js';
import { idNames, scanTree } from './scan-tree.js';
import { entryChanged, type TreeEntry } from './tree-entry.js';
import { buildReport, type Step, type WatchChangelogEntry, type WatchReport } from './watch-report.js';
import { reportId, snapshotId, type ChangeCause, type SnapshotManifest, type SnapshotMeta, type SnapshotState, type WatchState, type WatchStore } from './watch-store.js';

/** Where dpkg keeps what is installed, on the host. */
export const DPKG_STATUS = '/var/lib/dpkg/status';

/** Roster's state on the host (the agent's, the changelog's, the watch directory): never watched. */
export const ROSTER_STATE_DIR = '/var/lib/roster';

export interface WatchContext {
  /** The resolved root prefix (`/` on a real host). */
  readonly root: string;
  /** The host's name in roster.yaml, when known; reports carry it. */
  readonly host: string | null;
  readonly settings: WatchSettings;
  readonly clock: Clock;
  /** The host's changelog (its `/root/changelog`), oldest first. */
  readonly changelog: () => Promise<readonly WatchChangelogEntry[]>;
  /** Wall-clock milliseconds (file times are wall-clock whatever the injected clock says); Date.now by default. */
  readonly wallNow?: () => number;
}

export interface TurnOptions {
  /** What made the changes this turn finds (the turn right after an apply or an apt run). */
  readonly cause?: ChangeCause | null;
  /** False: only take a snapshot, no state change and no report (the turn right before an apply). Default true. */
  readonly transitions?: boolean;
}

export interface TurnResult {
  /**
   * - `initial`: the first snapshot, the starting point of the first report;
   * - `changed`: something changed since the last turn, a new unstable snapshot;
   * - `unchanged`: nothing changed and no state is due;
   * - `report`: the latest change stayed quiet for the quiet period: testing, and reported;
   * - `testing`: the same, but nothing to report (a change undone);
   * - `stable`: the reported state is now stable.
   */
  readonly outcome: 'initial' | 'changed' | 'unchanged' | 'report' | 'testing' | 'stable';
  readonly at: string;
  /** The latest snapshot and its state. */
  readonly head: string;
  readonly state: SnapshotState;
  /** When the unstable head becomes testing if nothing changes meanwhile. */
  readonly quietUntil: string | null;
  readonly report: WatchReport | null;
  /** Entries in the watched tree, and files read this turn (the rest came from the stat cache). */
  readonly entries: number;
  readonly hashed: number;
  readonly problems: ReadonlyArray<{ readonly path: string; readonly message: string }>;
  readonly pruned: PruneResult | null;
}

function statKey(path: string): string {
  const st = statSync(path, { throwIfNoEntry: false });
  return st === undefined ? '' : `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

function sameEntries(a: readonly TreeEntry[], b: readonly TreeEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || x.path !== y.path || entryChanged(x, y)) return false;
  }
  return true;
}

/** The package list as an object (its JSON, keys sorted, so the same list is one object), or the head's when dpkg's file is as it was. */
function packagesOf(ws: WatchStore, root: string, head: SnapshotManifest | null): { readonly hash: string | null; readonly stat: string } {
  const path = posix.join(root, DPKG_STATUS);
  const stat = statKey(path);
  if (stat === '') return { hash: null, stat };
  if (head !== null && head.packagesStat === stat && stat !== '') return { hash: head.packages, stat };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { hash: null, stat: '' };
  }
  const list = parseDpkgStatus(text);
  const sorted: PackageList = {
    packages: Object.fromEntries(Object.entries(list.packages).sort(([a], [b]) => (a < b ? -1 : 1))),
    conffiles: Object.fromEntries(Object.entries(list.conffiles).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  const content = Buffer.from(JSON.stringify(sorted));
  const hash = sha256(content);
  ws.objects.put(hash, content);
  return { hash, stat };
}

/** A package list kept in the object store, by its hash. */
export function loadPackages(ws: WatchStore, hash: string | null): PackageList | null {
  if (hash === null) return null;
  const content = ws.objects.get(hash);
  return content === null ? null : (JSON.parse(content.toString('utf8')) as PackageList);
}

/** A changelog entry's identity: who wrote what, when, from where (a short hash, so manifests stay small). */
export function changelogKey(e: WatchChangelogEntry): string {
  return sha256(Buffer.from(JSON.stringify([e.at, e.author, e.text, e.source]))).slice(0, 24);
}

function latest(entries: readonly WatchChangelogEntry[]): string | null {
  let at: string | null = null;
  for (const e of entries) if (at === null || e.at > at) at = e.at;
  return at;
}

/** The names in each directory, from a snapshot's entries (sorted by path, so each list is sorted too). */
function childrenOf(entries: readonly TreeEntry[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const e of entries) {
    const slash = e.path.lastIndexOf('/');
    const dir = slash === 0 ? '/' : e.path.slice(0, slash);
    let list = map.get(dir);
    if (list === undefined) map.set(dir, (list = []));
    list.push(e.path.slice(slash + 1));
  }
  for (const e of entries) if (e.type === 'dir' && !map.has(e.path)) map.set(e.path, []);
  return map;
}

function replaceMeta(state: WatchState, meta: SnapshotMeta): WatchState {
  return { ...state, snapshots: state.snapshots.map((s) => (s.id === meta.id ? meta : s)) };
}

/**
 * One turn of `roster watch` (seed GlobeNet, after metche), under the watch
 * lock (the caller's):
 *
 * 1. snapshot the watched directories (content, mode, owner, group,
 *    symlink targets), reading only files whose stat changed, and dpkg's
 *    package list when its status file changed;
 * 2. anything different from the latest snapshot (or a new changelog
 *    entry) makes a new *unstable* snapshot, and the quiet period starts
 *    again;
 * 3. an unstable snapshot that stayed unchanged for `quietMinutes` becomes
 *    *testing*, and the report of everything since the last report is made
 *    (exactly once: the next turn finds it testing); a testing one becomes
 *    *stable* after `stableDays`, when older reports past `keepDays` and
 *    what only they use are pruned.
 *
 * A turn with nothing changed writes only the time of the turn.
 */
export async function watchTurn(ws: WatchStore, ctx: WatchContext, options: TurnOptions = {}): Promise<TurnResult> {
  ws.ensure();
  let state = ws.readState();
  const lastTurn = ws.readLastTurn();
  if (lastTurn !== null && (state.lastTurnAt === null || lastTurn > state.lastTurnAt)) state = { ...state, lastTurnAt: lastTurn };
  const now = ctx.clock.now();
  const at = now.toISOString();
  const settings = ctx.settings;
  const head = state.head === null ? null : ws.readSnapshot(state.head);
  const filters = JSON.stringify([settings.exclude, ROSTER_STATE_DIR, settings.privateFilesSecret]);
  const scan = scanTree({
    root: ctx.root,
    dirs: settings.dirs,
    previousChildren: head !== null && head.filters === filters ? childrenOf(head.entries) : null,
    exclude: settings.exclude.map(globPattern),
    secrets: [...BUILT_IN_SECRETS, ...settings.secrets].map(globPattern),
    privateFilesSecret: settings.privateFilesSecret,
    maxFileBytes: settings.maxFileBytes,
    // The agent's state (password hashes), the changelog's and the watch's own: never entered.
    skip: [ROSTER_STATE_DIR],
    previous: head === null ? null : new Map(head.entries.map((e) => [e.path, e])),
    objects: ws.objects,
    secretKey: ws.secretKey(),
    names: idNames(ctx.root),
    wallNow: (ctx.wallNow ?? Date.now)(),
  });
  const packages = packagesOf(ws, ctx.root, head);
  const changelogEntries = await ctx.changelog();
  const changelogAt = latest(changelogEntries);
  // Entries are known by identity, not by the latest date: a back-dated entry, or one in the same minute as the last, is new too.
  const changelogKeys = [...new Set(changelogEntries.map(changelogKey))].sort();
  const seenKeys = head?.changelogKeys === undefined ? null : new Set(head.changelogKeys);
  const newEntry = seenKeys === null ? changelogAt !== null && (head?.changelogAt == null || changelogAt > head.changelogAt) : changelogKeys.some((k) => !seenKeys.has(k));
  const changed =
    head === null ||
    head.dirs.join('\n') !== settings.dirs.join('\n') ||
    head.packages !== packages.hash ||
    newEntry ||
    !sameEntries(head.entries, scan.entries);
  const common = { at, entries: scan.entries.length, hashed: scan.hashed, problems: scan.problems };
  const quietMs = settings.quietMinutes * 60_000;

  if (changed) {
    const seq = state.seq + 1;
    const id = snapshotId(seq);
    const manifest: SnapshotManifest = { version: 1, id, takenAt: at, dirs: [...settings.dirs], entries: scan.entries, packages: packages.hash, packagesStat: packages.stat, changelogAt, changelogKeys, filters };
    await ws.writeSnapshot(manifest);
    const first = head === null;
    const meta: SnapshotMeta = { id, takenAt: at, since: first ? null : state.lastTurnAt, state: first ? 'stable' : 'unstable', testingAt: null, stableAt: first ? at : null, cause: first ? null : (options.cause ?? null) };
    state = { ...state, seq, head: id, baseline: state.baseline ?? id, snapshots: [...state.snapshots, meta], lastTurnAt: at };
    // A tree that never goes quiet: reported anyway once its first unreported change is maxUnstableHours old.
    const firstUnstable = state.snapshots.find((s) => state.baseline !== null && s.id > state.baseline);
    if (!first && options.transitions !== false && firstUnstable !== undefined && now.getTime() - Date.parse(firstUnstable.takenAt) >= settings.maxUnstableHours * 3_600_000) {
      return { ...common, ...(await reportHead(ws, ctx, state, meta, at, now)), quietUntil: null };
    }
    await ws.writeState(state);
    return { ...common, outcome: first ? 'initial' : 'changed', head: id, state: meta.state, quietUntil: first ? null : new Date(now.getTime() + quietMs).toISOString(), report: null, pruned: null };
  }

  // The same tree with entries looked at again (touched, or too recent to trust last time): their stat goes into the head's manifest, so the next turn need not.
  if (scan.refreshed > 0 || head.packagesStat !== packages.stat || head.filters !== filters) await ws.writeSnapshot({ ...head, entries: scan.entries, packagesStat: packages.stat, filters });
  const headMeta = state.snapshots.find((s) => s.id === state.head);
  if (headMeta === undefined || state.head === null) throw new Error(`the watch state names head ${String(state.head)} but lists no such snapshot`);
  let outcome: TurnResult['outcome'] = 'unchanged';
  let pruned: PruneResult | null = null;
  let current = headMeta;
  if (options.transitions !== false && headMeta.state === 'unstable' && now.getTime() - Date.parse(headMeta.takenAt) >= quietMs) {
    const r = await reportHead(ws, ctx, { ...state, lastTurnAt: at }, headMeta, at, now);
    return { ...common, ...r, quietUntil: null };
  } else if (options.transitions !== false && headMeta.state === 'testing' && headMeta.testingAt !== null && now.getTime() - Date.parse(headMeta.testingAt) >= settings.stableDays * 86_400_000) {
    current = { ...headMeta, state: 'stable', stableAt: at };
    state = replaceMeta(state, current);
    outcome = 'stable';
  }
  state = { ...state, lastTurnAt: at };
  if (outcome !== 'unchanged') {
    const result = pruneWatch(ws, state, { now, keepDays: settings.keepDays });
    state = result.state;
    pruned = result.pruned;
    await ws.writeState(state);
  } else ws.writeLastTurn(at);
  const quietUntil = current.state === 'unstable' ? new Date(Date.parse(current.takenAt) + quietMs).toISOString() : null;
  return { ...common, outcome, head: state.head ?? current.id, state: current.state, quietUntil, report: null, pruned };
}

/** The unstable head becomes testing: the report of the window (if anything to tell), the new baseline, pruning, the state written. */
async function reportHead(
  ws: WatchStore,
  ctx: WatchContext,
  before: WatchState,
  headMeta: SnapshotMeta,
  at: string,
  now: Date,
): Promise<Pick<TurnResult, 'outcome' | 'head' | 'state' | 'report' | 'pruned'>> {
  const report = await makeReport(ws, ctx, before, at);
  const current: SnapshotMeta = { ...headMeta, state: 'testing', testingAt: at };
  let state = replaceMeta(before, current);
  state = { ...state, baseline: headMeta.id, reports: report === null ? state.reports : [...state.reports, { id: report.id, madeAt: at, baseline: report.baseline, head: report.head, delivered: false }] };
  const result = pruneWatch(ws, state, { now, keepDays: ctx.settings.keepDays });
  await ws.writeState(result.state);
  return { outcome: report === null ? 'testing' : 'report', head: result.state.head ?? current.id, state: 'testing', report, pruned: result.pruned };
}

/** The report of the snapshots after the baseline up to the head, or null when there is nothing to tell (a change undone). */
async function makeReport(ws: WatchStore, ctx: WatchContext, state: WatchState, at: string): Promise<WatchReport | null> {
  const baselineMeta = state.snapshots.find((s) => s.id === state.baseline);
  if (baselineMeta === undefined) throw new Error(`the watch state names baseline ${String(state.baseline)} but lists no such snapshot`);
  const step = (meta: SnapshotMeta): Step => ({ meta, manifest: ws.readSnapshot(meta.id) });
  const chain = state.snapshots.filter((s) => s.id > baselineMeta.id && state.head !== null && s.id <= state.head).map(step);
  const from = state.reports.at(-1)?.madeAt ?? baselineMeta.takenAt;
  // The entries the baseline had not seen (by identity); baselines of older versions: those dated in the window.
  const baselineKeys = step(baselineMeta).manifest.changelogKeys;
  const seen = baselineKeys === undefined ? null : new Set(baselineKeys);
  const changelog = (await ctx.changelog()).filter((e) => (seen === null ? e.at > from && e.at <= at : !seen.has(changelogKey(e))));
  const cache = new Map<string, PackageList | null>();
  const report = buildReport({
    id: reportId(at),
    host: ctx.host,
    madeAt: at,
    from,
    baseline: step(baselineMeta),
    chain,
    changelog,
    packages: (hash) => {
      if (hash === null) return null;
      if (!cache.has(hash)) cache.set(hash, loadPackages(ws, hash));
      return cache.get(hash) ?? null;
    },
  });
  if (report.counts.files === 0 && report.counts.packages === 0 && report.counts.changelog === 0 && report.packages.operations.length === 0) return null;
  await ws.writeReport(report.id, report);
  return report;
}
