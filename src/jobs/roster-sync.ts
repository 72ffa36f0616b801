import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { AppContext } from '../app/app-context.js';
import { audit, mutate } from '../app/mutate.js';
import { printable } from '../app/person-input.js';
import { breakerLimit, type BreakerPolicy } from '../domain/circuit-breaker.js';
import { errorMessage, RosterError, type ErrorIssue } from '../domain/errors.js';
import { applySyncPlan, type ApplyFailure, type ApplyResult } from './apply-sync-plan.js';
import { claimJobRun, finishJobRun } from './job-runs.js';
import { validateRosterFile, type ReadProgress } from './roster-file.js';
import { capacityCheck, type CapacityCheck } from './sync-capacity.js';
import { syncParts, type PartsInput } from './sync-parts.js';
import { syncActor, type SyncNote } from './sync-plan.js';
import { partDigest, PlanTally, type SyncChange, type SyncSummary } from './sync-tally.js';
import { assignUsernames, chosenUsernames, reuseUsernames } from './sync-usernames.js';

export interface SyncProgress {
  /** Reading the file, by bytes. */
  readonly reading?: ReadProgress;
  /** Planning, by rows: the file is read a second time, with the store. */
  readonly planning?: (rows: number, total: number) => void;
  /** Applying, by people. */
  readonly applying?: (done: number, total: number) => void;
}

export interface SyncOptions {
  readonly file: string;
  readonly source: string;
  readonly dryRun?: boolean;
  readonly allowMassChange?: boolean;
  /** Where generated initial passwords go; created with mode 0600, never overwritten. */
  readonly passwordFile?: string | undefined;
  readonly batchSize?: number;
  readonly progress?: SyncProgress;
  /**
   * Called with a real run's plan before the circuit breaker and the first
   * write; it throws to stop the run (changing nothing) when the plan is not
   * the one a person confirmed. The run then applies the very plan checked,
   * not a second one made after the check.
   */
  readonly expectPlan?: (plan: SyncPlanView) => void;
  /**
   * How many changes (and notes) the report lists, the first in plan order;
   * the summary counts every one. Default: all of them, which a caller that
   * shows a few leaves out so the report of a big file stays small.
   */
  readonly listed?: number;
}

/** A plan as a report shows it (SyncReport without what only a run adds). */
export type SyncPlanView = Pick<SyncReport, 'source' | 'rows' | 'summary' | 'changes' | 'notes' | 'breaker'>;

export type { SyncChange, SyncSummary };

export interface SyncBreaker {
  /** Accounts the plan retires. */
  readonly affected: number;
  /** Live accounts of the types the source manages, of all its people. */
  readonly total: number;
  readonly limit: number;
  readonly policy: BreakerPolicy;
}

export interface SyncReport {
  readonly source: string;
  readonly file: string;
  readonly dryRun: boolean;
  readonly rows: number;
  readonly summary: SyncSummary;
  readonly changes: readonly SyncChange[];
  readonly notes: readonly SyncNote[];
  readonly breaker: SyncBreaker;
  /** Changes and notes planned but not in `changes` and `notes` (SyncOptions.listed): the summary counts them all. */
  readonly unlisted: { readonly changes: number; readonly notes: number };
  /** Set after a real run. */
  readonly failures: readonly ApplyFailure[];
  readonly passwords: { readonly file: string; readonly count: number } | null;
  readonly jobRun: number | null;
}

/**
 * `roster sync FILE --source NAME` (seed 002, RATS): validate the whole
 * file, plan every change, check the circuit breaker and the ID ranges, and
 * only then apply. A dry run stops after the plan, so it shows exactly what
 * the real run does. An empty or truncated file cannot retire a school: it
 * either fails validation or trips the breaker.
 *
 * Memory stays flat in the size of the file (a million rows in under a
 * gigabyte): the validating pass keeps only the ids; the plan is made a
 * chunk of rows at a time, with the store read by key for each chunk, and
 * only its figures are kept (counts, the listed changes, the new usernames,
 * a digest per chunk); the run plans each chunk again as it applies it and
 * applies it only if it is the chunk planned (else its people are failures,
 * changed by someone else meanwhile, and a later run does them).
 */
export async function syncRoster(base: AppContext, options: SyncOptions): Promise<SyncReport> {
  const source = base.config.sources[options.source];
  if (source === undefined) {
    const known = Object.keys(base.config.sources);
    throw new RosterError('not_found', `no roster source "${printable(options.source)}" in roster.yaml (${known.length === 0 ? 'none declared under sources' : `known: ${known.join(', ')}`})`);
  }
  const ctx: AppContext = { ...base, actor: syncActor(options.source) };
  const dryRun = options.dryRun === true;
  // Refuse before reading: a password file is never overwritten.
  const passwordFile = options.passwordFile === undefined || dryRun ? undefined : await createPasswordFile(options.passwordFile);
  try {
    const index = await validateRosterFile(options.file, options.source, source, ctx.hmacKey, options.progress?.reading);
    const input: PartsInput = { sourceName: options.source, source, config: ctx.config, now: ctx.clock.now(), file: options.file, hmacKey: ctx.hmacKey, index };
    const plan = await planFigures(ctx, input, options.listed ?? Infinity, options.progress?.planning);
    if (plan.foreign.length > 0) {
      throw new RosterError('bad_input', `${plan.foreign.length} row${plan.foreign.length === 1 ? '' : 's'} name people of another source; nothing was changed`, plan.foreign);
    }
    // Before the first write and in a dry run alike: a range that cannot
    // hold the new accounts would otherwise fill up half-way through.
    await plan.capacity.check();
    if (plan.usernameIssues.length > 0) throw new RosterError('bad_input', 'some people get no username; nothing was changed', plan.usernameIssues);
    const policy = source.breaker ?? ctx.config.breaker;
    const breaker: SyncBreaker = { affected: plan.tally.retired, total: plan.managed, limit: breakerLimit(plan.managed, policy), policy };
    const head = { source: options.source, file: options.file, dryRun, rows: index.rows, summary: plan.tally.summary(), changes: plan.tally.changes, notes: plan.tally.notes, breaker, unlisted: { changes: plan.tally.unlistedChanges, notes: plan.tally.unlistedNotes } };
    if (!dryRun) options.expectPlan?.(head);

    const { affected, total, limit } = breaker;
    // Retiring every account of a source is never routine, however small the
    // source: an empty or cut-off file must not close a whole school.
    const everyone = total > 0 && affected === total;
    if ((affected > limit || everyone) && options.allowMassChange !== true) {
      const why = everyone ? `every account of the source (the file has ${index.rows} row${index.rows === 1 ? '' : 's'})` : `over the limit of ${limit} (max(${policy.count}, ${policy.percent} % of ${total}))`;
      const message =
        `sync of ${options.source} would retire ${affected} of ${total} account${total === 1 ? '' : 's'} ` +
        `(${plan.absentRetired} of people absent from the file, ${affected - plan.absentRetired} no longer eligible): ${why}; nothing was changed. ` +
        'Check that the file is complete, then re-run with --allow-mass-change';
      if (!dryRun) {
        await mutate(ctx, {}, (tx) => audit(tx, ctx, { action: 'sync.refused', target: `source:${options.source}`, before: null, after: { file: options.file, rows: index.rows, retire: affected, total, limit }, result: 'refused' }));
      }
      throw new RosterError('mass_change', message);
    }

    if (dryRun) return { ...head, failures: [], passwords: plan.passwords > 0 ? { file: options.passwordFile ?? '(--password-file)', count: plan.passwords } : null, jobRun: null };
    if (plan.passwords > 0 && passwordFile === undefined) {
      throw new RosterError('usage', `${plan.passwords} new account(s) get a generated initial password: pass --password-file PATH (created with mode 0600)`, [{ where: '--password-file', message: 'required when a type generates initial passwords' }]);
    }
    if (plan.people === 0) return { ...head, failures: [], passwords: null, jobRun: null };

    const run = await claimJobRun(ctx, `sync:${options.source}`, ctx.clock.now(), { startedBy: base.actor });
    let result: ApplyResult;
    try {
      result = await applyParts(ctx, input, plan, options, passwordFile);
    } catch (e) {
      await finishJobRun(ctx, run, { result: 'failed', counts: countsOf(head.summary), message: errorMessage(e) });
      throw e;
    }
    await finishJobRun(ctx, run, {
      result: result.failures.length === 0 ? 'ok' : 'partial',
      counts: { ...countsOf(head.summary), failed: result.failures.length },
      message: result.failures.length === 0 ? null : `${result.failures.length} people could not be changed`,
    });
    return { ...head, failures: result.failures, passwords: passwordFile === undefined || result.passwords === 0 ? null : { file: passwordFile.path, count: result.passwords }, jobRun: run.id };
  } finally {
    await passwordFile?.close();
  }
}

function countsOf(summary: SyncSummary): Record<string, number> {
  return { ...summary };
}

/** What the planning pass keeps of the whole plan: figures, never the plan itself. */
interface PlanFigures {
  readonly tally: PlanTally;
  /** People with something to do. */
  readonly people: number;
  /** Live accounts of managed types of all the source's people (the breaker's total). */
  readonly managed: number;
  /** Retirements of people absent from the file. */
  readonly absentRetired: number;
  /** New accounts whose type generates an initial password. */
  readonly passwords: number;
  readonly foreign: readonly ErrorIssue[];
  readonly usernameIssues: readonly ErrorIssue[];
  readonly capacity: CapacityCheck;
  /** Each part with rows or people, in order: its digest and its new accounts' usernames. */
  readonly parts: ReadonlyArray<{ readonly digest: string; readonly usernames: readonly string[] }>;
}

/**
 * The planning pass: every part planned (usernames chosen as a run would),
 * nothing written. Once the file or the store shows a refusal is coming
 * (another source's person, a UID range too small) no more usernames are
 * chosen: the run stops before they matter.
 */
async function planFigures(ctx: AppContext, input: PartsInput, listed: number, progress?: (rows: number, total: number) => void): Promise<PlanFigures> {
  const tally = new PlanTally(listed);
  const capacity = await capacityCheck(ctx, input.sourceName);
  const chosen = new Set<string>();
  const foreign: ErrorIssue[] = [];
  const usernameIssues: ErrorIssue[] = [];
  const parts: Array<{ readonly digest: string; readonly usernames: readonly string[] }> = [];
  let people = 0;
  let managed = 0;
  let absentRetired = 0;
  let passwords = 0;
  let rows = 0;
  for await (const part of syncParts(ctx, input)) {
    const plans = part.plan.people;
    rows += part.rows.length;
    progress?.(rows, input.index.rows);
    managed += part.plan.managed;
    for (const i of part.foreign) foreign.push(i);
    const creates = plans.flatMap((p) => p.creates);
    capacity.add(creates);
    if (foreign.length === 0 && !capacity.exceeded()) {
      for (const i of await assignUsernames(ctx.store.read, plans, ctx.config.usernames, chosen)) usernameIssues.push(i);
    }
    if (part.rows.length === 0 && plans.length === 0) continue;
    tally.add(part.plan);
    people += plans.length;
    for (const p of plans) if (p.row === null) absentRetired += p.retirements.length;
    passwords += creates.filter((c) => ctx.config.types[c.type]?.initialPassword === 'generate').length;
    parts.push({ digest: partDigest(part.rows, part.plan), usernames: chosenUsernames(plans) });
  }
  return { tally, people, managed, absentRetired, passwords, foreign, usernameIssues, capacity, parts };
}

/**
 * The applying pass: each part planned again from the store as the run has
 * left it and applied when it is the part planned (same rows, same changes,
 * with the usernames chosen then); a part that is not is reported as its
 * people's failures and left alone.
 */
async function applyParts(ctx: AppContext, input: PartsInput, plan: PlanFigures, options: SyncOptions, passwordFile: PasswordFile | undefined): Promise<ApplyResult> {
  const failures: ApplyFailure[] = [];
  let applied = 0;
  let passwords = 0;
  let done = 0;
  let k = 0;
  const progress = options.progress?.applying;
  for await (const part of syncParts(ctx, input)) {
    const plans = part.plan.people;
    if (part.rows.length === 0 && plans.length === 0) continue;
    const planned = plan.parts[k++];
    const same = planned !== undefined && part.foreign.length === 0 && reuseUsernames(plans, planned.usernames) && partDigest(part.rows, part.plan) === planned.digest;
    if (!same) {
      for (const p of plans) failures.push({ personId: p.personId, row: p.row, code: 'conflict', error: 'changed (in the file or the store) since the sync was planned; nothing of it was changed: run the sync again' });
      done += plans.length;
      continue;
    }
    if (plans.length === 0) continue;
    const base = done;
    const result = await applySyncPlan(ctx, plans, {
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(progress === undefined ? {} : { onProgress: (n: number) => progress(base + n, plan.people) }),
      ...(passwordFile === undefined ? {} : { onPasswords: (entries: ReadonlyArray<readonly [string, string]>) => passwordFile.append(entries) }),
    });
    applied += result.applied;
    passwords += result.passwords;
    for (const f of result.failures) failures.push(f);
    done += plans.length;
  }
  return { applied, failures, passwords };
}

interface PasswordFile {
  readonly path: string;
  append(entries: ReadonlyArray<readonly [string, string]>): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file for generated initial passwords, one `username:password` line
 * each (chpasswd's format). Created exclusively with mode 0600 so it is
 * never world-readable even for an instant and never replaces an old one;
 * passwords never go to the log, the audit or stdout.
 */
async function createPasswordFile(path: string): Promise<PasswordFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') throw new RosterError('conflict', `${path} already exists; a password file is never overwritten (move it away or pick another path)`, [{ where: '--password-file', message: 'already exists' }]);
    throw new RosterError('bad_input', `cannot create ${path}: ${err.message}`, [{ where: '--password-file', message: err.code ?? 'cannot create' }]);
  }
  // The umask cannot widen 0600, but an ACL default could: say it once more.
  await handle.chmod(0o600);
  let closed = false;
  let written = 0;
  return {
    path,
    async append(entries) {
      await handle.appendFile(entries.map(([user, password]) => `${user}:${password}\n`).join(''));
      await handle.sync();
      written += entries.length;
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
      // Nothing generated: leave no empty file behind.
      if (written === 0) await unlink(path).catch(() => undefined);
    },
  };
}
