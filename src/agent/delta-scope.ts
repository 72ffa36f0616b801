import { canonicalJson } from '../domain/canonical-json.js';
import type { DesiredAccount, DesiredGroup, DesiredResource } from '../desired/desired-host.js';

/** The rest of an assignment as the agent keeps it: the desired state without its accounts and groups (its time included), the targets section, the breaker. */
export interface KeptRest {
  readonly desired: Readonly<Record<string, unknown>> & { readonly resources?: Readonly<Record<string, readonly DesiredResource[]>> };
  readonly targets: Readonly<Record<string, unknown>>;
  readonly breaker: { readonly count: number; readonly percent: number };
}

/** What one delta changed, as the state file saw it while applying it. */
export interface DeltaChanges {
  readonly before: KeptRest;
  readonly after: KeptRest;
  /** Accounts added or changed (their new entries). */
  readonly accounts: readonly DesiredAccount[];
  /** Groups added or changed: the old entry (undefined: new) and the new one. */
  readonly groups: ReadonlyArray<{ readonly before: DesiredGroup | undefined; readonly after: DesiredGroup }>;
  readonly dropAccounts: readonly string[];
  readonly dropGroups: readonly string[];
}

/** The accounts a delta can be applied for alone, or why only a whole-host apply will do. */
export type DeltaScope = { readonly scope: readonly string[] } | { readonly whole: string };

/** Each owner's resources, by managing target, in the form compared between two revisions. */
function resourcesByOwner(resources: Readonly<Record<string, readonly DesiredResource[]>> | undefined): Map<string, string> {
  const byOwner = new Map<string, Record<string, DesiredResource[]>>();
  for (const [target, list] of Object.entries(resources ?? {})) {
    for (const r of list) ((byOwner.get(r.owner) ?? byOwner.set(r.owner, {}).get(r.owner) ?? {})[target] ??= []).push(r);
  }
  return new Map([...byOwner].map(([owner, r]) => [owner, canonicalJson(r)]));
}

function withoutTimeAndResources(rest: KeptRest): unknown {
  const { at: _at, resources: _resources, ...desired } = rest.desired;
  return { desired, targets: rest.targets, breaker: rest.breaker };
}

/**
 * Whether a delta can be applied through the scoped path (DESIGN.md §1,
 * `DesiredHost.scope`): for the accounts it changed (and the owners of
 * resources it changed) alone, exactly as `projectAccounts` would scope
 * them on the server. The whole host is needed when entries are dropped
 * (removal, which the archive and the circuit breaker judge against the
 * whole host), when anything else of the assignment changed (the targets
 * section, the breaker, `removed`, `freezeKeep`, `purge`…), or when a group
 * changed in a way the scoped accounts do not account for: another gid, a
 * member leaving (a scoped state names the groups its accounts are in, not
 * those they left), or a member joining that is not in the scope.
 */
export function deltaScope(changes: DeltaChanges): DeltaScope {
  if (changes.dropAccounts.length > 0) return { whole: `account ${changes.dropAccounts.join(', ')} no longer on the host` };
  if (changes.dropGroups.length > 0) return { whole: `group ${changes.dropGroups.join(', ')} no longer on the host` };
  if (canonicalJson(withoutTimeAndResources(changes.before)) !== canonicalJson(withoutTimeAndResources(changes.after))) return { whole: "the host's settings or removed accounts changed" };
  const scope = new Set(changes.accounts.map((a) => a.username));
  if (canonicalJson(changes.before.desired.resources ?? null) !== canonicalJson(changes.after.desired.resources ?? null)) {
    const before = resourcesByOwner(changes.before.desired.resources);
    const after = resourcesByOwner(changes.after.desired.resources);
    for (const owner of new Set([...before.keys(), ...after.keys()])) if (before.get(owner) !== after.get(owner)) scope.add(owner);
  }
  for (const { before, after } of changes.groups) {
    if (before !== undefined && before.gid !== after.gid) return { whole: `group ${after.name} changed its gid` };
    const was = new Set(before?.members ?? []);
    const now = new Set(after.members);
    const left = [...was].filter((m) => !now.has(m));
    if (left.length > 0) return { whole: `${left.join(', ')} left group ${after.name}` };
    const outside = [...now].filter((m) => !was.has(m) && !scope.has(m));
    if (outside.length > 0) return { whole: `${outside.join(', ')} joined group ${after.name} without a change of their own` };
    // A new group nobody in the scope names or belongs to would never be written by a scoped apply.
    if (before === undefined && after.members.length === 0 && !changes.accounts.some((a) => a.primaryGroup === after.name)) return { whole: `group ${after.name} is new` };
  }
  if (scope.size === 0) return { whole: 'no account changed' };
  return { scope: [...scope].sort() };
}
