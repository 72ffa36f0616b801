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
 * Revisions and deltas of a host's assignment (DESIGN.md §6 and §10
 * "O(changed)": a change costs what changed, on the server and on the agent).
 *
 * Every account and group has a digest of its canonical JSON. The revision
 * is a digest of the rest of the assignment (the desired state without its
 * projection time, accounts and groups; the targets section; the breaker)
 * and of two sums, modulo 2^128, of one term per account and per group (see
 * `entryTerm`). A sum does not depend on order and is updated by
 * subtracting an entry's old term and adding its new one, so the server
 * derives a host's next revision from the previous one plus the entries
 * that changed, and an agent checks a delta the same way, re-digesting only
 * the changed entries: a delta that does not reproduce the server's state
 * is never applied.
 */

/** An entry's digest: of its canonical JSON. */
export function entryDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 22);
}

const MODULUS = 1n << 128n;

/** An entry's term in its kind's sum: the first 128 bits of SHA-256 over kind, name and digest. */
export function entryTerm(kind: 'a' | 'g', name: string, digest: string): bigint {
  return BigInt(`0x${createHash('sha256').update(`${kind}\0${name}\0${digest}`).digest('hex').slice(0, 32)}`);
}

/** The sums of an assignment's entries, with their counts. */
export interface EntrySums {
  readonly accounts: bigint;
  readonly groups: bigint;
  readonly accountCount: number;
  readonly groupCount: number;
}

export const EMPTY_SUMS: EntrySums = { accounts: 0n, groups: 0n, accountCount: 0, groupCount: 0 };

/** `sums` with one entry replaced: `before` is its old digest (undefined: it is new), `after` its new one (undefined: it goes). */
export function updateSums(sums: EntrySums, kind: 'a' | 'g', name: string, before: string | undefined, after: string | undefined): EntrySums {
  if (before === after) return sums;
  let delta = 0n;
  let count = 0;
  if (before !== undefined) {
    delta -= entryTerm(kind, name, before);
    count--;
  }
  if (after !== undefined) {
    delta += entryTerm(kind, name, after);
    count++;
  }
  const add = (x: bigint): bigint => (((x + delta) % MODULUS) + MODULUS) % MODULUS;
  return kind === 'a' ? { ...sums, accounts: add(sums.accounts), accountCount: sums.accountCount + count } : { ...sums, groups: add(sums.groups), groupCount: sums.groupCount + count };
}

/** What the revision names besides the entries: the desired state without its time, accounts and groups, the targets section, the breaker. */
export interface AssignmentRest {
  readonly desired: Omit<DesiredHost, 'at' | 'accounts' | 'groups'>;
  readonly targets: Readonly<Record<string, unknown>>;
  readonly breaker: BreakerPolicy;
}

/** The digest of an assignment's rest; the server keeps it while the rest is unchanged. */
export function restDigest(rest: AssignmentRest): string {
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** The revision of an assignment from its rest's digest and its entry sums. */
export function revisionFrom(restHash: string, sums: EntrySums): string {
  const line = `${restHash}\na ${sums.accountCount} ${sums.accounts.toString(16)}\ng ${sums.groupCount} ${sums.groups.toString(16)}`;
  return createHash('sha256').update(line).digest('hex').slice(0, 32);
}

/** The rest of an assignment, as `revisionFrom` names it. */
export function assignmentRest(assignment: Omit<Assignment, 'revision'>): AssignmentRest {
  const { at: _at, accounts: _accounts, groups: _groups, ...desired } = assignment.desired;
  return { desired, targets: assignment.targets, breaker: assignment.breaker };
}

/** Per-entry digests of one revision, and its sums. */
export interface RevisionDigests {
  readonly revision: string;
  readonly accounts: ReadonlyMap<string, string>;
  readonly groups: ReadonlyMap<string, string>;
  readonly sums: EntrySums;
}

function sumsOf(accounts: ReadonlyMap<string, string>, groups: ReadonlyMap<string, string>): EntrySums {
  let a = 0n;
  for (const [name, d] of accounts) a += entryTerm('a', name, d);
  let g = 0n;
  for (const [name, d] of groups) g += entryTerm('g', name, d);
  return { accounts: a % MODULUS, groups: g % MODULUS, accountCount: accounts.size, groupCount: groups.size };
}

/** Digests already computed, by assignment object: an agent re-digests only what a delta changed. */
const known = new WeakMap<object, RevisionDigests>();

/** The digests of an assignment and its revision (the full computation: every entry digested). */
export function digestsOf(assignment: Omit<Assignment, 'revision'>): RevisionDigests {
  const hit = known.get(assignment);
  if (hit !== undefined) return hit;
  const accounts = new Map<string, string>();
  for (const a of assignment.desired.accounts) accounts.set(a.username, entryDigest(a));
  const groups = new Map<string, string>();
  for (const g of assignment.desired.groups) groups.set(g.name, entryDigest(g));
  const sums = sumsOf(accounts, groups);
  const digests = { revision: revisionFrom(restDigest(assignmentRest(assignment)), sums), accounts, groups, sums };
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
function merge<T>(kind: 'a' | 'g', base: readonly T[], digests: ReadonlyMap<string, string>, sums: EntrySums, name: (x: T) => string, drop: readonly string[], changed: readonly T[]): { readonly entries: T[]; readonly digests: Map<string, string>; readonly sums: EntrySums } {
  const byName = new Map(base.map((x) => [name(x), x]));
  const merged = new Map(digests);
  let next = sums;
  for (const n of drop) {
    next = updateSums(next, kind, n, merged.get(n), undefined);
    byName.delete(n);
    merged.delete(n);
  }
  for (const x of changed) {
    const d = entryDigest(x);
    next = updateSums(next, kind, name(x), merged.get(name(x)), d);
    byName.set(name(x), x);
    merged.set(name(x), d);
  }
  const entries = [...byName.values()].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  return { entries, digests: merged, sums: next };
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
  const accounts = merge('a', base.desired.accounts, from.accounts, from.sums, (a) => a.username, dropAccounts, changedAccounts);
  const groups = merge('g', base.desired.groups, from.groups, accounts.sums, (g) => g.name, dropGroups, changedGroups);
  const desired = {
    ...rest,
    // The server's order: by name, in code-point order.
    accounts: accounts.entries,
    groups: groups.entries,
  };
  const next = { revision: delta.revision, desired, targets: delta.targets, breaker: delta.breaker } as Assignment;
  const revision = revisionFrom(restDigest(assignmentRest(next)), groups.sums);
  if (revision !== delta.revision) return null;
  known.set(next, { revision, accounts: accounts.digests, groups: groups.digests, sums: groups.sums });
  return next;
}
