import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../domain/canonical-json.js';
import { RosterError } from '../domain/errors.js';
import { syncRoster, type SyncChange, type SyncPlanView, type SyncReport } from '../jobs/roster-sync.js';
import type { MassChange } from '../store/queries/mass-change-queries.js';
import type { AppContext } from './app-context.js';
import { claimApproval, recordMassChangeResult, requestMassChange } from './mass-changes.js';
import { printable } from './person-input.js';

/**
 * A roster file uploaded through a page (issue 16 item 5): planned as a
 * dry run first, then run only if the plan is still the one shown. The
 * same rules as `roster sync` and POST /api/v1/sync/{source}: the whole file
 * is validated before anything changes, and a run over the circuit breaker
 * becomes a mass change a second admin approves, bound to the file's
 * SHA-256, so an approval is for this very file (one approved through the
 * API works here and the other way round).
 */

/** A file uploaded for a source: the bytes as sent (not decoded: a bad byte is reported at its row). */
export interface SyncUploadFile {
  readonly source: string;
  readonly content: Uint8Array;
}

/** SHA-256 of the file, hex: what a mass change of its sync is bound to. */
export function uploadDigest(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The mass-change action and parameters of a file's sync, as the REST endpoint records them. */
function massChangeRun(file: SyncUploadFile): { readonly action: string; readonly params: Record<string, unknown> } {
  return { action: `sync:${file.source}`, params: { source: file.source, sha256: uploadDigest(file.content) } };
}

/**
 * What a plan is, for telling whether a run would do what was shown: the
 * counts, every change and note, and the breaker's figures. Times are left
 * out (a retirement's dates count from now and move with the clock), and so
 * is the file name (a temporary path each time).
 */
export function planDigest(report: SyncPlanView): string {
  const change = (c: SyncChange): unknown => (c.action === 'retire' ? { ...c, deactivates: null, deletes: null } : c);
  const { affected, total, limit } = report.breaker;
  return createHash('sha256')
    .update(canonicalJson({ source: report.source, rows: report.rows, summary: report.summary, changes: report.changes.map(change), notes: report.notes, breaker: { affected, total, limit } }))
    .digest('hex');
}

/**
 * Runs `syncRoster` on the upload through a private temporary file (mode
 * 0600 in a directory of its own), removed as soon as the call returns:
 * the file holds people's data and is kept on disk no longer than that.
 */
async function withUploadFile<T>(file: SyncUploadFile, use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-upload-'));
  try {
    const path = join(dir, 'upload.csv');
    await writeFile(path, file.content, { mode: 0o600 });
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The report with the temporary path replaced, so it is never shown or stored. */
function uploaded(report: SyncReport): SyncReport {
  return { ...report, file: '(upload)' };
}

/**
 * The dry run of an upload: every change a run would make, the breaker's
 * figures (never refused here: the plan must show what is over it), or the
 * RosterError of a file that does not validate (its issues name the rows).
 */
export async function planSyncUpload(ctx: AppContext, file: SyncUploadFile): Promise<SyncReport> {
  if (ctx.config.sources[file.source] === undefined) {
    throw new RosterError('bad_input', `no roster source "${printable(file.source)}" in roster.yaml`, [{ where: 'source', message: 'unknown source' }]);
  }
  return withUploadFile(file, async (path) => uploaded(await syncRoster(ctx, { file: path, source: file.source, dryRun: true, allowMassChange: true })));
}

/** The waiting or approved (not yet used, not expired) mass change of this file's sync, newest first; undefined when there is none. */
export async function pendingSyncApproval(ctx: AppContext, file: SyncUploadFile): Promise<MassChange | undefined> {
  const run = massChangeRun(file);
  const now = ctx.clock.now().toISOString();
  const changes = await ctx.store.read.listMassChanges({ limit: 200 });
  return changes.find((c) => c.action === run.action && JSON.stringify(c.params) === JSON.stringify(run.params) && c.result === null && c.expiresAt > now);
}

export type SyncUploadRun =
  /** The sync ran; its report (failures per person included). */
  | { readonly kind: 'done'; readonly report: SyncReport }
  /** The plan is no longer the one shown: nothing was changed; here is the new one. */
  | { readonly kind: 'plan-changed'; readonly report: SyncReport }
  /** Over the circuit breaker: nothing was changed; this mass change waits for a second admin. */
  | { readonly kind: 'waiting'; readonly change: MassChange; readonly report: SyncReport };

export interface RunSyncUploadOptions {
  /** planDigest of the plan the person saw and confirmed. */
  readonly planned: string;
  /** An approved mass change of this file's sync, to run over the breaker. */
  readonly approval?: string | undefined;
}

/**
 * Runs an upload whose plan was shown: plans it again and refuses (changing
 * nothing) unless it is the plan confirmed, since the store or the roster
 * may have moved on meanwhile. Over the circuit breaker the run is refused
 * and recorded as a mass change for a second admin (as the API does); with
 * that approval it runs once, if it affects no more accounts than approved.
 */
export async function runSyncUpload(ctx: AppContext, file: SyncUploadFile, options: RunSyncUploadOptions): Promise<SyncUploadRun> {
  return withUploadFile(file, async (path) => {
    // The run checks its own plan before its first write (expectPlan), so
    // what it applies is what was confirmed, not a plan made just before.
    const sync = {
      file: path,
      source: file.source,
      expectPlan: (plan: SyncPlanView) => {
        if (planDigest(plan) !== options.planned) throw new PlanChanged();
      },
    };
    const dryRun = async (): Promise<SyncReport> => uploaded(await syncRoster(ctx, { file: path, source: file.source, dryRun: true, allowMassChange: true }));
    const run = massChangeRun(file);
    try {
      if (options.approval !== undefined) {
        // The approval is claimed (once, under the write lock) for no more accounts than the plan confirmed affects.
        const plan = await dryRun();
        if (planDigest(plan) !== options.planned) return { kind: 'plan-changed', report: plan };
        await claimApproval(ctx, options.approval, { ...run, affected: plan.breaker.affected });
        const report = uploaded(await syncRoster(ctx, { ...sync, allowMassChange: true }));
        await recordMassChangeResult(ctx, options.approval, report.summary);
        return { kind: 'done', report };
      }
      return { kind: 'done', report: uploaded(await syncRoster(ctx, sync)) };
    } catch (e) {
      if (e instanceof PlanChanged) return { kind: 'plan-changed', report: await dryRun() };
      if (!(e instanceof RosterError) || e.code !== 'mass_change') throw e;
      // Refused by the breaker after the plan was checked: the confirmed plan is the one to approve.
      const plan = await dryRun();
      if (planDigest(plan) !== options.planned) return { kind: 'plan-changed', report: plan };
      const { affected, total, limit } = plan.breaker;
      const change = await requestMassChange(ctx, { ...run, summary: { affected, total, limit }, tokenId: null });
      return { kind: 'waiting', change, report: plan };
    }
  });
}

/** Thrown by a run's plan check: the plan is not the one confirmed, and nothing was changed. */
class PlanChanged extends RosterError {
  constructor() {
    super('conflict', 'the plan changed since it was shown; nothing was changed');
  }
}
