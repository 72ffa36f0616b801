import type { WatchState, WatchStore } from './watch-store.js';

export interface PruneResult {
  readonly reports: number;
  readonly snapshots: number;
  readonly objects: number;
}

/**
 * Drops what no longer needs keeping (metche's rotation): reports whose
 * state has been stable for more than `keepDays` (never the latest; one
 * never delivered once made more than `keepDays` ago), then snapshots that neither the head, the
 * baseline of the next report, a change still to be reported nor a kept
 * report's diff needs, then file contents no kept snapshot uses. Returns
 * the state without them (the caller writes it).
 */
export function pruneWatch(ws: WatchStore, state: WatchState, options: { readonly now: Date; readonly keepDays: number }): { readonly state: WatchState; readonly pruned: PruneResult } {
  const cutoff = options.now.getTime() - options.keepDays * 86_400_000;
  const stableAt = new Map(state.snapshots.map((s) => [s.id, s.stableAt]));
  const latest = state.reports.at(-1)?.id;
  const reports = state.reports.filter((r) => {
    if (r.id === latest) return true;
    // Never sent (a host with the timer and no agent keeps its reports locally): kept keepDays after it was made, not for ever.
    if (!r.delivered) return r.madeAt >= new Date(cutoff).toISOString();
    const stable = stableAt.get(r.head) ?? null;
    // A report's head is stable once a later state was reported and stayed; absent, it was pruned with its own report's state.
    return stable === null ? r.madeAt >= new Date(cutoff).toISOString() : Date.parse(stable) > cutoff;
  });
  const keep = new Set<string>();
  if (state.head !== null) keep.add(state.head);
  if (state.baseline !== null) {
    keep.add(state.baseline);
    // Changes after the baseline are the next report's steps.
    for (const s of state.snapshots) if (s.id > state.baseline) keep.add(s.id);
  }
  for (const r of reports) {
    keep.add(r.baseline);
    keep.add(r.head);
  }
  const droppedReports = state.reports.filter((r) => !reports.includes(r));
  for (const r of droppedReports) ws.removeReport(r.id);
  const snapshots = state.snapshots.filter((s) => keep.has(s.id));
  let droppedSnapshots = 0;
  for (const id of ws.listSnapshotFiles()) {
    if (keep.has(id)) continue;
    ws.removeSnapshot(id);
    droppedSnapshots++;
  }
  const used = new Set<string>();
  for (const s of snapshots) {
    const m = ws.readSnapshot(s.id);
    if (m.packages !== null) used.add(m.packages);
    for (const e of m.entries) if (e.hash !== null && e.withheld === undefined) used.add(e.hash);
  }
  let droppedObjects = 0;
  for (const hash of ws.objects.list()) {
    if (used.has(hash)) continue;
    ws.objects.remove(hash);
    droppedObjects++;
  }
  return { state: { ...state, snapshots, reports }, pruned: { reports: droppedReports.length, snapshots: droppedSnapshots, objects: droppedObjects } };
}
