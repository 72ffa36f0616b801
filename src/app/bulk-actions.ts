import { createHash } from 'node:crypto';
import { accountState, effectiveHolds, type Account, type AccountState } from '../domain/account.js';
import { breakerLimit } from '../domain/circuit-breaker.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { FREEZE_REASON } from '../domain/lifecycle.js';
import { changeAccount } from '../reconcile/change-account.js';
import { pendingChanges, planHost } from '../reconcile/host-plan.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import type { MassChange } from '../store/queries/mass-change-queries.js';
import type { AnyTarget } from '../targets/registry.js';
import type { Queries } from '../store/store.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { requireLiveAccount } from './accounts.js';
import { freezeAccount, retireAccount, unfreezeAccount, type LifecycleResult } from './lifecycle-actions.js';
import { claimApproval, recordMassChangeResult, requestMassChange, requireMassChange } from './mass-changes.js';
import { audit, mutate } from './mutate.js';
import { memberAddress, wallTime } from './notices.js';
import { printable } from './person-input.js';

/**
 * Bulk actions (issue 16 item 4): one lifecycle action or a notice over a
 * list of accounts, chosen in the console from a search. The plan runs every
 * item in one dry-run transaction, so it shows what the run would do; the run
 * applies each item as its own use case and reports each one. A retirement of
 * more accounts than the circuit breaker allows (DESIGN.md §3) becomes a mass
 * change that a second admin approves before it runs.
 */

export type BulkAction =
  | { readonly kind: 'freeze'; readonly reason: string; readonly note?: string }
  | { readonly kind: 'unfreeze'; readonly reason: string }
  | { readonly kind: 'retire'; readonly deactivateAfter?: number; readonly deleteAfter?: number }
  | { readonly kind: 'notice'; readonly subject: string; readonly body: string };

export type BulkActionKind = BulkAction['kind'];

export const BULK_ACTION_KINDS: readonly BulkActionKind[] = ['freeze', 'unfreeze', 'retire', 'notice'];

/** How many accounts one bulk action may name: a whole school, not an unbounded request. */
export const MAX_BULK_ITEMS = 20_000;

/** What a host sees of an item: its account turns disabled or enabled, gets an expiry date, or is removed. */
export type HostEffect = 'disable' | 'enable' | 'expire' | 'remove';

export type ItemOutcome = 'changed' | 'unchanged' | 'error';

const OUTCOMES: readonly ItemOutcome[] = ['changed', 'unchanged', 'error'];

export interface BulkPlanItem {
  readonly username: string;
  readonly type: string;
  /** `changed`: the item would change something; `unchanged`: nothing to do (already frozen); `error`: it would fail. */
  readonly outcome: ItemOutcome;
  readonly stateBefore: AccountState;
  readonly stateAfter: AccountState;
  readonly effect: HostEffect | null;
  /** The hosts the account lives on (its type's `hosts.live`). */
  readonly hosts: readonly string[];
  /** One line for people: what changes, or why nothing does. */
  readonly detail: string;
}

/** Accounts per host, target and kind of change, as the plan page tables them. */
export interface HostTargetCount {
  readonly host: string;
  /** Null for a host that runs no target: the account lives there, nothing on it changes. */
  readonly target: string | null;
  readonly effect: HostEffect;
  readonly accounts: number;
}

/** What apply would do on a host the server applies (`appliedBy: server`), per target, for the changed accounts. */
export interface ServerHostPlan {
  readonly host: string;
  /** Per target: how many changes apply would make for the selected accounts, and for how many of them; targets with none are left out. */
  readonly targets: ReadonlyArray<{ readonly target: string; readonly changes: number; /** Accounts its changes name (0 for a target that writes one file for all of them). */ readonly accounts: number; readonly actions: readonly string[] }>;
  /** The whole host had to be planned (a purge, an account leaving it): why; only the selected accounts' changes are counted. */
  readonly widened?: string;
  /** The host could not be planned (a target unavailable, a bad root): why. */
  readonly error?: string;
}

/** Where the plan looks at the hosts the server applies: the targets and the root prefix they live under. */
export interface HostPlanning {
  readonly targets: readonly AnyTarget[];
  /** ServerDeps.applyRoot; `/` is the live system. */
  readonly applyRoot: string;
}

export interface BreakerSummary {
  /** Whether the circuit breaker judges this action (retirements do; freezes, lifts and notices do not). */
  readonly applies: boolean;
  readonly affected: number;
  readonly total: number;
  readonly limit: number;
  readonly over: boolean;
}

export interface BulkPlan {
  readonly action: BulkAction;
  /** The accounts the run would act on, in order. */
  readonly usernames: readonly string[];
  readonly items: readonly BulkPlanItem[];
  /** Names that are no live account, each with why: the run leaves them out. */
  readonly rejected: ReadonlyArray<{ readonly username: string; readonly why: string }>;
  readonly counts: Readonly<Record<ItemOutcome, number>>;
  readonly hosts: readonly HostTargetCount[];
  /** With HostPlanning: the plan of each host the server applies, as `roster plan --host H --account U…` after the change. */
  readonly serverHosts: readonly ServerHostPlan[];
  readonly breaker: BreakerSummary;
}

export interface BulkItemResult {
  readonly username: string;
  readonly outcome: ItemOutcome;
  readonly detail: string;
}

export interface BulkResults {
  readonly action: BulkAction;
  readonly items: readonly BulkItemResult[];
  readonly counts: Readonly<Record<ItemOutcome, number>>;
}

export type BulkRun = { readonly status: 'done'; readonly results: BulkResults } | { readonly status: 'waiting'; readonly change: MassChange; readonly plan: BulkPlan };

function badInput(field: string, message: string): RosterError {
  return new RosterError('bad_input', `${field}: ${message}`, [{ where: field, message }]);
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

function days(fields: Readonly<Record<string, string | undefined>>, field: string): number | undefined {
  const raw = fields[field]?.trim() ?? '';
  if (raw === '') return undefined;
  if (!/^\d{1,5}$/.test(raw)) throw badInput(field, 'must be a whole number of days from 0 to 99999, or empty for the type\'s grace period');
  return Number(raw);
}

/**
 * The action of a bulk form (or of a stored mass change): `action` and its
 * own fields, checked before anything runs, each error naming its field.
 */
export function parseBulkAction(fields: Readonly<Record<string, string | undefined>>): BulkAction {
  const kind = fields.action?.trim() ?? '';
  switch (kind) {
    case 'freeze':
    case 'unfreeze': {
      const reason = fields.reason?.trim() ?? '';
      if (!FREEZE_REASON.test(reason)) throw badInput('reason', 'must be a lower-case word of up to 32 letters, digits and dashes, starting with a letter');
      if (kind === 'unfreeze') return { kind, reason };
      const note = fields.note?.trim() ?? '';
      if (note.length > 500 || CONTROL.test(note)) throw badInput('note', 'at most 500 characters, no control characters');
      return note === '' ? { kind, reason } : { kind, reason, note };
    }
    case 'retire': {
      const deactivateAfter = days(fields, 'deactivateAfter');
      const deleteAfter = days(fields, 'deleteAfter');
      if (deactivateAfter !== undefined && deleteAfter !== undefined && deactivateAfter > deleteAfter) {
        throw badInput('deactivateAfter', `the deactivation grace (${deactivateAfter} days) may not be longer than the deletion grace (${deleteAfter} days)`);
      }
      return { kind, ...(deactivateAfter === undefined ? {} : { deactivateAfter }), ...(deleteAfter === undefined ? {} : { deleteAfter }) };
    }
    case 'notice': {
      const subject = fields.subject?.trim() ?? '';
      if (subject === '' || subject.length > 200 || /[\r\n]/.test(subject) || CONTROL.test(subject)) throw badInput('subject', 'one line of 1 to 200 characters, no control characters');
      const body = (fields.body ?? '').replace(/\r\n/g, '\n');
      if (body.trim() === '' || body.length > 20_000 || CONTROL.test(body)) throw badInput('body', 'must not be empty, longer than 20,000 characters or hold control characters');
      return { kind, subject, body };
    }
    default:
      throw badInput('action', `must be one of ${BULK_ACTION_KINDS.join(', ')}`);
  }
}

/** The action as form fields: what a mass change stores and `parseBulkAction` reads back. */
export function bulkActionFields(action: BulkAction): Record<string, string> {
  switch (action.kind) {
    case 'freeze':
      return { action: 'freeze', reason: action.reason, ...(action.note === undefined ? {} : { note: action.note }) };
    case 'unfreeze':
      return { action: 'unfreeze', reason: action.reason };
    case 'retire':
      return { action: 'retire', ...(action.deactivateAfter === undefined ? {} : { deactivateAfter: String(action.deactivateAfter) }), ...(action.deleteAfter === undefined ? {} : { deleteAfter: String(action.deleteAfter) }) };
    case 'notice':
      return { action: 'notice', subject: action.subject, body: action.body };
  }
}

/** One line for people: `freeze (reason admin)`, `retire (D 7 days, P 30 days)`. */
export function describeBulkAction(action: BulkAction): string {
  switch (action.kind) {
    case 'freeze':
      return `freeze with reason ${action.reason}`;
    case 'unfreeze':
      return `lift the hold freeze:${action.reason}`;
    case 'retire': {
      const d = action.deactivateAfter === undefined ? "the type's D" : `D ${action.deactivateAfter} days`;
      const p = action.deleteAfter === undefined ? "the type's P" : `P ${action.deleteAfter} days`;
      return `retire (${d}, ${p})`;
    }
    case 'notice':
      return `send the notice "${action.subject}"`;
  }
}

/**
 * The selected usernames, trimmed, each once, in the order given; empty or
 * too many is an error naming `username`.
 */
export function selectedUsernames(values: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const v of values) {
    const u = v.trim();
    if (u !== '') seen.add(u);
  }
  if (seen.size === 0) throw badInput('username', 'select at least one account');
  if (seen.size > MAX_BULK_ITEMS) throw badInput('username', `at most ${MAX_BULK_ITEMS} accounts in one bulk action, got ${seen.size}`);
  return [...seen];
}

const MASS_CHANGE_PREFIX = 'bulk:';

/** The action and accounts a bulk mass change stores, or undefined when the mass change is of another run (purge, sync). */
export function bulkOfMassChange(change: Pick<MassChange, 'action' | 'params'>): { readonly action: BulkAction; readonly usernames: readonly string[] } | undefined {
  if (!change.action.startsWith(MASS_CHANGE_PREFIX)) return undefined;
  const fields = change.params.fields;
  const usernames = change.params.usernames;
  if (typeof fields !== 'object' || fields === null || !Array.isArray(usernames)) return undefined;
  const action = parseBulkAction(Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => typeof e[1] === 'string')));
  return { action, usernames: usernames.filter((u): u is string => typeof u === 'string') };
}

interface ItemStep {
  readonly outcome: 'changed' | 'unchanged';
  readonly after: Account | null;
  readonly detail: string;
}

function lifecycleStep(before: Account, r: LifecycleResult, changedDetail: string, unchangedDetail: string): ItemStep {
  if (r.purged === true) return { outcome: 'changed', after: null, detail: 'purged now (deletion grace 0)' };
  return r.changed ? { outcome: 'changed', after: r.account, detail: changedDetail } : { outcome: 'unchanged', after: before, detail: unchangedDetail };
}

/** The key that makes one notice of one run reach each address once, however many of its accounts were selected. */
function noticeKey(ctx: AppContext, action: Extract<BulkAction, { kind: 'notice' }>): string {
  return createHash('sha256').update(`${ctx.actor}\u0000${action.subject}\u0000${action.body}\u0000${ctx.clock.now().toISOString()}`).digest('hex').slice(0, 16);
}

/**
 * A notice to the member who holds an account, at the address its type
 * names (as the retirement notice), queued with an audit record in one
 * transaction and sent after commit. Unchanged when there is no address on
 * record, or when this run's notice already went to that address.
 */
export async function noticeAccount(ctx: AppContext, username: string, input: { readonly subject: string; readonly body: string; readonly key: string }, options: MutationOptions = {}): Promise<{ readonly queued: boolean; readonly to: string | null }> {
  return mutate(ctx, options, async (tx) => {
    const account = await requireLiveAccount(tx, username);
    const person = await tx.getPerson(account.personId);
    const to = person === undefined ? null : memberAddress(person, ctx, [account]);
    if (to === null || person === undefined) return { queued: false, to };
    const added = await tx.enqueueMessages([
      { kind: 'announcement', recipient: to, data: { subject: input.subject, body: input.body, name: `${person.firstName} ${person.lastName}`, username }, dedupeKey: `notice:${input.key}:${to.toLowerCase()}`, queuedAt: ctx.clock.now().toISOString() },
    ]);
    if (added === 0) return { queued: false, to };
    await audit(tx, ctx, { action: 'account.notice', target: `account:${username}`, before: null, after: { subject: input.subject, to } });
    return { queued: true, to };
  });
}

/** Runs one item of the action, as its own use case (in `options.tx` for the plan's dry run). */
async function runItem(ctx: AppContext, action: BulkAction, before: Account, noticeId: string, options: MutationOptions): Promise<ItemStep> {
  const u = before.username;
  switch (action.kind) {
    case 'freeze':
      return lifecycleStep(before, await freezeAccount(ctx, u, { reason: action.reason, note: action.note }, options), `hold freeze:${action.reason} added`, `already frozen with reason ${action.reason}`);
    case 'unfreeze':
      return lifecycleStep(before, await unfreezeAccount(ctx, u, { reason: action.reason }, options), `hold freeze:${action.reason} lifted`, `no hold freeze:${action.reason}`);
    case 'retire': {
      const r = await retireAccount(ctx, u, { deactivateAfter: action.deactivateAfter, deleteAfter: action.deleteAfter }, { ...options, allowMassChange: true });
      const at = (iso: string | null): string => (iso === null ? '?' : wallTime(iso, ctx.config.timeZone));
      const when = r.purged === true ? '' : `deactivates ${at(r.account.expiresAt)}, purged ${at(r.account.purgeAt)}`;
      return lifecycleStep(before, r, `retired: ${when}`, `already retiring: ${when}`);
    }
    case 'notice': {
      const r = await noticeAccount(ctx, u, { subject: action.subject, body: action.body, key: noticeId }, options);
      if (r.queued) return { outcome: 'changed', after: before, detail: `notice queued to ${r.to ?? '?'}` };
      return { outcome: 'unchanged', after: before, detail: r.to === null ? 'no e-mail address on record' : `this notice already goes to ${r.to}` };
    }
  }
}

/** What the hosts an account lives on would see of a change. */
function hostEffect(before: Account, after: Account | null, now: Date): HostEffect | null {
  if (after === null) return 'remove';
  const was = effectiveHolds(before, now).length > 0;
  const is = effectiveHolds(after, now).length > 0;
  if (!was && is) return 'disable';
  if (was && !is) return 'enable';
  if (before.expiresAt !== after.expiresAt) return 'expire';
  return null;
}

function countOutcomes(items: ReadonlyArray<{ readonly outcome: ItemOutcome }>): Record<ItemOutcome, number> {
  const counts: Record<ItemOutcome, number> = { changed: 0, unchanged: 0, error: 0 };
  for (const i of items) counts[i.outcome] += 1;
  return counts;
}

/** Accounts per host, target and effect: the hosts each account lives on, and the targets each host runs. */
function hostTargetCounts(ctx: AppContext, items: readonly BulkPlanItem[]): HostTargetCount[] {
  const counts = new Map<string, HostTargetCount>();
  for (const item of items) {
    if (item.effect === null) continue;
    for (const host of item.hosts) {
      const targets = Object.keys(ctx.config.hosts[host]?.targets ?? {});
      for (const target of targets.length === 0 ? [null] : targets) {
        const key = `${host}\u0000${target ?? ''}\u0000${item.effect}`;
        const c = counts.get(key);
        counts.set(key, { host, target, effect: item.effect, accounts: (c?.accounts ?? 0) + 1 });
      }
    }
  }
  return [...counts.values()];
}

/**
 * Inside the plan's dry-run transaction, with every item's change in it:
 * each host the server applies that a changed account lives on, planned for
 * those accounts as `roster plan --host H --account U…` would (observed
 * under the root), counted per target.
 */
async function planServerHosts(ctx: AppContext, tx: Queries, targets: readonly AnyTarget[], root: string, items: readonly BulkPlanItem[]): Promise<ServerHostPlan[]> {
  const byHost = new Map<string, string[]>();
  for (const i of items) {
    if (i.effect === null) continue;
    for (const h of i.hosts) if (ctx.config.hosts[h]?.appliedBy === 'server') byHost.set(h, [...(byHost.get(h) ?? []), i.username]);
  }
  const out: ServerHostPlan[] = [];
  for (const [host, accounts] of byHost) {
    const selected = new Set(accounts);
    try {
      // A purged account widens the plan to the whole host (its archive comes first); planHost decides.
      const { plan } = await planHost(ctx, targets, { host, root, accounts }, tx);
      const pending = new Set(pendingChanges(plan));
      const perTarget = plan.targets
        .map((t) => {
          // A scoped plan is about the selected accounts only, its file changes (a login list) included; a widened one counts theirs alone.
          const mine = t.changes.filter((c) => pending.has(c) && (plan.widened === undefined || selected.has(changeAccount(c) ?? '')));
          const named = new Set(mine.map((c) => changeAccount(c)).filter((a) => a !== undefined));
          return { target: t.target, changes: mine.length, accounts: named.size, actions: [...new Set(mine.map((c) => c.action))].sort() };
        })
        .filter((t) => t.changes > 0);
      out.push({ host, targets: perTarget, ...(plan.widened === undefined ? {} : { widened: plan.widened }) });
    } catch (e) {
      // One host that cannot be planned is named with why; the others' plans still show.
      out.push({ host, targets: [], error: errorMessage(e) });
    }
  }
  return out;
}

async function breakerOf(ctx: AppContext, action: BulkAction, affected: number): Promise<BreakerSummary> {
  const total = await ctx.store.read.countAccounts();
  const limit = breakerLimit(total, ctx.config.breaker);
  const applies = action.kind === 'retire';
  return { applies, affected: applies ? affected : 0, total, limit, over: applies && affected > limit };
}

/**
 * The plan of a bulk action: every item run in ONE dry-run transaction (each
 * in a savepoint, so a failing item leaves the others' view intact), with
 * what each would change, the counts per host and target, and the circuit
 * breaker's verdict. Names that are no live account are listed as rejected.
 * Changes nothing.
 */
export async function planBulkAction(ctx: AppContext, action: BulkAction, usernames: readonly string[], planning?: HostPlanning): Promise<BulkPlan> {
  const now = ctx.clock.now();
  const noticeId = action.kind === 'notice' ? noticeKey(ctx, action) : '';
  const root = planning === undefined ? undefined : await resolveRoot(planning.applyRoot);
  const { items, rejected, serverHosts } = await mutate(ctx, { dryRun: true }, async (tx: Queries) => {
    const found = new Map((await tx.accountsByUsernames(usernames)).map((a) => [a.username, a]));
    const planned: BulkPlanItem[] = [];
    const refused: Array<{ username: string; why: string }> = [];
    for (const username of usernames) {
      const before = found.get(username);
      if (before === undefined) {
        refused.push({ username, why: `no account "${printable(username)}"` });
        continue;
      }
      if (before.purgedAt !== null) {
        refused.push({ username, why: `purged on ${before.purgedAt}` });
        continue;
      }
      const hosts = ctx.config.types[before.type]?.hosts.live ?? [];
      const stateBefore = accountState(before, now);
      try {
        const step = await tx.savepoint(() => runItem(ctx, action, before, noticeId, { tx }));
        planned.push({
          username,
          type: before.type,
          outcome: step.outcome,
          stateBefore,
          stateAfter: step.after === null ? 'purged' : accountState(step.after, now),
          effect: step.outcome === 'changed' && action.kind !== 'notice' ? hostEffect(before, step.after, now) : null,
          hosts,
          detail: step.detail,
        });
      } catch (e) {
        planned.push({ username, type: before.type, outcome: 'error', stateBefore, stateAfter: stateBefore, effect: null, hosts, detail: errorMessage(e) });
      }
    }
    const hostPlans = planning === undefined || root === undefined ? [] : await planServerHosts(ctx, tx, planning.targets, root, planned);
    return { items: planned, rejected: refused, serverHosts: hostPlans };
  });
  const counts = countOutcomes(items);
  return {
    action,
    usernames: items.map((i) => i.username),
    items,
    rejected,
    counts,
    hosts: hostTargetCounts(ctx, items),
    serverHosts,
    breaker: await breakerOf(ctx, action, counts.changed),
  };
}

/** Applies each item in its own transaction; one failure never stops the rest (DESIGN.md §9.4). */
async function applyItems(ctx: AppContext, action: BulkAction, usernames: readonly string[], rejected: BulkPlan['rejected']): Promise<BulkResults> {
  const noticeId = action.kind === 'notice' ? noticeKey(ctx, action) : '';
  const items: BulkItemResult[] = [];
  for (const username of usernames) {
    try {
      const before = await requireLiveAccount(ctx.store.read, username);
      const step = await runItem(ctx, action, before, noticeId, {});
      items.push({ username, outcome: step.outcome, detail: step.detail });
    } catch (e) {
      items.push({ username, outcome: 'error', detail: errorMessage(e) });
    }
  }
  // Names that were no live account are reported too: an error each, nothing done.
  for (const r of rejected) items.push({ username: r.username, outcome: 'error', detail: r.why });
  const counts = countOutcomes(items);
  await mutate(ctx, {}, (tx) => audit(tx, ctx, { action: `bulk.${action.kind}`, target: 'accounts', before: null, after: { action: describeBulkAction(action), items: items.length, ...counts } }));
  return { action, items, counts };
}

/**
 * Runs a bulk action: under the circuit breaker each item is applied and
 * reported; over it, nothing changes and the run is recorded as a mass
 * change (with its action and accounts) for a second admin to approve.
 * `tokenId` is the API token that asks, if any, so that it cannot approve.
 */
export async function runBulkAction(ctx: AppContext, action: BulkAction, usernames: readonly string[], options: { readonly tokenId?: number | null } = {}): Promise<BulkRun> {
  const plan = await planBulkAction(ctx, action, usernames);
  if (plan.breaker.over) {
    const change = await requestMassChange(ctx, {
      action: `${MASS_CHANGE_PREFIX}${action.kind}`,
      params: { fields: bulkActionFields(action), usernames: [...plan.usernames] },
      summary: { affected: plan.breaker.affected, total: plan.breaker.total, limit: plan.breaker.limit },
      tokenId: options.tokenId ?? null,
    });
    return { status: 'waiting', change, plan };
  }
  return { status: 'done', results: await applyItems(ctx, action, plan.usernames, plan.rejected) };
}

/**
 * Runs an approved bulk mass change: its stored action over its stored
 * accounts, once (claimApproval: approved, not expired, not used, and no
 * more accounts affected now than approved), then records the per-item
 * results with the mass change so that anyone can read them later.
 */
export async function runApprovedBulk(ctx: AppContext, id: string): Promise<BulkResults> {
  const change = await requireMassChange(ctx, id);
  const bulk = bulkOfMassChange(change);
  if (bulk === undefined) throw new RosterError('conflict', `mass change ${id} is a ${change.action} run, not a bulk action; repeat it where it was asked`);
  const plan = await planBulkAction(ctx, bulk.action, bulk.usernames);
  await claimApproval(ctx, id, { action: change.action, params: change.params, affected: plan.breaker.affected });
  const results = await applyItems(ctx, bulk.action, plan.usernames, plan.rejected);
  await recordMassChangeResult(ctx, id, { counts: results.counts, items: results.items });
  return results;
}

/** The per-item results a bulk mass change recorded when it ran, or undefined before. */
export function bulkResultsOf(change: MassChange): BulkResults | undefined {
  const bulk = bulkOfMassChange(change);
  const r = change.result as { status?: unknown; result?: unknown } | null;
  if (bulk === undefined || r === null || r.status !== 'done' || typeof r.result !== 'object' || r.result === null) return undefined;
  const raw = (r.result as { items?: unknown }).items;
  if (!Array.isArray(raw)) return undefined;
  const items = raw
    .filter((i): i is { username: string; outcome: unknown; detail: unknown } => typeof i === 'object' && i !== null && typeof (i as { username?: unknown }).username === 'string')
    .map((i) => ({ username: i.username, outcome: OUTCOMES.find((o) => o === i.outcome) ?? 'error', detail: typeof i.detail === 'string' ? i.detail : '' }));
  return { action: bulk.action, items, counts: countOutcomes(items) };
}
