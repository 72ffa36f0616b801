import { comparePackages, NO_PACKAGE_CHANGES, packageChangeCount, type PackageChanges, type PackageList } from './dpkg-status.js';
import { entryChanged, contentChanged, entryMap, type TreeEntry } from './tree-entry.js';
import type { SnapshotManifest, SnapshotMeta } from './watch-store.js';

/** One changelog entry as the report lists it (the host's `/root/changelog`, Roster's own applies among them). */
export interface WatchChangelogEntry {
  readonly at: string;
  readonly author: string;
  readonly text: string;
  /** `apply` for Roster's own applies; anything else was written by a person. */
  readonly source: string;
}

/** What explains one change of a file. */
export interface Explanation {
  readonly kind: 'apply' | 'apt' | 'changelog';
  readonly at: string;
  /** Who: the apply's actor, the user who ran apt, the entry's author. */
  readonly by: string;
  /** The apt command line or the changelog entry's text. */
  readonly text?: string;
}

export interface FileMeta {
  readonly type: TreeEntry['type'];
  /** Octal, as ls and chmod show it: `0644`. */
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  readonly target?: string;
}

export interface FileChange {
  readonly path: string;
  readonly change: 'added' | 'removed' | 'modified';
  /** The content (or a symlink's target) changed; false when only mode, owner or group did. */
  readonly content: boolean;
  readonly before: FileMeta | null;
  readonly after: FileMeta | null;
  /** Why no diff is kept: a secret (never stored), a large or an unreadable file. */
  readonly withheld?: 'secret' | 'large' | 'unreadable';
  /** The package whose configuration file it is (dpkg's Conffiles). */
  readonly package?: string;
  readonly explainedBy: readonly Explanation[];
  /** Some change of it in the window has no explanation (see explainChange). */
  readonly unexplained: boolean;
}

/** Packages that changed in one step between two snapshots: an apt run, or what a turn found. */
export interface PackageOperation {
  readonly at: string;
  /** The apt command line, when the apt hooks recorded it. */
  readonly command: string | null;
  readonly user: string | null;
  readonly changes: PackageChanges;
  readonly explainedBy: readonly Explanation[];
  readonly unexplained: boolean;
}

/**
 * A change report (seed GlobeNet): what changed on the host between the
 * last report and a state that stayed quiet for the quiet period. It names
 * files, modes, owners and packages but never holds content or hashes, so
 * it may be mailed and sent to the server; the diffs stay on the host
 * (`roster watch diff ID`).
 */
export interface WatchReport {
  readonly version: 1;
  readonly id: string;
  readonly host: string | null;
  readonly madeAt: string;
  /** The window: from the previous report (or the first snapshot) to now. */
  readonly from: string;
  readonly to: string;
  /** When the last change in the window was seen. */
  readonly lastChangeAt: string;
  /** The local snapshots compared (for `roster watch diff`). */
  readonly baseline: string;
  readonly head: string;
  readonly dirs: readonly string[];
  readonly changelog: readonly WatchChangelogEntry[];
  readonly files: readonly FileChange[];
  readonly packages: PackageChanges & {
    /** Packages some of whose configuration files changed (etckeeper's list). */
    readonly configChanged: readonly string[];
    readonly operations: readonly PackageOperation[];
  };
  readonly applies: ReadonlyArray<{ readonly at: string; readonly actor: string; readonly changes: number; readonly files: number }>;
  readonly counts: {
    readonly files: number;
    readonly added: number;
    readonly removed: number;
    readonly modified: number;
    readonly unexplained: number;
    readonly packages: number;
    readonly changelog: number;
  };
}

export interface Step {
  readonly meta: SnapshotMeta;
  readonly manifest: SnapshotManifest;
}

export interface ReportInput {
  readonly id: string;
  readonly host: string | null;
  readonly madeAt: string;
  readonly from: string;
  readonly baseline: Step;
  /** The snapshots after the baseline, oldest first; the last is the head. */
  readonly chain: readonly Step[];
  /** Entries within the window. */
  readonly changelog: readonly WatchChangelogEntry[];
  readonly packages: (hash: string | null) => PackageList | null;
}

function meta(e: TreeEntry | undefined): FileMeta | null {
  if (e === undefined) return null;
  return { type: e.type, mode: `0${e.mode.toString(8).padStart(3, '0')}`, owner: e.owner, group: e.group, ...(e.target === undefined ? {} : { target: e.target }) };
}

/**
 * What explains one step of the chain (a change first seen by the turn that
 * took `step`):
 *
 * - a Roster apply explains exactly what changed across it (a watch turn is
 *   taken right before and right after every apply that has changes);
 * - an apt run, recorded by the apt hooks, explains what changed across it
 *   (etckeeper's pre and post commits), with its command line and user;
 * - otherwise a changelog entry written by a person explains the change
 *   when it is dated after the last turn that still saw the state before
 *   (`since`), at minute precision (hand-written entries carry the minute): the change was made after that turn, so an entry dated later
 *   may tell of it, while one dated earlier was written before the change
 *   and cannot. Entries of Roster's own applies (source `apply`) explain
 *   nothing by their time: the files of an apply are known exactly.
 *
 * Nothing of these: the change is unexplained.
 */
export function explainStep(step: Step, previous: Step, entries: readonly WatchChangelogEntry[]): Explanation[] {
  const cause = step.meta.cause;
  if (cause?.kind === 'apply') return [{ kind: 'apply', at: cause.at, by: cause.actor }];
  if (cause?.kind === 'apt') return [{ kind: 'apt', at: cause.at, by: cause.user, text: cause.command }];
  // Entries written by hand carry the minute only: one dated in the minute of that turn may tell of the change.
  const after = Date.parse(step.meta.since ?? previous.meta.takenAt);
  const minute = after - (((after % 60_000) + 60_000) % 60_000);
  const entry = entries.find((e) => e.source !== 'apply' && Date.parse(e.at) >= minute);
  return entry === undefined ? [] : [{ kind: 'changelog', at: entry.at, by: entry.author, text: entry.text }];
}

function sameExplanation(a: Explanation, b: Explanation): boolean {
  return a.kind === b.kind && a.at === b.at && a.by === b.by && a.text === b.text;
}

/** Builds the report of the chain baseline → head. */
export function buildReport(input: ReportInput): WatchReport {
  const steps = [input.baseline, ...input.chain];
  const maps = steps.map((s) => entryMap(s.manifest.entries));
  const head = steps.at(-1) ?? input.baseline;
  const base = maps[0] ?? new Map<string, TreeEntry>();
  const last = maps.at(-1) ?? base;
  const entries = [...input.changelog].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const stepExplanations = steps.map((s, i) => (i === 0 ? [] : explainStep(s, steps[i - 1] ?? s, entries)));

  const basePackages = input.packages(input.baseline.manifest.packages);
  const headPackages = input.packages(head.manifest.packages);
  const conffiles = { ...(basePackages?.conffiles ?? {}), ...(headPackages?.conffiles ?? {}) };

  const paths = [...new Set([...base.keys(), ...last.keys()])].sort();
  const files: FileChange[] = [];
  for (const path of paths) {
    const a = base.get(path);
    const b = last.get(path);
    if (a !== undefined && b !== undefined && !entryChanged(a, b)) continue;
    const explainedBy: Explanation[] = [];
    let unexplained = false;
    for (let i = 1; i < steps.length; i++) {
      const x = maps[i - 1]?.get(path);
      const y = maps[i]?.get(path);
      const changed = x === undefined || y === undefined ? x !== y : entryChanged(x, y);
      if (!changed) continue;
      const why = stepExplanations[i] ?? [];
      if (why.length === 0) unexplained = true;
      for (const w of why) if (!explainedBy.some((e) => sameExplanation(e, w))) explainedBy.push(w);
    }
    const withheld = (b ?? a)?.withheld;
    const owner = conffiles[path];
    files.push({
      path,
      change: a === undefined ? 'added' : b === undefined ? 'removed' : 'modified',
      content: a === undefined || b === undefined || contentChanged(a, b),
      before: meta(a),
      after: meta(b),
      ...(withheld === undefined ? {} : { withheld }),
      ...(owner === undefined ? {} : { package: owner }),
      explainedBy,
      unexplained,
    });
  }

  const operations: PackageOperation[] = [];
  for (let i = 1; i < steps.length; i++) {
    const x = steps[i - 1]?.manifest.packages ?? null;
    const y = steps[i]?.manifest.packages ?? null;
    if (x === y) continue;
    const before = input.packages(x);
    const after = input.packages(y);
    if (before === null || after === null) continue;
    const changes = comparePackages(before, after);
    if (packageChangeCount(changes) === 0) continue;
    const cause = steps[i]?.meta.cause ?? null;
    const why = stepExplanations[i] ?? [];
    operations.push({ at: cause?.at ?? steps[i]?.meta.takenAt ?? input.madeAt, command: cause?.kind === 'apt' ? cause.command : null, user: cause?.kind === 'apt' ? cause.user : null, changes, explainedBy: why, unexplained: why.length === 0 });
  }
  const packageChanges = basePackages === null || headPackages === null ? NO_PACKAGE_CHANGES : comparePackages(basePackages, headPackages);
  const configChanged = [...new Set(files.flatMap((f) => (f.package === undefined ? [] : [f.package])))].sort();

  const applies = input.chain.flatMap((s, k) => {
    const cause = s.meta.cause;
    if (cause?.kind !== 'apply') return [];
    const x = maps[k];
    const y = maps[k + 1];
    let count = 0;
    if (x !== undefined && y !== undefined) {
      for (const [p, e] of y) {
        const old = x.get(p);
        if (old === undefined || entryChanged(old, e)) count++;
      }
      for (const p of x.keys()) if (!y.has(p)) count++;
    }
    return [{ at: cause.at, actor: cause.actor, changes: cause.changes, files: count }];
  });

  return {
    version: 1,
    id: input.id,
    host: input.host,
    madeAt: input.madeAt,
    from: input.from,
    to: input.madeAt,
    lastChangeAt: head.meta.takenAt,
    baseline: input.baseline.meta.id,
    head: head.meta.id,
    dirs: [...head.manifest.dirs],
    changelog: entries,
    files,
    packages: { ...packageChanges, configChanged, operations },
    applies,
    counts: {
      files: files.length,
      added: files.filter((f) => f.change === 'added').length,
      removed: files.filter((f) => f.change === 'removed').length,
      modified: files.filter((f) => f.change === 'modified').length,
      unexplained: files.filter((f) => f.unexplained).length,
      packages: packageChangeCount(packageChanges),
      changelog: entries.length,
    },
  };
}
