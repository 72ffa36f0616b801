import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { asRosterError, errorMessage, RosterError } from '../domain/errors.js';
import { truncatedDetail, type ChangeOutcome } from '../reconcile/apply-host-plan.js';
import { enabledTargets, pendingChanges, planDesired, planScoped } from '../reconcile/host-plan.js';
import { measureHost } from '../reconcile/host-usage.js';
import { summarise, type ReportSummary } from '../reconcile/plan-view.js';
import { reconcile } from '../reconcile/reconcile-host.js';
import type { AnyTarget } from '../targets/registry.js';
import type { TargetContext, TargetLog } from '../targets/target.js';
import type { HostAssignment } from '../desired/desired-host-schema.js';
import { MAX_PENDING_REPORTS, type AgentStateFile, type PendingReport } from './agent-state.js';
import { deltaScope, type DeltaScope } from './delta-scope.js';
import { syncHostChangelog, type ChangelogSyncClient, type ChangelogSyncResult } from './host-changelog.js';
import type { ServerClient } from './server-client.js';
import type { AgentWatch, AgentWatchClient, AgentWatchResult } from './watch/agent-watch.js';
import { watchedApply } from './watch/apply-watch.js';

export interface AgentSettings {
  readonly server: string;
  readonly host: string;
  /** Absolute, resolved root prefix (`/` on a real host). */
  readonly root: string;
  readonly statePath: string;
  readonly allowMassChange: boolean;
  readonly lockTimeoutMs: number;
  /** Keep the host's `/root/changelog` in step with the server (default true). */
  readonly changelog?: boolean;
}

export interface AgentDeps {
  /** With `changelog` and `addChangelog`, the agent keeps the host's `/root/changelog` in step. */
  readonly client: Pick<ServerClient, 'desired' | 'report' | 'usage'> & Partial<ChangelogSyncClient> & Partial<AgentWatchClient>;
  readonly targets: readonly AnyTarget[];
  readonly clock: Clock;
  readonly log: TargetLog;
  /** `roster watch` on the host: turns around every apply with changes, and a turn when `options.watch` says. */
  readonly watch?: AgentWatch;
}

export interface CycleResult {
  /** The server answered (with a new state or "not modified"). */
  readonly reached: boolean;
  /** Why it did not, when it did not. */
  readonly serverError: RosterError | null;
  /** A new revision arrived. */
  readonly changed: boolean;
  /** How: only what changed since the agent's revision, the whole state, or nothing (unchanged, unreachable). */
  readonly transfer: 'none' | 'delta' | 'full';
  /** The revision now on disk (null before the first answer). */
  readonly revision: string | null;
  /** What applying did, when it ran. */
  readonly applied: (ReportSummary & { readonly drift: number }) | null;
  /** The accounts the apply covered when it took the scoped path (a delta applied for its accounts alone); null: the whole host, or no apply. */
  readonly scope: readonly string[] | null;
  /** Why a delta's apply covered the whole host rather than its accounts alone, when it did. */
  readonly widened: string | null;
  /** Why applying did nothing (breaker, unavailable target, lock), when it did not. */
  readonly applyError: RosterError | null;
  /** Reports still waiting for the server. */
  readonly pendingReports: number;
  /** What measuring usage did, when the turn measured it (see `measureUsage`). */
  readonly usage: UsageResult | null;
  /** What keeping `/root/changelog` in step did, when the agent keeps it. */
  readonly changelog: ChangelogSyncResult | null;
  /** What the watch turn did, when the turn took one (and watching is on, or reports waited). */
  readonly watch: AgentWatchResult | null;
}

export interface UsageResult {
  /** Targets that measured, and their figures. */
  readonly targets: number;
  readonly figures: number;
  /** Targets whose `usage` failed (logged; their earlier figures stay on the server). */
  readonly failed: number;
  /** The server took the figures. */
  readonly sent: boolean;
}

/** Largest JSON size of one change's detail sent to the server (a hook's output, killed PIDs). */
const MAX_DETAIL = 2 * 1024;
/**
 * Outcomes listed in one report, failures first; the totals count them all.
 * A first apply has one change per account, and a report must stay well
 * under the server's body limit (1 MiB by default).
 */
export const MAX_REPORTED_OUTCOMES = 200;

/** Outcome counts per target, over all outcomes (the report lists only some): the server's metrics count them by host and target. */
function targetTotals(outcomes: readonly ChangeOutcome[]): Record<string, { ok: number; failed: number; skipped: number }> {
  const totals: Record<string, { ok: number; failed: number; skipped: number }> = {};
  for (const o of outcomes) (totals[o.target] ??= { ok: 0, failed: 0, skipped: 0 })[o.status]++;
  return totals;
}

function reportOutcome(o: ChangeOutcome): Readonly<Record<string, unknown>> {
  const { detail, ...rest } = o;
  return detail === undefined ? rest : { ...rest, detail: truncatedDetail(detail, MAX_DETAIL) };
}


/**
 * One turn of `roster agent` (DESIGN.md §5 "Agent"):
 *
 * 1. ask the server for the host's desired state by revision; a new one is
 *    checked and written to the state file before anything is applied — a
 *    delta in place, only its rows; a whole state as NDJSON, row by row as
 *    it arrives (src/agent/agent-state.ts);
 * 2. apply — when a new revision came, when the last one was not applied
 *    yet, or when `force` (the first turn, a drift check, `--once`) — with
 *    the same pipeline as `roster apply`: apply lock, plan, circuit breaker,
 *    apply. A delta on top of a revision applied cleanly is applied for the
 *    accounts it changed alone (the scoped path: only their entries
 *    observed, planned and written), unless it needs the whole host (see
 *    deltaScope and planScoped); everything else is a whole-host apply of
 *    the whole state kept. When the server cannot be reached, the state on
 *    disk is applied, so the host stays as last applied;
 * 3. report outcomes and drift (changes found when re-applying a revision
 *    already applied: someone edited the host) — reports the server cannot
 *    take now are kept on disk and sent, oldest first, when it answers.
 *
 * Throws only when there is nothing to apply at all: no state on disk and
 * no answer from the server.
 */
export async function agentCycle(
  settings: AgentSettings,
  deps: AgentDeps,
  file: AgentStateFile,
  options: {
    readonly force: boolean;
    /**
     * After a whole-host apply, also run the targets' `usage` and send the
     * figures (seed SoftwareArchitecturePlans 3.5: charge members for what
     * daemons store for them). Not kept on disk when the server is down:
     * the next measurement replaces them anyway.
     */
    readonly measureUsage?: boolean;
    /** Take a watch turn (seed GlobeNet; every few minutes) and send the reports kept on the host. */
    readonly watch?: boolean;
  },
): Promise<{ readonly result: CycleResult }> {
  let serverError: RosterError | null = null;
  let changed = false;
  let transfer: CycleResult['transfer'] = 'none';
  let changelogHead: number | undefined;
  file.refresh();
  const appliedBefore = file.applied;
  const pendingBefore = file.pendingReports;
  // The whole assignment, when this turn has it in memory (fetched whole) or read it (a whole-host apply).
  let whole: HostAssignment | null = null;
  let deltaScoped: DeltaScope | null = null;
  try {
    const base = file.revision;
    let answer = await deps.client.desired(base, { delta: true, stream: true });
    changelogHead = answer.changelogHead;
    if (answer.changed && 'delta' in answer) {
      // Applied in place and checked against the revision; anything off and the whole state is fetched.
      const changes = file.applyDelta(answer.delta, deps.clock.now().toISOString());
      if (changes === null) {
        deps.log.warn(`the delta to revision ${answer.delta.revision} did not reproduce it; fetching the whole state`);
        answer = await deps.client.desired(null, { stream: true });
      } else {
        transfer = 'delta';
        changed = true;
        // Only on top of a revision applied cleanly: what an earlier apply left undone needs the whole host.
        deltaScoped = appliedBefore?.revision === base && appliedBefore.ok ? deltaScope(changes) : { whole: 'the revision before it was not applied cleanly' };
      }
    }
    if (answer.changed && 'stream' in answer) {
      // Written row by row as it arrives, checked against its revision; anything off and the previous state stays.
      await file.replaceStreamed(answer.stream, { server: settings.server, host: settings.host, fetchedAt: deps.clock.now().toISOString() });
      transfer = 'full';
      changed = true;
    }
    if (answer.changed && 'assignment' in answer) {
      whole = answer.assignment;
      file.replace(whole, { server: settings.server, host: settings.host, fetchedAt: deps.clock.now().toISOString() });
      transfer = 'full';
      changed = true;
    }
  } catch (e) {
    serverError = asRosterError(e);
  }
  const revision = file.revision;
  if (revision === null) {
    const why = serverError?.message ?? 'no answer';
    throw new RosterError(serverError?.code ?? 'unavailable', `host ${settings.host}: no desired state yet (${why}), and none kept in ${settings.statePath}`);
  }

  const repeat = appliedBefore?.revision === revision;
  // Only after a clean apply of this revision is anything pending a change made on the host.
  const driftCheck = repeat && appliedBefore.ok;
  let appliedNow = appliedBefore;
  let applied: CycleResult['applied'] = null;
  let applyError: RosterError | null = null;
  let report: PendingReport | null = null;
  let scope: readonly string[] | null = null;
  let widened: string | null = null;
  if (changed || !repeat || options.force) {
    const tctx: TargetContext = { root: settings.root, host: settings.host, clock: deps.clock, log: deps.log };
    const at = deps.clock.now().toISOString();
    const rest = file.rest();
    let drift: Array<Readonly<Record<string, unknown>>> = [];
    try {
      const watcher = deps.watch;
      const client = serverError === null ? watchClient(deps) : null;
      if (watcher !== undefined && client !== null) await watcher.prepare(client);
      const { report: done } = await reconcile(
        {
          tctx,
          breaker: rest.breaker,
          prepare: async () => {
            const enabled = enabledTargets(deps.targets, settings.host, rest.targets);
            if (deltaScoped !== null && !options.force) {
              const desired = 'scope' in deltaScoped ? file.scopedDesired(deltaScoped.scope) : null;
              const prepared = desired === null ? { why: 'whole' in deltaScoped ? deltaScoped.whole : 'an account of the delta is not kept' } : await planScoped(enabled, desired, tctx);
              if (!('why' in prepared)) {
                scope = desired?.scope ?? null;
                return prepared;
              }
              widened = prepared.why;
            }
            whole ??= file.load();
            const prepared = await planDesired(enabled, whole.desired, tctx);
            if (driftCheck) drift = pendingChanges(prepared.plan).map((c) => ({ target: c.target, action: c.action, subject: c.subject, summary: c.summary }));
            return prepared;
          },
        },
        {
          allowMassChange: settings.allowMassChange,
          lockTimeoutMs: settings.lockTimeoutMs,
          // What this apply changes is Roster's, not a person's: the watch report says so.
          ...(watcher === undefined ? {} : { aroundApply: watchedApply((apply, cause) => watcher.around(apply, cause), `roster agent (revision ${revision})`, deps.clock) }),
        },
      );
      const summary = summarise(done);
      applied = { ...summary, drift: drift.length };
      if (changed || !repeat || summary.applied > 0 || summary.failed > 0 || summary.skipped > 0 || done.lockTimeout || drift.length > 0) {
        const listed = [...done.outcomes.filter((o) => o.status !== 'ok'), ...done.outcomes.filter((o) => o.status === 'ok')].slice(0, MAX_REPORTED_OUTCOMES);
        report = {
          // Made with the report and kept with it while it waits: the server stores a report sent again once.
          id: randomUUID(),
          revision,
          at,
          root: settings.root,
          outcomes: listed.map(reportOutcome),
          totals: { ok: summary.applied + summary.recurring, failed: summary.failed, skipped: summary.skipped, recurring: summary.recurring },
          targetTotals: targetTotals(done.outcomes),
          lockTimeout: done.lockTimeout,
          drift: drift.slice(0, MAX_REPORTED_OUTCOMES),
          driftTotal: drift.length,
        };
      }
      appliedNow = { revision, at, ok: summary.failed === 0 && summary.skipped === 0 && !done.lockTimeout };
    } catch (e) {
      applyError = asRosterError(e);
      // Tried again with the next revision or drift check, not at every poll.
      appliedNow = { revision, at, ok: false };
      report = { id: randomUUID(), revision, at, root: settings.root, outcomes: [], lockTimeout: applyError.code === 'lock_timeout', error: { code: applyError.code, message: applyError.message } };
    }
  }

  // Reports go out oldest first; whatever the server does not take now waits on disk.
  const queue = [...pendingBefore, ...(report === null ? [] : [report])];
  let sent = 0;
  if (serverError === null || serverError.code !== 'unavailable') {
    for (const r of queue) {
      try {
        await deps.client.report(r);
      } catch (e) {
        const error = asRosterError(e);
        // A report the server rejects as such would be rejected forever: dropped, said once.
        if (error.code !== 'bad_input') {
          serverError ??= error;
          break;
        }
        deps.log.warn(`the server rejected a report of revision ${String(r.revision)}; dropped it: ${error.message}`);
      }
      sent++;
    }
  }
  const changelog = await keepChangelog(settings, deps, serverError === null, changelogHead);
  // Usage is measured over the whole state, after a whole-host apply.
  const usage = options.measureUsage === true && applied !== null && whole !== null ? await measureAndSend(settings, deps, whole, serverError === null) : null;
  if (usage?.error !== undefined) serverError ??= usage.error;
  let watch: AgentWatchResult | null = null;
  if (options.watch === true && deps.watch !== undefined) {
    // The watch never stops the agent: a damaged watch directory is said, and the cycle goes on to save its state.
    try {
      watch = await deps.watch.turn(serverError === null ? watchClient(deps) : null);
    } catch (e) {
      deps.log.warn(`watch: ${errorMessage(e)}`);
    }
  }

  const waiting = queue.slice(sent).slice(-MAX_PENDING_REPORTS);
  if (waiting.length < queue.length - sent) deps.log.warn(`dropped ${queue.length - sent - waiting.length} old report(s) the server could not take`);
  // An unchanged host costs one request and no write: the status is written only when it changed.
  if (appliedNow !== appliedBefore || waiting.length > 0 || pendingBefore.length > 0) file.saveStatus(appliedNow, waiting);
  return {
    result: { reached: serverError === null, serverError, changed, transfer, revision, applied, scope, widened, applyError, pendingReports: waiting.length, usage: usage?.result ?? null, changelog, watch },
  };
}

/**
 * Keeps `/root/changelog` in step (src/agent/host-changelog.ts): after the
 * reports, so the entry of an apply just reported is fetched in the same
 * turn. Its failures are logged and never stop the turn.
 */
async function keepChangelog(settings: AgentSettings, deps: AgentDeps, reachable: boolean, serverHead: number | undefined): Promise<ChangelogSyncResult | null> {
  const { changelog, addChangelog } = deps.client;
  if (settings.changelog === false || changelog === undefined || addChangelog === undefined) return null;
  const client: ChangelogSyncClient = { changelog: (afterId) => changelog.call(deps.client, afterId), addChangelog: (entry) => addChangelog.call(deps.client, entry) };
  try {
    const result = await syncHostChangelog({ root: settings.root, host: settings.host, client: reachable ? client : null, serverHead, log: deps.log });
    if (result.error !== null) deps.log.warn(`the changelog is not in step with the server yet: ${result.error.message}`);
    return result;
  } catch (e) {
    deps.log.warn(`the host's changelog file was not kept: ${errorMessage(e)}`);
    return null;
  }
}

/** The client's watch calls, when it has them. */
function watchClient(deps: AgentDeps): AgentWatchClient | null {
  const { watchSettings, watchReport } = deps.client;
  if (watchSettings === undefined || watchReport === undefined) return null;
  return { watchSettings: () => watchSettings.call(deps.client), watchReport: (r) => watchReport.call(deps.client, r) };
}

/** Runs the usage of the host's enabled targets on the desired state just applied and sends the figures when the server answers. */
async function measureAndSend(settings: AgentSettings, deps: AgentDeps, assignment: HostAssignment, reachable: boolean): Promise<{ readonly result: UsageResult; readonly error?: RosterError } | null> {
  const enabled = enabledTargets(deps.targets, settings.host, assignment.targets).filter((e) => e.target.usage !== undefined);
  if (enabled.length === 0) return null;
  const measuredAt = deps.clock.now().toISOString();
  const tctx: TargetContext = { root: settings.root, host: settings.host, clock: deps.clock, log: deps.log };
  const { measured, failed } = await measureHost(enabled, assignment.desired, tctx);
  for (const f of failed) deps.log.warn(`usage of the ${f.target} target not measured: ${f.error}`);
  const counts = { targets: measured.length, figures: measured.reduce((n, m) => n + m.items.length, 0), failed: failed.length };
  if (measured.length === 0 || !reachable) return { result: { ...counts, sent: false } };
  try {
    await deps.client.usage({ measuredAt, targets: measured });
    return { result: { ...counts, sent: true } };
  } catch (e) {
    const error = asRosterError(e);
    deps.log.warn(`the server did not take the usage figures: ${error.message}`);
    // A refusal of the figures themselves is not the server being down.
    return error.code === 'bad_input' ? { result: { ...counts, sent: false } } : { result: { ...counts, sent: false }, error };
  }
}
