import { errorMessage } from '../../domain/errors.js';
import type { WatchReport } from './watch-report.js';
import { lockOwner, releaseLock, takeLock } from './watch-lock.js';
import { watchTurn, type TurnOptions, type TurnResult, type WatchContext } from './watch-turn.js';
import { WatchStore, type ChangeCause } from './watch-store.js';

export interface WatchLog {
  warn(message: string): void;
}

/** A turn that did not run: another turn, an apply or an apt run holds the watch lock. */
export interface BusyTurn {
  readonly outcome: 'busy';
  readonly holder: number | null;
}

/** How long a turn waits for the watch lock before leaving it to the next turn. */
export const TURN_LOCK_WAIT_MS = 10_000;

/** The watch lock of a root: one turn at a time, and none between the two turns around an apply or an apt run. */
export function watchLockPath(ws: WatchStore): string {
  return ws.path('watch.lock');
}

/**
 * One turn under the watch lock, held by this process or, with `owner`, on
 * behalf of another (the apt process, for its hooks). Waits `waitMs` for
 * the lock, then gives up ("busy"): the next turn sees the same changes.
 */
export async function lockedTurn(ctx: WatchContext, options: TurnOptions & { readonly owner?: number; readonly waitMs?: number; readonly keepLock?: boolean } = {}): Promise<TurnResult | BusyTurn> {
  const ws = new WatchStore(ctx.root);
  ws.ensure();
  const path = watchLockPath(ws);
  const owner = options.owner ?? process.pid;
  if (!(await takeLock(path, owner, options.waitMs ?? TURN_LOCK_WAIT_MS))) return { outcome: 'busy', holder: lockOwner(path) };
  try {
    return await watchTurn(ws, ctx, options);
  } finally {
    if (options.keepLock !== true) releaseLock(path, owner);
  }
}

/**
 * Runs `apply` between two watch turns, holding the watch lock throughout
 * so no other turn sees the apply half done: the turn before records what
 * others changed until now, the turn after attributes everything that
 * changed across the apply to it (`cause`, given what the apply returned).
 * Watching never stops an apply: a watch failure is logged and the apply
 * goes on (its changes then show as a later turn's, unexplained).
 */
export async function aroundApply<T>(ctx: WatchContext, log: WatchLog, cause: (result: T | undefined) => ChangeCause, apply: () => Promise<T>): Promise<T> {
  const ws = new WatchStore(ctx.root);
  const path = watchLockPath(ws);
  let locked = false;
  try {
    ws.ensure();
    locked = await takeLock(path, process.pid, TURN_LOCK_WAIT_MS);
    if (!locked) log.warn(`watch: ${path} is held by pid ${lockOwner(path) ?? '?'}; this apply is not attributed to Roster in the change report`);
    else await watchTurn(ws, ctx, { transitions: false });
  } catch (e) {
    log.warn(`watch: the turn before the apply failed: ${errorMessage(e)}`);
  }
  let result: T | undefined;
  try {
    result = await apply();
    return result;
  } finally {
    if (locked) {
      try {
        await watchTurn(ws, ctx, { transitions: false, cause: cause(result) });
      } catch (e) {
        log.warn(`watch: the turn after the apply failed: ${errorMessage(e)}`);
      } finally {
        releaseLock(path, process.pid);
      }
    }
  }
}

/** Reports not yet taken by the server (or the store), oldest first. */
export function undeliveredReports(root: string): WatchReport[] {
  const ws = new WatchStore(root);
  if (!ws.exists()) return [];
  return ws
    .readState()
    .reports.filter((r) => !r.delivered)
    .flatMap((r) => {
      const report = ws.readReport(r.id) as WatchReport | null;
      return report === null ? [] : [report];
    });
}

/**
 * Marks reports delivered. Under the watch lock: a turn rewriting the
 * state at the same time would lose the mark (it is then sent again, which
 * the server takes as the same report).
 */
export async function markDelivered(root: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const ws = new WatchStore(root);
  const path = watchLockPath(ws);
  if (!(await takeLock(path, process.pid, TURN_LOCK_WAIT_MS))) return;
  try {
    const state = ws.readState();
    await ws.writeState({ ...state, reports: state.reports.map((r) => (ids.includes(r.id) ? { ...r, delivered: true } : r)) });
  } finally {
    releaseLock(path, process.pid);
  }
}
