import type { RosterConfig } from '../config/config-schema.js';
import type { DesiredAccount } from '../desired/desired-host.js';
import { projectAccounts } from '../desired/project-host.js';
import type { Account } from '../domain/account.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { planHost, type HostReads } from '../reconcile/host-plan.js';
import { planView, type ChangeView } from '../reconcile/plan-view.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import type { Queries } from '../store/store.js';
import type { AnyTarget } from '../targets/registry.js';
import type { AppContext } from './app-context.js';
import { accountView, type AccountView } from './account-view.js';
import { requireAccount } from './accounts.js';
import { applyHost } from './apply-host.js';
import { freezeAccount, reactivateAccount, retireAccount, unfreezeAccount } from './lifecycle-actions.js';
import { moveAccountType } from './move-account-type.js';
import { mutate } from './mutate.js';
import { wallTime } from './notices.js';
import { sendPasswordResetLink } from './password-reset-link.js';
import { printable } from './person-input.js';
import { purgeAccountNow } from './purge-now.js';
import { restoreAccount } from './restore-account.js';

/** The lifecycle actions an administrator takes on one account (issue 16 item 3), each with its parameters. */
export type AccountAction =
  | { readonly kind: 'freeze'; readonly reason: string; readonly note?: string | undefined }
  | { readonly kind: 'unfreeze'; readonly reason: string }
  | { readonly kind: 'retire'; readonly deactivateAfter?: number | undefined; readonly deleteAfter?: number | undefined }
  | { readonly kind: 'reactivate' }
  | { readonly kind: 'purge'; readonly reason: string }
  | { readonly kind: 'restore' }
  | { readonly kind: 'move-type'; readonly type: string; readonly skipEligibility?: boolean | undefined }
  | { readonly kind: 'reset-link' };

export type AccountActionKind = AccountAction['kind'];

export const ACCOUNT_ACTION_KINDS: readonly AccountActionKind[] = ['freeze', 'unfreeze', 'retire', 'reactivate', 'purge', 'restore', 'move-type', 'reset-link'];

/** One field that changes: a value before and after, as people read it. */
export interface FieldChange {
  readonly field: string;
  readonly before: string;
  readonly after: string;
}

/** What an action means for one host: its desired state for the account, and for a host the server applies, the plan. */
export interface HostPreview {
  readonly host: string;
  readonly appliedBy: 'server' | 'agent';
  /** How the account's entry in the host's desired state changes (what an agent receives at its next poll). */
  readonly desired: readonly FieldChange[];
  /** A host the server applies: each change apply would make, in order, as `roster plan --host H --account U` prints them. */
  readonly changes?: readonly ChangeView[];
  /** The plan had to cover the whole host: why (a purge, an account leaving the host). */
  readonly widened?: string;
  /** The host could not be planned (a target unavailable, a bad root): why. */
  readonly error?: string;
}

/** What an action does, planned or done: the domain change and, per host (`H`), what follows from it. */
interface ActionOutcome<H> {
  readonly username: string;
  readonly action: AccountAction;
  /** False when the action changes nothing (freezing with a reason the account is frozen for already). */
  readonly changed: boolean;
  readonly before: AccountView;
  readonly after: AccountView;
  readonly changes: readonly FieldChange[];
  /** A message the action sends to the member (a password link). */
  readonly message?: ActionMessage;
  readonly hosts: readonly H[];
}

/** The plan of an action (DESIGN.md §9.3: a plan is data): the domain change and, per host, what follows from it. */
export type ActionPlan = ActionOutcome<HostPreview>;

/** What became of one host after the action. */
export interface HostResult {
  readonly host: string;
  readonly appliedBy: 'server' | 'agent';
  /** applied: every change made (or none was needed); failed: the host or a change failed; skipped: its agent applies it. */
  readonly status: 'applied' | 'failed' | 'skipped';
  readonly summary: string;
  readonly outcomes: ReadonlyArray<{ readonly target: string; readonly summary: string; readonly status: string; readonly error?: string }>;
}

/** What an applied action did: the domain change made and what became of each host. */
export type ActionResult = ActionOutcome<HostResult>;

/** What an action's preview and apply need beyond the use case context. */
export interface ActionRequest {
  readonly username: string;
  readonly action: AccountAction;
  /** The root prefix the hosts with `appliedBy: server` are planned and applied under (ServerDeps.applyRoot); `/` is the live system. */
  readonly applyRoot: string;
}

/**
 * An action from a form's fields (all strings): the parameters each action
 * takes, checked here, so bad input is refused naming its field before
 * anything is planned or changed.
 */
export function parseAccountAction(kind: string, fields: Readonly<Record<string, string | undefined>>): AccountAction {
  const text = (name: string): string | undefined => {
    const v = fields[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const required = (name: string, what: string): string => {
    const v = text(name);
    if (v === undefined) throw new RosterError('bad_input', `${what} is required`, [{ where: name, message: 'is required' }]);
    return v;
  };
  const days = (name: string, what: string): number | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    if (!/^\d{1,5}$/.test(v)) throw new RosterError('bad_input', `${what} "${printable(v)}" must be a whole number of days (0 or more)`, [{ where: name, message: 'expected a whole number of days, 0 or more' }]);
    return Number(v);
  };
  switch (kind) {
    case 'freeze':
      return { kind, reason: required('reason', 'the freeze reason'), note: text('note') };
    case 'unfreeze':
      return { kind, reason: required('reason', 'the reason of the hold to lift') };
    case 'retire':
      return { kind, deactivateAfter: days('deactivateAfter', 'the deactivation grace'), deleteAfter: days('deleteAfter', 'the deletion grace') };
    case 'reactivate':
    case 'restore':
    case 'reset-link':
      return { kind };
    case 'purge':
      return { kind, reason: required('reason', 'the reason for the purge') };
    case 'move-type':
      return { kind, type: required('type', 'the new account type'), skipEligibility: fields.skipEligibility === 'on' || fields.skipEligibility === 'true' };
    default:
      throw new RosterError('bad_input', `unknown action "${printable(kind)}" (known: ${ACCOUNT_ACTION_KINDS.join(', ')})`, [{ where: 'action', message: 'unknown action' }]);
  }
}

/** The action's parameters as form fields again, so a confirmation form carries exactly what was planned. */
export function actionFields(action: AccountAction): Record<string, string> {
  switch (action.kind) {
    case 'freeze':
      return { reason: action.reason, ...(action.note === undefined ? {} : { note: action.note }) };
    case 'unfreeze':
    case 'purge':
      return { reason: action.reason };
    case 'retire':
      return { ...(action.deactivateAfter === undefined ? {} : { deactivateAfter: String(action.deactivateAfter) }), ...(action.deleteAfter === undefined ? {} : { deleteAfter: String(action.deleteAfter) }) };
    case 'move-type':
      return { type: action.type, ...(action.skipEligibility === true ? { skipEligibility: 'on' } : {}) };
    case 'reactivate':
    case 'restore':
    case 'reset-link':
      return {};
  }
}

/** What an action did besides changing the account: a message sent (to whom, until when the link works). */
export interface ActionMessage {
  readonly to: string;
  readonly what: string;
}

interface Performed {
  readonly changed: boolean;
  readonly message?: ActionMessage;
}

/**
 * Runs the action's own use case (the one the CLI runs) inside `tx`: whether
 * it changed the account, and the message it sent, if any.
 */
async function perform(ctx: AppContext, tx: Queries, username: string, action: AccountAction): Promise<Performed> {
  if (action.kind === 'reset-link') {
    const sent = await sendPasswordResetLink(ctx, username, { tx });
    return { changed: true, message: { to: sent.to, what: `a link to set a new password, good until ${wallTime(sent.expiresAt, ctx.config.timeZone)}` } };
  }
  return { changed: await performChange(ctx, tx, username, action) };
}

async function performChange(ctx: AppContext, tx: Queries, username: string, action: Exclude<AccountAction, { readonly kind: 'reset-link' }>): Promise<boolean> {
  const options = { tx };
  switch (action.kind) {
    case 'freeze':
      return (await freezeAccount(ctx, username, { reason: action.reason, note: action.note }, options)).changed;
    case 'unfreeze':
      return (await unfreezeAccount(ctx, username, { reason: action.reason }, options)).changed;
    case 'retire':
      return (await retireAccount(ctx, username, { deactivateAfter: action.deactivateAfter, deleteAfter: action.deleteAfter }, options)).changed;
    case 'reactivate':
      return (await reactivateAccount(ctx, username, options)).changed;
    case 'purge':
      return (await purgeAccountNow(ctx, username, { reason: action.reason }, options)).changed;
    case 'restore': {
      // As `roster account restore`: only a tombstone comes back.
      const account = await requireAccount(tx, username);
      if (account.purgedAt === null) throw new RosterError('conflict', `${username} is not purged; nothing to restore`);
      return (await restoreAccount(ctx, username, options)).changed;
    }
    case 'move-type':
      return (await moveAccountType(ctx, username, { type: action.type, skipEligibility: action.skipEligibility }, options)).changed;
  }
}

/** The hosts an account of these types lives on, in roster.yaml order. */
function accountHosts(config: RosterConfig, types: readonly string[]): string[] {
  const live = new Set(types.flatMap((t) => config.types[t]?.hosts.live ?? []));
  return Object.keys(config.hosts).filter((h) => live.has(h));
}

/** The account's entry in the host's desired state, or null when the host must not have it (purged, or not of a type living there). */
async function desiredEntry(ctx: AppContext, read: HostReads, targets: readonly AnyTarget[], host: string, username: string): Promise<DesiredAccount | null> {
  const scoped = await projectAccounts(read, ctx.config, host, ctx.clock.now(), [username], targets);
  if ('wholeHost' in scoped) return null;
  return scoped.desired.accounts.find((a) => a.username === username) ?? null;
}

function day(d: number | null): string {
  return d === null ? '-' : new Date(d * 86_400_000).toISOString().slice(0, 10);
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}

function holdText(holds: ReadonlyArray<{ readonly kind: string; readonly reason: string; readonly since: string }>, timeZone: string): string {
  return holds.map((h) => `${h.kind}:${h.reason} since ${wallTime(h.since, timeZone)}`).join('; ') || '-';
}

function timeText(iso: string | null, timeZone: string): string {
  return iso === null ? '-' : wallTime(iso, timeZone);
}

/**
 * How an account's entry in a host's desired state changes, field by field.
 * The password field is a hash: only whether it changed is said, never its
 * value. Times read in `timeZone`, as the notices write them.
 */
export function desiredChanges(before: DesiredAccount | null, after: DesiredAccount | null, timeZone: string): FieldChange[] {
  if (before === null && after === null) return [];
  if (before === null || after === null) {
    return [{ field: 'on this host', before: before === null ? 'no' : 'yes', after: after === null ? 'no (its entries are archived and removed)' : 'yes (its entries are made)' }];
  }
  const out: FieldChange[] = [];
  const field = (name: string, b: string, a: string): void => {
    if (b !== a) out.push({ field: name, before: b, after: a });
  };
  field('disabled', yesNo(before.disabled), yesNo(after.disabled));
  field('holds', holdText(before.holds, timeZone), holdText(after.holds, timeZone));
  field('expiry', day(before.expiryDay), day(after.expiryDay));
  field('login', yesNo(before.canLogin), yesNo(after.canLogin));
  if (before.passwordField !== after.passwordField) out.push({ field: 'password', before: 'as it was', after: 'changed' });
  field('type', before.type, after.type);
  field('shell', before.shell, after.shell);
  field('home', before.home, after.home);
  field('GECOS', before.gecos, after.gecos);
  field('primary group', before.primaryGroup, after.primaryGroup);
  field('groups', before.groups.join(', ') || '-', after.groups.join(', ') || '-');
  field('principal', before.principal ?? '-', after.principal ?? '-');
  const names = [...new Set([...Object.keys(before.targets), ...Object.keys(after.targets)])].sort();
  for (const t of names) {
    const b = before.targets[t];
    const a = after.targets[t];
    if (JSON.stringify(b) !== JSON.stringify(a)) out.push({ field: `${t} entry`, before: b === undefined ? 'none' : 'as it was', after: a === undefined ? 'none' : 'changed' });
  }
  return out;
}

/** How the account itself changes, as `roster account show` shows it (no hash: only whether a password is set), times in `timeZone`. */
export function accountChanges(before: AccountView, after: AccountView, timeZone: string): FieldChange[] {
  const out: FieldChange[] = [];
  const field = (name: string, b: string, a: string): void => {
    if (b !== a) out.push({ field: name, before: b, after: a });
  };
  field('state', before.state, after.state);
  field('holds', holdText(before.holds, timeZone), holdText(after.holds, timeZone));
  field('expires', timeText(before.expiresAt, timeZone), timeText(after.expiresAt, timeZone));
  field('purge at', timeText(before.purgeAt, timeZone), timeText(after.purgeAt, timeZone));
  field('purged', timeText(before.purgedAt, timeZone), timeText(after.purgedAt, timeZone));
  field('type', before.type, after.type);
  field('shell', before.shell, after.shell);
  field('home', before.home, after.home);
  field('GECOS', before.gecos, after.gecos);
  field('groups', [before.primaryGroup, ...before.groups].join(', '), [after.primaryGroup, ...after.groups].join(', '));
  field('password', before.passwordSet ? 'set' : 'not set', after.passwordSet ? 'set' : 'not set');
  return out;
}

function appliedBy(config: RosterConfig, host: string): 'server' | 'agent' {
  return config.hosts[host]?.appliedBy === 'server' ? 'server' : 'agent';
}

/**
 * The plan of one action on one account, before anything changes: the
 * action's own use case runs in a dry run (its transaction rolled back), and
 * inside that transaction, with the change in it, each host the account
 * lives on (before or after) is projected from the transaction: how the
 * account's desired entry changes, and for a host the server applies, the
 * plan `roster plan --host H --account U` would print after the change
 * (observed under `applyRoot`). Agents apply their host's new desired state
 * at their next poll. Nothing is written: not the store, not the hosts.
 */
export async function previewAction(ctx: AppContext, targets: readonly AnyTarget[], request: ActionRequest): Promise<ActionPlan> {
  const root = await resolveRoot(request.applyRoot);
  const { username, action } = request;
  return mutate(ctx, { dryRun: true }, async (tx) => {
    const now = ctx.clock.now();
    const before = await requireAccount(tx, username);
    const entriesBefore = new Map<string, DesiredAccount | null>();
    for (const host of accountHosts(ctx.config, [before.type])) entriesBefore.set(host, await desiredEntry(ctx, tx, targets, host, username));
    const { changed, message } = await perform(ctx, tx, username, action);
    const after = await requireAccount(tx, username);
    const hosts: HostPreview[] = [];
    for (const host of accountHosts(ctx.config, [before.type, after.type])) {
      const desired = desiredChanges(entriesBefore.get(host) ?? null, await desiredEntry(ctx, tx, targets, host, username), ctx.config.timeZone);
      if (appliedBy(ctx.config, host) === 'agent') {
        hosts.push({ host, appliedBy: 'agent', desired });
        continue;
      }
      try {
        const { plan } = await planHost(ctx, targets, { host, root, accounts: [username] }, tx);
        const view = planView(plan);
        hosts.push({ host, appliedBy: 'server', desired, changes: view.changes, ...(view.widened === undefined ? {} : { widened: view.widened }) });
      } catch (e) {
        hosts.push({ host, appliedBy: 'server', desired, error: hostError(e) });
      }
    }
    const viewBefore = accountView(before, now);
    const viewAfter = accountView(after, now);
    return { username, action, changed, before: viewBefore, after: viewAfter, changes: accountChanges(viewBefore, viewAfter, ctx.config.timeZone), ...(message === undefined ? {} : { message }), hosts };
  });
}

function hostError(e: unknown): string {
  const why = e instanceof RosterError ? e.issues.map((i) => `${i.where}: ${i.message}`) : [];
  return [errorMessage(e), ...why].join('; ');
}

/**
 * Takes the action for real: the same use case in its own transaction
 * (committed and audited first, DESIGN.md §1), then each host the server
 * applies is brought up to date for this account as `roster account …
 * --apply H` does (applyHost, scoped to the account, widened where the
 * pipeline says so, the circuit breaker included). A host that fails does
 * not undo the change nor stop the other hosts; its result says why. Agent
 * hosts are skipped here: their agent applies the change at its next poll.
 */
export async function applyAction(ctx: AppContext, targets: readonly AnyTarget[], request: ActionRequest): Promise<ActionResult> {
  const root = await resolveRoot(request.applyRoot);
  const { username, action } = request;
  const done = await mutate(ctx, {}, async (tx): Promise<Performed & { before: Account; after: Account }> => {
    const before = await requireAccount(tx, username);
    const performed = await perform(ctx, tx, username, action);
    return { before, after: await requireAccount(tx, username), ...performed };
  });
  const hosts: HostResult[] = [];
  for (const host of accountHosts(ctx.config, [done.before.type, done.after.type])) {
    if (appliedBy(ctx.config, host) === 'agent') {
      hosts.push({ host, appliedBy: 'agent', status: 'skipped', summary: 'applied by its agent at its next poll', outcomes: [] });
      continue;
    }
    try {
      const { report, summary } = await applyHost(ctx, targets, { host, root, accounts: [username] });
      const outcomes = report.outcomes.map((o) => ({ target: o.target, summary: o.summary, status: o.status, ...(o.error === undefined ? {} : { error: o.error }) }));
      const failed = summary.failed > 0 || summary.skipped > 0 || report.lockTimeout;
      const counts = `${summary.applied} change${summary.applied === 1 ? '' : 's'} applied${summary.failed > 0 ? `, ${summary.failed} failed` : ''}${summary.skipped > 0 ? `, ${summary.skipped} skipped` : ''}${report.lockTimeout ? ', a lock timed out' : ''}`;
      hosts.push({ host, appliedBy: 'server', status: failed ? 'failed' : 'applied', summary: summary.applied === 0 && !failed ? 'in the desired state, nothing to do' : counts, outcomes });
    } catch (e) {
      hosts.push({ host, appliedBy: 'server', status: 'failed', summary: `not applied: ${hostError(e)}`, outcomes: [] });
    }
  }
  const now = ctx.clock.now();
  const before = accountView(done.before, now);
  const after = accountView(done.after, now);
  return { username, action, changed: done.changed, before, after, changes: accountChanges(before, after, ctx.config.timeZone), ...(done.message === undefined ? {} : { message: done.message }), hosts };
}
