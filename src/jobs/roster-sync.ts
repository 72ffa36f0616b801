import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { AppContext } from '../app/app-context.js';
import { audit, mutate } from '../app/mutate.js';
import { printable } from '../app/person-input.js';
import type { Account } from '../domain/account.js';
import { errorMessage, RosterError, type ErrorIssue } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import { usernameCandidates, type UsernamePolicy } from '../domain/usernames.js';
import { keysetPages } from '../store/keyset-pages.js';
import type { AccountReads, PeopleReads, Reservation, ReservationReads } from '../store/store.js';
import { applySyncPlan, type ApplyFailure } from './apply-sync-plan.js';
import { claimJobRun, finishJobRun } from './job-runs.js';
import { readRosterFile, type ReadProgress, type RosterRow } from './roster-file.js';
import { planSync, syncActor, type PersonPlan, type SourceState, type SyncNote, type SyncPlan } from './sync-plan.js';

export interface SyncProgress {
  /** Reading the file, by bytes. */
  readonly reading?: ReadProgress;
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
}

/** A plan as a report shows it (SyncReport without what only a run adds). */
export type SyncPlanView = Pick<SyncReport, 'source' | 'rows' | 'summary' | 'changes' | 'notes' | 'breaker'>;

export type SyncChange =
  | { readonly action: 'add-person'; readonly personId: string; readonly row: number; readonly name: string }
  | { readonly action: 'update-person'; readonly personId: string; readonly row: number; readonly fields: readonly string[] }
  | { readonly action: 'create'; readonly personId: string; readonly username: string; readonly type: string; readonly returning: boolean }
  | { readonly action: 'reactivate'; readonly personId: string; readonly username: string; readonly type: string }
  | { readonly action: 'retire'; readonly personId: string; readonly username: string; readonly type: string; readonly why: string; readonly deactivates: string | null; readonly deletes: string | null }
  | { readonly action: 'purge'; readonly personId: string; readonly username: string; readonly type: string; readonly why: string };

export interface SyncSummary {
  /** Accounts created (new people's and returning people's). */
  readonly created: number;
  /** People whose record changed (names, roles, classes, …). */
  readonly updated: number;
  /** Accounts retired with the grace periods (and purged at once when the deletion grace is 0). */
  readonly retired: number;
  readonly reactivated: number;
  /** People in the file with nothing to change. */
  readonly unchanged: number;
  /** People new to the store. */
  readonly added: number;
  /** Of `retired`, accounts purged at once. */
  readonly purged: number;
}

export interface SyncReport {
  readonly source: string;
  readonly file: string;
  readonly dryRun: boolean;
  readonly rows: number;
  readonly summary: SyncSummary;
  readonly changes: readonly SyncChange[];
  readonly notes: readonly SyncNote[];
  readonly breaker: SyncPlan['breaker'];
  /** Set after a real run. */
  readonly failures: readonly ApplyFailure[];
  readonly passwords: { readonly file: string; readonly count: number } | null;
  readonly jobRun: number | null;
}

/**
 * `roster sync FILE --source NAME` (seed 002, RATS): read and validate the
 * whole file, plan every change in memory, check the circuit breaker, and
 * only then apply. A dry run stops after printing the plan, so it shows
 * exactly what the real run does. An empty or truncated file cannot retire a
 * school: it either fails validation or trips the breaker.
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
    const file = await readRosterFile(options.file, options.source, source, ctx.hmacKey, options.progress?.reading);
    const state = await loadSourceState(ctx.store.read, options.source);
    await refuseForeignPeople(ctx.store.read, options.source, file.rows, state);
    const plan = planSync({ sourceName: options.source, source, config: ctx.config, rows: file.rows, state, now: ctx.clock.now() });
    // Before the first write and in a dry run alike (and before usernames are
    // chosen, which it does not need): a range that cannot hold the new
    // accounts would otherwise fill up half-way through.
    await refuseOverCapacity(ctx, options.source, plan);
    await assignUsernames(ctx.store.read, plan.people, ctx.config.usernames, file.rows);
    const head = { source: options.source, file: options.file, dryRun, rows: plan.rows, ...describePlan(plan), breaker: plan.breaker };
    if (!dryRun) options.expectPlan?.(head);

    const { affected, total, limit, policy } = plan.breaker;
    // Retiring every account of a source is never routine, however small the
    // source: an empty or cut-off file must not close a whole school.
    const everyone = total > 0 && affected === total;
    if ((affected > limit || everyone) && options.allowMassChange !== true) {
      const absent = plan.people.filter((p) => p.row === null).reduce((n, p) => n + p.retirements.length, 0);
      const why = everyone ? `every account of the source (the file has ${plan.rows} row${plan.rows === 1 ? '' : 's'})` : `over the limit of ${limit} (max(${policy.count}, ${policy.percent} % of ${total}))`;
      const message =
        `sync of ${options.source} would retire ${affected} of ${total} account${total === 1 ? '' : 's'} ` +
        `(${absent} of people absent from the file, ${affected - absent} no longer eligible): ${why}; nothing was changed. ` +
        'Check that the file is complete, then re-run with --allow-mass-change';
      if (!dryRun) {
        await mutate(ctx, {}, (tx) => audit(tx, ctx, { action: 'sync.refused', target: `source:${options.source}`, before: null, after: { file: options.file, rows: plan.rows, retire: affected, total, limit }, result: 'refused' }));
      }
      throw new RosterError('mass_change', message);
    }

    const needPasswords = plan.people.some((p) => p.creates.some((c) => ctx.config.types[c.type]?.initialPassword === 'generate'));
    if (dryRun) return { ...head, failures: [], passwords: needPasswords ? { file: options.passwordFile ?? '(--password-file)', count: countPasswords(ctx, plan) } : null, jobRun: null };
    if (needPasswords && passwordFile === undefined) {
      throw new RosterError('usage', `${countPasswords(ctx, plan)} new account(s) get a generated initial password: pass --password-file PATH (created with mode 0600)`, [{ where: '--password-file', message: 'required when a type generates initial passwords' }]);
    }
    if (plan.people.length === 0) return { ...head, failures: [], passwords: null, jobRun: null };

    const now = ctx.clock.now();
    const run = await claimJobRun(ctx, `sync:${options.source}`, now, { startedBy: base.actor });
    let result: Awaited<ReturnType<typeof applySyncPlan>>;
    try {
      result = await applySyncPlan(ctx, plan.people, {
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.progress?.applying === undefined ? {} : { onProgress: options.progress.applying }),
        ...(passwordFile === undefined ? {} : { onPasswords: (entries: ReadonlyArray<readonly [string, string]>) => passwordFile.append(entries) }),
      });
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

function countPasswords(ctx: AppContext, plan: SyncPlan): number {
  return plan.people.reduce((n, p) => n + p.creates.filter((c) => ctx.config.types[c.type]?.initialPassword === 'generate').length, 0);
}

export function describePlan(plan: SyncPlan): { readonly summary: SyncSummary; readonly changes: SyncChange[]; readonly notes: readonly SyncNote[] } {
  const changes: SyncChange[] = [];
  let created = 0;
  let updated = 0;
  let retired = 0;
  let reactivated = 0;
  let added = 0;
  let purged = 0;
  for (const p of plan.people) {
    if (p.personChange === 'add' && p.row !== null) {
      added++;
      changes.push({ action: 'add-person', personId: p.personId, row: p.row, name: `${p.after.firstName} ${p.after.lastName}` });
    } else if (p.personChange === 'update' && p.row !== null) {
      updated++;
      changes.push({ action: 'update-person', personId: p.personId, row: p.row, fields: p.fields });
    }
    for (const c of p.creates) {
      created++;
      changes.push({ action: 'create', personId: p.personId, username: c.username, type: c.type, returning: c.reserved });
    }
    for (const r of p.reactivations) {
      reactivated++;
      changes.push({ action: 'reactivate', personId: p.personId, username: r.before.username, type: r.before.type });
    }
    for (const r of p.retirements) {
      retired++;
      if (r.after === null) {
        purged++;
        changes.push({ action: 'purge', personId: p.personId, username: r.before.username, type: r.before.type, why: r.why });
      } else {
        changes.push({ action: 'retire', personId: p.personId, username: r.before.username, type: r.before.type, why: r.why, deactivates: r.after.expiresAt, deletes: r.after.purgeAt });
      }
    }
  }
  return { summary: { created, updated, retired, reactivated, unchanged: plan.unchanged, added, purged }, changes, notes: plan.notes };
}

const PAGE = 5_000;

/** The source's people, their accounts (tombstones too) and reservations, read once. */
export async function loadSourceState(q: PeopleReads & AccountReads & ReservationReads, source: string): Promise<SourceState> {
  const people = new Map<string, Person>();
  const peoplePages = keysetPages({ limit: PAGE, page: (afterId: string | undefined, limit) => q.listPeople({ source, limit, ...(afterId === undefined ? {} : { afterId }) }), keyOf: (p) => p.id });
  for await (const page of peoplePages) for (const p of page) people.set(p.id, p);
  const accounts = new Map<string, Account[]>();
  for await (const page of keysetPages({ limit: PAGE, page: (afterId: number | undefined, limit) => q.listAccounts({ source, includePurged: true, afterId: afterId ?? 0, limit }), keyOf: (a) => a.id })) {
    for (const a of page) {
      const list = accounts.get(a.personId);
      if (list === undefined) accounts.set(a.personId, [a]);
      else list.push(a);
    }
  }
  const reservations = new Map<string, Reservation[]>();
  for (const r of await q.listReservations()) {
    if (!people.has(r.personId)) continue;
    const list = reservations.get(r.personId);
    if (list === undefined) reservations.set(r.personId, [r]);
    else list.push(r);
  }
  return { people, accounts, reservations };
}

function count(n: number, what: string): string {
  return `${n.toLocaleString('en')} ${what}${n === 1 ? '' : 's'}`;
}

/** The first `n` numbers from `from` up to `max` that are not in `used` (ascending), as allocation hands them out. */
function firstFree(from: number, max: number, used: readonly number[], n: number): number[] {
  const out: number[] = [];
  let k = 0;
  for (let x = from; x <= max && out.length < n; x++) {
    while (k < used.length && (used[k] ?? Infinity) < x) k++;
    if (used[k] !== x) out.push(x);
  }
  return out;
}

/**
 * Refuses, before anything is written, a plan whose new accounts and groups
 * do not fit the configured ranges, with the numbers. Allocation hands UIDs
 * out in plan order from the first free one, so the UID of every new
 * account is known here. GIDs are taken from the gids range by groups the
 * accounts need that do not exist yet, and by a user-private group whose
 * GID = UID is a group's (an existing group's, or at worst one of the new
 * groups'); the new accounts' own private GIDs take numbers of that range
 * too when the ranges overlap. Two queries, whatever the size of the file.
 */
async function refuseOverCapacity(ctx: AppContext, source: string, plan: SyncPlan): Promise<void> {
  const creates = plan.people.flatMap((p) => p.creates);
  if (creates.length === 0) return;
  const q = ctx.store.read;
  const { uids, gids } = ctx.config;
  const range = (r: { readonly min: number; readonly max: number }): string => `${r.min}–${r.max}`;

  // A returning person's reserved name brings its UID; every other create takes a new one.
  const fresh = creates.filter((c) => !c.reserved);
  const uidUse = await q.idsInUse('uid', uids);
  const freeUids = Math.max(0, uids.max - uidUse.from + 1) - uidUse.used.length;
  if (fresh.length > freeUids) {
    const message = `sync of ${source} needs ${count(fresh.length, 'new UID')}, the range ${range(uids)} has ${freeUids.toLocaleString('en')} free; nothing was changed. Widen uids in roster.yaml`;
    throw new RosterError('bad_config', message, [{ where: 'uids', message: `needs ${count(fresh.length, 'free UID')}, has ${freeUids.toLocaleString('en')}` }]);
  }

  const groups = await q.listGroups();
  const groupGids = new Set(groups.map((g) => g.gid));
  const existing = new Set(groups.map((g) => g.name));
  const newGroups = new Set<string>();
  for (const c of creates) {
    const type = ctx.config.types[c.type];
    if (type === undefined) continue;
    for (const g of type.primaryGroup === '{username}' ? type.groups : [type.primaryGroup, ...type.groups]) if (!existing.has(g)) newGroups.add(g);
  }
  let allocated = 0;
  for (const name of newGroups) {
    const declared = ctx.config.groups.find((g) => g.name === name);
    if (declared === undefined) {
      throw new RosterError('bad_input', `sync of ${source} needs group ${printable(name)}, which does not exist; add it with \`roster group add\` or declare it under groups: in roster.yaml; nothing was changed`, [{ where: 'group', message: `unknown group ${printable(name)}` }]);
    }
    if (declared.gid === undefined) allocated++;
  }

  // The UIDs in plan order; those of accounts with a user-private group are their GIDs too.
  const newUids = firstFree(uidUse.from, uids.max, uidUse.used, fresh.length);
  const privateGids: number[] = [];
  let collisions = 0;
  let next = 0;
  for (const c of creates) {
    const uid = c.reserved ? undefined : newUids[next++];
    if (ctx.config.types[c.type]?.primaryGroup !== '{username}') continue;
    if (uid === undefined) {
      // A returning account's reserved UID: its group moves only if a group holds that GID now.
      if (c.revive !== undefined && groupGids.has(c.revive.uid)) collisions++;
      continue;
    }
    if (groupGids.has(uid)) collisions++;
    else privateGids.push(uid);
  }
  if (allocated + collisions === 0) return;
  const gidUse = await q.idsInUse('gid', gids);
  const usedGids = new Set(gidUse.used);
  const takenByPrivate = privateGids.filter((g) => g >= gidUse.from && g <= gids.max && !usedGids.has(g)).length;
  // A new group's GID, taken from that same stretch, may be a new account's UID, whose group then needs another.
  const needed = allocated + collisions + Math.min(allocated, takenByPrivate);
  const freeGids = Math.max(0, gids.max - gidUse.from + 1) - gidUse.used.length - takenByPrivate;
  if (needed > freeGids) {
    const also = takenByPrivate > 0 ? ` once the new accounts' own groups take ${count(takenByPrivate, 'GID')} of it` : '';
    const message =
      `sync of ${source} needs up to ${count(needed, 'new GID')} (${allocated.toLocaleString('en')} for new groups, ${(needed - allocated).toLocaleString('en')} for user-private groups whose GID = UID a group holds), ` +
      `the range ${range(gids)} has ${freeGids.toLocaleString('en')} free${also}; nothing was changed. Widen gids in roster.yaml`;
    throw new RosterError('bad_config', message, [{ where: 'gids', message: `needs up to ${count(needed, 'free GID')}, has ${freeGids.toLocaleString('en')}` }]);
  }
}

/** Another source's (or a hand-made) person with the same id is never taken over. */
async function refuseForeignPeople(q: PeopleReads, source: string, rows: readonly RosterRow[], state: SourceState): Promise<void> {
  const unknown = rows.filter((r) => !state.people.has(r.id));
  if (unknown.length === 0) return;
  const foreign = new Map((await q.getPeople(unknown.map((r) => r.id))).map((p) => [p.id, p.source]));
  const issues: ErrorIssue[] = [];
  for (const r of unknown) {
    const owner = foreign.get(r.id);
    if (owner !== undefined) issues.push({ where: `row ${r.row}, column id`, message: `person ${printable(r.id)} belongs to source ${owner}, not ${source}; a sync never takes over another source's people` });
  }
  if (issues.length > 0) throw new RosterError('bad_input', `${issues.length} row${issues.length === 1 ? '' : 's'} name people of another source; nothing was changed`, issues);
}

/**
 * RATS step 6 for many people at once: each new account takes the first of
 * its person's candidates that is free in the store and not chosen by an
 * earlier row of this run. Candidates are checked a few thousand per round
 * trip instead of one query each.
 */
export async function assignUsernames(q: ReservationReads, plans: readonly PersonPlan[], policy: UsernamePolicy, rows: readonly RosterRow[]): Promise<void> {
  const chosen = new Set<string>();
  for (const p of plans) for (const c of p.creates) if (c.username !== '') chosen.add(c.username.toLowerCase());
  interface Pending { readonly p: PersonPlan; readonly c: PersonPlan['creates'][number]; readonly candidates: Iterator<string>; next: string | undefined }
  let pending: Pending[] = plans.flatMap((p) =>
    p.creates.filter((c) => c.username === '').map((c) => ({ p, c, candidates: usernameCandidates(p.after.firstName, p.after.lastName, policy), next: undefined })),
  );
  const issues: ErrorIssue[] = [];
  const rowOf = new Map(rows.map((r) => [r.id, r.row]));
  while (pending.length > 0) {
    for (const item of pending) {
      let n = item.candidates.next();
      while (n.done !== true && chosen.has(n.value.toLowerCase())) n = item.candidates.next();
      item.next = n.done === true ? undefined : n.value;
    }
    const exhausted = pending.filter((i) => i.next === undefined);
    for (const i of exhausted) issues.push({ where: `row ${rowOf.get(i.p.personId) ?? '?'}`, message: `no free username can be derived from the names of ${printable(i.p.personId)}` });
    pending = pending.filter((i) => i.next !== undefined);
    const taken = await q.takenNames(pending.map((i) => i.next ?? ''));
    const rest: Pending[] = [];
    for (const item of pending) {
      const name = item.next ?? '';
      const lower = name.toLowerCase();
      if (taken.has(lower) || chosen.has(lower)) {
        rest.push(item);
        continue;
      }
      chosen.add(lower);
      item.c.username = name;
    }
    pending = rest;
  }
  if (issues.length > 0) throw new RosterError('bad_input', 'some people get no username; nothing was changed', issues);
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
