import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { RosterConfig } from '../config/config-schema.js';
import type { Account } from '../domain/account.js';
import type { BreakerPolicy } from '../domain/circuit-breaker.js';
import { keysetPages } from '../store/keyset-pages.js';
import type { AccountReads, DesiredFeedReads, Group, GroupReads, Resource, ResourceReads } from '../store/store.js';
import type { DesiredAccount, DesiredGroup, DesiredHost, DesiredResource, RemovedAccount } from './desired-host.js';
import { assignmentRest, EMPTY_SUMS, entryDigest, restDigest, revisionFrom, updateSums, type EntrySums, type HostDelta } from './host-delta.js';
import { calendarDay, desiredAccount, desiredHostOf, resourceManagers } from './project-host.js';
import { targetEntries, type TargetProjection } from './target-entries.js';

/** What the incremental projection reads: the store's accounts, groups, resources and the change feed. */
export type FeedReads = AccountReads & GroupReads & ResourceReads & DesiredFeedReads;

/** Feed rows read per query. */
const FEED_PAGE = 5_000;
/** Accounts read per page when a class is built whole. */
const ACCOUNT_PAGE = 2_000;
/**
 * More changes than this in one step and the class is built whole again:
 * cheaper than one by one, and keeps memory bounded. Feed rows older than
 * this many are of no use to anyone, so the feed is pruned to it.
 */
const REBUILD_OVER = 200_000;
/** Versions of changed entries kept for deltas, and the entries they may hold in all. */
const HISTORY_VERSIONS = 64;
const HISTORY_ENTRIES = 100_000;
/** Revisions per host a delta can start from. */
const HOST_REVISIONS = 64;

/**
 * Hosts whose accounts, groups and purged accounts project alike: for every
 * account type, whether it lives on the host and whether it may log in
 * there (the only way a host enters an account's projection). A thousand
 * web hosts of one kind share one class, so its state is kept once.
 */
export function projectionClass(config: RosterConfig, host: string): string {
  return JSON.stringify(
    Object.keys(config.types)
      .sort()
      .map((name) => {
        const type = config.types[name];
        return [name, type?.hosts.live.includes(host) === true, type?.hosts.login.includes(host) === true];
      }),
  );
}

interface LiveEntry {
  readonly live: true;
  readonly username: string;
  readonly digest: string;
  readonly primaryGroup: string;
  readonly gid: number;
  readonly groups: readonly string[];
}

interface RemovedEntry {
  readonly live: false;
  readonly removed: RemovedAccount;
}

/** Changed entries of one version, by name: the new entry, or null when it went. */
interface VersionChanges {
  readonly version: number;
  readonly accounts: Map<string, DesiredAccount | null>;
  readonly groups: Map<string, DesiredGroup | null>;
}

/** The state of one projection class: enough to derive the next revision from the changes alone. */
interface ClassState {
  /** A host of the class, in whose name accounts are projected (the class makes them alike). */
  readonly host: string;
  /** Feed rows up to here are in. */
  seq: number;
  /** Holds starting at or before this instant are in force. */
  at: string;
  /**
   * The instant of the last build or step: the state is the full projection
   * at feed position `seq` for every instant from here until `nextDue`
   * (steps with nothing to do move `at` alone).
   */
  since: string;
  /** When the next hold starts after `at`, as of `seq`. */
  nextDue: string | null;
  readonly accounts: Map<number, LiveEntry | RemovedEntry>;
  /** The purged accounts among them, by id (the rest of each host lists them). */
  readonly removed: Map<number, RemovedAccount>;
  readonly liveByName: Map<string, number>;
  /** Group → live accounts listing it among their groups. */
  readonly memberOf: Map<string, Set<string>>;
  /** Group → live accounts having it as their (shared) primary group. */
  readonly primaryOf: Map<string, Set<string>>;
  /** The store's groups, and which groups list each username explicitly. */
  readonly storeGroups: Map<string, Group>;
  readonly explicitOf: Map<string, Set<string>>;
  readonly groupDigests: Map<string, string>;
  sums: EntrySums;
  /** Bumped when the purged accounts of the class change (they are part of each host's rest). */
  removedVersion: number;
  version: number;
  /** Versions at or before this are not in `history`: a delta must start after it. */
  historyFloor: number;
  history: VersionChanges[];
  /** Hosts of the class seen so far, told of what may change their resources. */
  readonly hosts: Map<string, HostState>;
}

/** A resource desired on a host, with its owner's account id (to find it again when the owner changes). */
interface HostResource {
  readonly target: string;
  readonly accountId: number;
  readonly resource: DesiredResource;
}

interface HostState {
  readonly host: string;
  /** Resource ids and owner account ids whose resources must be read again. */
  readonly pendingResources: Set<number>;
  readonly pendingOwners: Set<number>;
  resources: Map<number, HostResource> | null;
  resourcesVersion: number;
  rest: { readonly key: string; readonly desired: Omit<DesiredHost, 'at' | 'accounts' | 'groups'>; readonly hash: string } | null;
  /** Revisions served, newest last, with the class version each names. */
  revisions: Array<{ readonly revision: string; readonly version: number }>;
}

/** A host's revision now, and what is needed to answer a delta from an older one. */
export interface HostRevision {
  readonly revision: string;
  readonly host: string;
  readonly at: string;
}

/**
 * The server's side of O(changed) (DESIGN.md §10, issue 17 item 1): the
 * desired state of each host, kept as per-entry digests and sums per
 * projection class, brought up to date from the change feed (migration
 * 0012) and the holds falling due since the last step, so a host's next
 * revision costs what changed, not the host. The full projection
 * (`projectHost`) stays the reference; its revision is what this one must
 * equal after any sequence of changes (the property test).
 *
 * One per store and configuration in a server process; every method is
 * serialised per class.
 */
export class IncrementalProjection {
  private readonly classes = new Map<string, ClassState>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly entries: ReturnType<typeof targetEntries>;
  private readonly day: (iso: string) => number;

  constructor(
    private readonly q: FeedReads,
    private readonly config: RosterConfig,
    private readonly targets: readonly TargetProjection[],
    private readonly assignment: (host: string) => { readonly targets: Readonly<Record<string, unknown>>; readonly breaker: BreakerPolicy },
    private readonly options: {
      /** Deletes feed rows at or before a sequence number (a write transaction); without it the feed is never pruned here. */
      readonly prune?: (seq: number) => Promise<unknown>;
      /** REBUILD_OVER, smaller in tests. */
      readonly rebuildOver?: number;
    } = {},
  ) {
    this.entries = targetEntries(config, targets);
    this.day = calendarDay(config);
  }

  /** The host's revision at `now`, after taking in every change written and every hold fallen due since the last step. */
  revision(host: string, now: Date): Promise<HostRevision> {
    return this.locked(projectionClass(this.config, host), async (key) => {
      const state = await this.current(key, host, now);
      const h = await this.hostState(state, host);
      return { revision: this.hostRevision(state, h), host, at: state.at };
    });
  }

  /**
   * What changed for `host` from revision `base` to the current one, or null
   * when `base` is not one this process served from its current class
   * history (the caller sends the whole state).
   */
  delta(host: string, base: string, current: HostRevision): Promise<HostDelta | null> {
    return this.locked(projectionClass(this.config, host), async (key) => {
      const state = this.classes.get(key);
      const h = state?.hosts.get(host);
      if (state === undefined || h === undefined || h.rest === null) return null;
      const now = h.revisions.at(-1);
      const from = h.revisions.find((r) => r.revision === base);
      if (from === undefined || now?.revision !== current.revision || from.version < state.historyFloor) return null;
      const accounts = new Map<string, DesiredAccount | null>();
      const groups = new Map<string, DesiredGroup | null>();
      for (const v of state.history) {
        if (v.version <= from.version) continue;
        for (const [name, entry] of v.accounts) accounts.set(name, entry);
        for (const [name, entry] of v.groups) groups.set(name, entry);
      }
      const byName = (a: readonly [string, unknown], b: readonly [string, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
      const changedAccounts = [...accounts].sort(byName);
      const changedGroups = [...groups].sort(byName);
      const { targets, breaker } = this.assignment(host);
      return {
        revision: current.revision,
        base,
        targets,
        breaker,
        desired: {
          ...h.rest.desired,
          at: current.at,
          accounts: changedAccounts.flatMap(([, a]) => (a === null ? [] : [a])),
          groups: changedGroups.flatMap(([, g]) => (g === null ? [] : [g])),
          dropAccounts: changedAccounts.flatMap(([name, a]) => (a === null ? [name] : [])),
          dropGroups: changedGroups.flatMap(([name, g]) => (g === null ? [name] : [])),
        },
      } as HostDelta;
    });
  }

  /**
   * What the class of `host` holds now, as a string that changes whenever
   * its accounts, groups or purged accounts do (undefined before the first
   * `revision`): whole states of hosts of one class share that part.
   */
  classStamp(host: string): string | undefined {
    const key = projectionClass(this.config, host);
    const state = this.classes.get(key);
    return state === undefined ? undefined : `${key}|${state.version}|${state.removedVersion}|${state.sums.accountCount}:${state.sums.accounts.toString(16)}|${state.sums.groupCount}:${state.sums.groups.toString(16)}`;
  }

  /**
   * The class of `host` as of its last step: its feed position, the instants
   * it holds for (from `since`, before `nextDue` when there is one) and its
   * sums (undefined before the first `revision`).
   */
  classSnapshot(host: string): { readonly seq: number; readonly since: string; readonly nextDue: string | null; readonly sums: EntrySums } | undefined {
    const state = this.classes.get(projectionClass(this.config, host));
    return state === undefined ? undefined : { seq: state.seq, since: state.since, nextDue: state.nextDue, sums: state.sums };
  }

  private async locked<T>(key: string, fn: (key: string) => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.then(
      () => fn(key),
      () => fn(key),
    );
    this.locks.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }

  private hostRevision(state: ClassState, h: HostState): string {
    const rest = h.rest;
    if (rest === null) throw new Error('host rest not built');
    const revision = revisionFrom(rest.hash, state.sums);
    if (h.revisions.at(-1)?.revision !== revision) {
      h.revisions = [...h.revisions.filter((r) => r.revision !== revision), { revision, version: state.version }].slice(-HOST_REVISIONS);
    }
    return revision;
  }

  /** The class brought up to `now`: built whole the first time (or after a gap in the feed), else stepped by the changes since. */
  private async current(key: string, host: string, now: Date): Promise<ClassState> {
    const at = now.toISOString();
    const known = this.classes.get(key);
    if (known === undefined) {
      const built = await this.build(host, now, 0, new Map());
      this.classes.set(key, built);
      return built;
    }
    const head = await this.q.desiredFeedHead();
    const lo = at < known.at ? at : known.at;
    const hi = at < known.at ? known.at : at;
    const clockMoved = at < known.at || (known.nextDue !== null && known.nextDue <= at);
    if (head === known.seq && !clockMoved) {
      known.at = at;
      return known;
    }
    const changes = head === known.seq ? { accounts: new Set<number>(), groups: new Set<string>(), resources: new Set<number>(), seq: known.seq } : await this.readFeed(known.seq, head);
    if (changes === null) {
      // Pruned past this class, or too much at once: built whole, hosts told to read their resources again.
      const rebuilt = await this.build(known.host, now, known.version + 1, known.hosts);
      this.classes.set(key, rebuilt);
      return rebuilt;
    }
    if (clockMoved) for (const id of await this.q.holdsFallingDue(lo, hi)) changes.accounts.add(id);
    await this.step(known, changes, now);
    known.seq = changes.seq;
    known.at = at;
    known.since = at;
    known.nextDue = await this.q.nextHoldDue(at);
    return known;
  }

  /** The feed after `seq`: what it names, and the last row read; null when rows were pruned past `seq` or there are too many. */
  private async readFeed(seq: number, head: number): Promise<{ accounts: Set<number>; groups: Set<string>; resources: Set<number>; seq: number } | null> {
    const floor = await this.q.desiredFeedFloor();
    if (floor > seq + 1) return null;
    const limit = this.options.rebuildOver ?? REBUILD_OVER;
    // Housekeeping: rows more than `limit` behind the head only ever lead to a rebuild.
    if (this.options.prune !== undefined && floor > 0 && head - floor > 2 * limit) await this.options.prune(head - limit);
    const accounts = new Set<number>();
    const groups = new Set<string>();
    const resources = new Set<number>();
    let last = seq;
    let rows = 0;
    for (;;) {
      const page = await this.q.desiredChangesAfter(last, Math.min(FEED_PAGE, limit + 1));
      for (const c of page) {
        if (c.kind === 'account') accounts.add(Number(c.ref));
        else if (c.kind === 'group') groups.add(c.ref);
        else resources.add(Number(c.ref));
        last = c.seq;
      }
      rows += page.length;
      if (rows > limit) return null;
      if (page.length < Math.min(FEED_PAGE, limit + 1)) return { accounts, groups, resources, seq: last };
    }
  }

  /** A class built from the whole store (the full projection's walk), keeping only digests. */
  private async build(host: string, now: Date, version: number, hosts: Map<string, HostState>): Promise<ClassState> {
    const seq = await this.q.desiredFeedHead();
    const at = now.toISOString();
    const state: ClassState = {
      host,
      seq,
      at,
      since: at,
      nextDue: await this.q.nextHoldDue(at),
      accounts: new Map(),
      removed: new Map(),
      liveByName: new Map(),
      memberOf: new Map(),
      primaryOf: new Map(),
      storeGroups: new Map(),
      explicitOf: new Map(),
      groupDigests: new Map(),
      sums: EMPTY_SUMS,
      removedVersion: version,
      version,
      historyFloor: version,
      history: [],
      hosts,
    };
    for (const g of await this.q.listGroups()) this.putStoreGroup(state, g);
    const touched = new Set<string>();
    for await (const page of keysetPages({ limit: ACCOUNT_PAGE, page: (afterId: number | undefined, limit) => this.q.listAccounts({ afterId: afterId ?? 0, limit, includePurged: true }), keyOf: (a) => a.id })) {
      for (const a of page) this.putAccount(state, a.id, a, now, touched, null);
      // SQLite answers synchronously: without a turn of the event loop per page, requests would wait for the whole build.
      await yieldToEvents();
    }
    for (const name of touched) this.putGroup(state, name, null);
    for (const h of hosts.values()) {
      h.resources = null;
      h.rest = null;
      h.pendingOwners.clear();
      h.pendingResources.clear();
    }
    return state;
  }

  /** One step: the changed accounts, groups and resources taken in, recorded as a new version when entries changed. */
  private async step(state: ClassState, changes: { accounts: Set<number>; groups: Set<string>; resources: Set<number> }, now: Date): Promise<void> {
    const changed: VersionChanges = { version: state.version + 1, accounts: new Map(), groups: new Map() };
    const touched = new Set<string>();
    const ids = [...changes.accounts];
    const found = new Map((await this.q.getAccountsByIds(ids)).map((a) => [a.id, a]));
    for (const id of ids) this.putAccount(state, id, found.get(id), now, touched, changed);
    for (const name of changes.groups) {
      const g = await this.q.getGroup(name);
      const old = state.storeGroups.get(name);
      if (old !== undefined) for (const m of old.members) state.explicitOf.get(m)?.delete(name);
      state.storeGroups.delete(name);
      if (g !== undefined) this.putStoreGroup(state, g);
      touched.add(name);
    }
    for (const name of touched) this.putGroup(state, name, changed);
    for (const h of state.hosts.values()) {
      for (const id of changes.resources) h.pendingResources.add(id);
      for (const id of ids) h.pendingOwners.add(id);
    }
    if (changed.accounts.size > 0 || changed.groups.size > 0) {
      state.version = changed.version;
      state.history.push(changed);
      let entries = state.history.reduce((n, v) => n + v.accounts.size + v.groups.size, 0);
      while (state.history.length > HISTORY_VERSIONS || (entries > HISTORY_ENTRIES && state.history.length > 1)) {
        const dropped = state.history.shift();
        if (dropped === undefined) break;
        entries -= dropped.accounts.size + dropped.groups.size;
        state.historyFloor = dropped.version;
      }
    }
  }

  private putStoreGroup(state: ClassState, g: Group): void {
    state.storeGroups.set(g.name, g);
    for (const m of g.members) {
      let of = state.explicitOf.get(m);
      if (of === undefined) state.explicitOf.set(m, (of = new Set()));
      of.add(g.name);
    }
  }

  /**
   * An account taken in: its old entry's part removed (digest, group
   * memberships, purged entry), its new one's added, the groups it touches
   * noted for `putGroup`. `changed` (null while building) records the new
   * entries by name.
   */
  private putAccount(state: ClassState, id: number, a: Account | undefined, now: Date, touched: Set<string>, changed: VersionChanges | null): void {
    const old = state.accounts.get(id);
    const type = a === undefined ? undefined : this.config.types[a.type];
    const here = a !== undefined && type !== undefined && type.hosts.live.includes(state.host);
    if (old !== undefined) {
      if (old.live) {
        state.sums = updateSums(state.sums, 'a', old.username, old.digest, undefined);
        state.liveByName.delete(old.username);
        for (const g of old.groups) state.memberOf.get(g)?.delete(old.username);
        if (old.primaryGroup !== old.username) state.primaryOf.get(old.primaryGroup)?.delete(old.username);
        this.touch(state, touched, old.username, old.primaryGroup, old.groups);
        changed?.accounts.set(old.username, null);
      } else {
        state.removed.delete(id);
        state.removedVersion++;
      }
      state.accounts.delete(id);
    }
    if (!here) return;
    if (a.purgedAt !== null) {
      const removed = { username: a.username, uid: a.uid, home: a.home, purgedAt: a.purgedAt };
      state.accounts.set(id, { live: false, removed });
      state.removed.set(id, removed);
      state.removedVersion++;
      return;
    }
    const desired = desiredAccount(a, type, state.host, now, this.day, this.entries);
    const digest = entryDigest(desired);
    state.accounts.set(id, { live: true, username: a.username, digest, primaryGroup: a.primaryGroup, gid: a.gid, groups: a.groups.length === 0 ? NO_GROUPS : [...a.groups] });
    state.sums = updateSums(state.sums, 'a', a.username, undefined, digest);
    state.liveByName.set(a.username, id);
    for (const g of a.groups) addTo(state.memberOf, g, a.username);
    if (a.primaryGroup !== a.username) addTo(state.primaryOf, a.primaryGroup, a.username);
    this.touch(state, touched, a.username, a.primaryGroup, a.groups);
    if (changed !== null) {
      // An entry that came back unchanged (a write that changed nothing of it) is not a change.
      if (old?.live === true && old.username === a.username && old.digest === digest) changed.accounts.delete(a.username);
      else changed.accounts.set(a.username, desired);
    }
  }

  /** The groups an account's entry bears on: its user-private group, those it names, those listing it explicitly. */
  private touch(state: ClassState, touched: Set<string>, username: string, primaryGroup: string, groups: readonly string[]): void {
    touched.add(username);
    touched.add(primaryGroup);
    for (const g of groups) touched.add(g);
    for (const g of state.explicitOf.get(username) ?? []) touched.add(g);
  }

  /** A group's entry as the full projection makes it (see `hostGroups`), or undefined when the host has no such group. */
  private groupEntry(state: ClassState, name: string): DesiredGroup | undefined {
    const id = state.liveByName.get(name);
    const owner = id === undefined ? undefined : state.accounts.get(id);
    if (owner?.live === true && owner.primaryGroup === name) return { name, gid: owner.gid, members: [] };
    const members = state.memberOf.get(name);
    const primaries = state.primaryOf.get(name);
    const row = state.storeGroups.get(name);
    if (row === undefined || ((members?.size ?? 0) === 0 && (primaries?.size ?? 0) === 0)) return undefined;
    const all = new Set(members);
    for (const m of row.members) if (state.liveByName.has(m)) all.add(m);
    return { name, gid: row.gid, members: [...all].sort() };
  }

  private putGroup(state: ClassState, name: string, changed: VersionChanges | null): void {
    const entry = this.groupEntry(state, name);
    const before = state.groupDigests.get(name);
    const after = entry === undefined ? undefined : entryDigest(entry);
    if (before === after) return;
    state.sums = updateSums(state.sums, 'g', name, before, after);
    if (after === undefined) state.groupDigests.delete(name);
    else state.groupDigests.set(name, after);
    changed?.groups.set(name, entry ?? null);
  }

  /** The host's part: its resources (read whole the first time, then as the feed names them) and its rest's digest. */
  private async hostState(state: ClassState, host: string): Promise<HostState> {
    let h = state.hosts.get(host);
    if (h === undefined) {
      h = { host, pendingResources: new Set(), pendingOwners: new Set(), resources: null, resourcesVersion: 0, rest: null, revisions: [] };
      state.hosts.set(host, h);
    }
    const managers = resourceManagers(this.config, host, this.targets);
    if (managers.size > 0) {
      if (h.resources === null) {
        h.resources = new Map();
        h.pendingOwners.clear();
        h.pendingResources.clear();
        await this.readResources(h, managers, await this.q.listResources({ host }));
        h.resourcesVersion++;
      } else if (h.pendingOwners.size > 0 || h.pendingResources.size > 0) {
        const before = resourcesKey(h.resources);
        const rows = new Map<number, Resource>();
        for (const r of await this.q.resourcesOfAccounts([...h.pendingOwners])) rows.set(r.id, r);
        for (const id of h.pendingResources) {
          const r = await this.q.getResource(id);
          if (r !== undefined) rows.set(id, r);
        }
        // What the feed or a changed owner names is taken out, then put back as it is now.
        for (const id of h.pendingResources) h.resources.delete(id);
        for (const [id, entry] of h.resources) if (h.pendingOwners.has(entry.accountId)) h.resources.delete(id);
        await this.readResources(h, managers, [...rows.values()]);
        h.pendingOwners.clear();
        h.pendingResources.clear();
        if (resourcesKey(h.resources) !== before) h.resourcesVersion++;
      }
    } else {
      h.pendingOwners.clear();
      h.pendingResources.clear();
    }
    const key = `${state.removedVersion}/${h.resourcesVersion}`;
    if (h.rest === null || h.rest.key !== key) h.rest = this.rest(state, h, key);
    return h;
  }

  /** Resources of this host whose kind an enabled target manages and whose owner is live, put in (or taken out). */
  private async readResources(h: HostState, managers: ReadonlyMap<string, string>, rows: readonly Resource[]): Promise<void> {
    const resources = h.resources;
    if (resources === null) return;
    const owners = new Map((await this.q.getAccountsByIds([...new Set(rows.map((r) => r.accountId))])).filter((a) => a.purgedAt === null).map((a) => [a.id, a.username]));
    for (const r of rows) {
      const target = managers.get(r.kind);
      const owner = owners.get(r.accountId);
      if (r.host !== h.host || target === undefined || owner === undefined) {
        resources.delete(r.id);
        continue;
      }
      resources.set(r.id, { target, accountId: r.accountId, resource: { id: r.id, kind: r.kind, name: r.name, owner, settings: r.settings } });
    }
  }

  private rest(state: ClassState, h: HostState, key: string): NonNullable<HostState['rest']> {
    // In id order, as the full projection walks them before sorting by name.
    const removed = [...state.removed].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
    let resources: Record<string, DesiredResource[]> | undefined;
    if (h.resources !== null && h.resources.size > 0) {
      resources = {};
      for (const [, { target, resource }] of [...h.resources].sort((a, b) => a[0] - b[0])) (resources[target] ??= []).push(resource);
    }
    const full = desiredHostOf(this.config, h.host, new Date(state.at), { accounts: [], groups: [], removed, ...(resources === undefined ? {} : { resources }) });
    const { targets, breaker } = this.assignment(h.host);
    const rest = assignmentRest({ desired: full, targets, breaker });
    return { key, desired: rest.desired, hash: restDigest(rest) };
  }
}

const NO_GROUPS: readonly string[] = Object.freeze([]);

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(value);
}

function resourcesKey(resources: ReadonlyMap<number, HostResource>): string {
  return JSON.stringify([...resources].sort((a, b) => a[0] - b[0]));
}
