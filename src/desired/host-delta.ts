import { createHash } from 'node:crypto';
import * as z from 'zod';
import { canonicalJson } from '../domain/canonical-json.js';
import type { BreakerPolicy } from '../domain/circuit-breaker.js';
import type { DesiredAccount, DesiredGroup, DesiredHost } from './desired-host.js';
import { desiredHostSchema } from './desired-host-schema.js';

/** What an agent receives for its host: the desired state, the host's targets section and the breaker, named by a revision. */
export interface Assignment {
  readonly revision: string;
  readonly desired: DesiredHost;
  readonly targets: Readonly<Record<string, unknown>>;
  readonly breaker: BreakerPolicy;
}

/**
 * Revisions and deltas of a host's assignment (DESIGN.md §6: "agents pull by
 * revision, so a change costs O(changed accounts) per host").
 *
 * Every account and group has a digest of its canonical JSON; the revision
 * is a digest of the rest of the assignment (the desired state without its
 * projection time, the targets section, the breaker) and of those digests
 * in order. So the server computes each revision's digests once, answers a
 * delta from an older revision by comparing digests, and an agent that
 * rebuilds the state from a delta re-digests only the changed entries to
 * check the result against the revision: a delta that does not reproduce
 * the server's state is never applied.
 */

function digest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 22);
}

/** Per-entry digests of one revision, kept by the server to answer deltas from it. */
export interface RevisionDigests {
  readonly revision: string;
  readonly accounts: ReadonlyMap<string, string>;
  readonly groups: ReadonlyMap<string, string>;
}

function combine(assignment: Omit<Assignment, 'revision'>, accounts: ReadonlyMap<string, string>, groups: ReadonlyMap<string, string>): string {
  const { at: _at, accounts: _accounts, groups: _groups, ...rest } = assignment.desired;
  const hash = createHash('sha256').update(canonicalJson({ desired: rest, targets: assignment.targets, breaker: assignment.breaker }));
  // In the state's own order (by name), which both sides keep.
  for (const a of assignment.desired.accounts) hash.update(`\na ${accounts.get(a.username) ?? ''}`);
  for (const g of assignment.desired.groups) hash.update(`\ng ${groups.get(g.name) ?? ''}`);
  return hash.digest('hex').slice(0, 32);
}

/** Digests already computed, by assignment object: an agent re-digests only what a delta changed. */
const known = new WeakMap<object, RevisionDigests>();

/** The digests of an assignment and its revision. */
export function digestsOf(assignment: Omit<Assignment, 'revision'>): RevisionDigests {
  const hit = known.get(assignment);
  if (hit !== undefined) return hit;
  const accounts = new Map<string, string>();
  for (const a of assignment.desired.accounts) accounts.set(a.username, digest(a));
  const groups = new Map<string, string>();
  for (const g of assignment.desired.groups) groups.set(g.name, digest(g));
  const digests = { revision: combine(assignment, accounts, groups), accounts, groups };
  known.set(assignment, digests);
  return digests;
}

export function revisionOf(assignment: Omit<Assignment, 'revision'>): string {
  return digestsOf(assignment).revision;
}

const { accounts: accountsSchema, groups: groupsSchema, ...restShape } = desiredHostSchema.shape;

/** The answer to `?delta=1` when the server still knows the agent's revision. */
export const hostDeltaSchema = z.object({
  revision: z.string().min(1).max(128),
  /** The revision the delta starts from (the agent's). */
  base: z.string().min(1).max(128),
  targets: z.record(z.string(), z.unknown()),
  breaker: z.object({ count: z.int().min(0), percent: z.number().min(0).max(100) }),
  /** Everything of the desired state but its accounts and groups, whole; those as changes. */
  desired: z.object({
    ...restShape,
    accounts: accountsSchema.meta({ description: 'accounts added or changed since base' }),
    groups: groupsSchema.meta({ description: 'groups added or changed since base' }),
    dropAccounts: z.array(z.string().max(256)),
    dropGroups: z.array(z.string().max(256)),
  }),
});

export type HostDelta = z.infer<typeof hostDeltaSchema>;

/** What changed from `base` (its digests) to `current`. */
export function deltaFrom(base: RevisionDigests, current: Assignment, currentDigests: RevisionDigests): HostDelta {
  const { accounts, groups, ...rest } = current.desired;
  const changedAccounts: DesiredAccount[] = [];
  for (const a of accounts) if (base.accounts.get(a.username) !== currentDigests.accounts.get(a.username)) changedAccounts.push(a);
  const changedGroups: DesiredGroup[] = [];
  for (const g of groups) if (base.groups.get(g.name) !== currentDigests.groups.get(g.name)) changedGroups.push(g);
  return {
    revision: current.revision,
    base: base.revision,
    targets: current.targets,
    breaker: current.breaker,
    desired: {
      ...rest,
      accounts: changedAccounts,
      groups: changedGroups,
      dropAccounts: [...base.accounts.keys()].filter((name) => !currentDigests.accounts.has(name)),
      dropGroups: [...base.groups.keys()].filter((name) => !currentDigests.groups.has(name)),
    },
  } as HostDelta;
}

/** Entries of `base` without `drop`, with `changed` put in (re-digested), in code-point order of their names. */
function merge<T>(base: readonly T[], digests: ReadonlyMap<string, string>, name: (x: T) => string, drop: readonly string[], changed: readonly T[]): { readonly entries: T[]; readonly digests: Map<string, string> } {
  const byName = new Map(base.map((x) => [name(x), x]));
  const merged = new Map(digests);
  for (const n of drop) {
    byName.delete(n);
    merged.delete(n);
  }
  for (const x of changed) {
    byName.set(name(x), x);
    merged.set(name(x), digest(x));
  }
  const entries = [...byName.values()].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  return { entries, digests: merged };
}

/**
 * `base` with `delta` applied, or null when the result is not the state
 * the server named (a different base, a lost or reordered field): the
 * caller then fetches the whole state.
 */
export function applyDelta(base: Assignment, delta: HostDelta): Assignment | null {
  if (base.revision !== delta.base) return null;
  const from = digestsOf(base);
  const { accounts: changedAccounts, groups: changedGroups, dropAccounts, dropGroups, ...rest } = delta.desired;
  const accounts = merge(base.desired.accounts, from.accounts, (a) => a.username, dropAccounts, changedAccounts);
  const groups = merge(base.desired.groups, from.groups, (g) => g.name, dropGroups, changedGroups);
  const desired = {
    ...rest,
    // The server's order: by name, in code-point order.
    accounts: accounts.entries,
    groups: groups.entries,
  };
  const next = { revision: delta.revision, desired, targets: delta.targets, breaker: delta.breaker } as Assignment;
  const revision = combine(next, accounts.digests, groups.digests);
  if (revision !== delta.revision) return null;
  known.set(next, { revision, accounts: accounts.digests, groups: groups.digests });
  return next;
}
