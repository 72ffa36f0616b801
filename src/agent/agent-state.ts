import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import Database from 'better-sqlite3';
import type { HostAssignment } from '../desired/desired-host-schema.js';
import type { DesiredAccount, DesiredGroup, DesiredHost, DesiredResource } from '../desired/desired-host.js';
import { EMPTY_SUMS, entryDigest, restDigest, revisionFrom, updateSums, type AssignmentRest, type EntrySums, type HostDelta } from '../desired/host-delta.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import type { DeltaChanges, KeptRest } from './delta-scope.js';
import { readLegacyState } from './legacy-state.js';
import type { WholeEntry, WholeStateStream } from './whole-state-stream.js';

/** A report the server has not accepted yet (it was down): sent, oldest first, when it answers again. */
export type PendingReport = Readonly<Record<string, unknown>>;

/** Reports kept while the server is down; older ones are dropped (the newest tell the current state). */
export const MAX_PENDING_REPORTS = 20;

/** What the agent last applied. */
export interface AppliedRevision {
  readonly revision: string;
  readonly at: string;
  readonly ok: boolean;
}

/** Where the state kept came from and when. */
export interface StateHeader {
  readonly server: string;
  readonly host: string;
  readonly fetchedAt: string;
}

/** The state file of a host's agent in its state directory (`agent-HOST.sqlite`; `agent-HOST.json` was the former format, migrated when found). */
export function agentStatePath(stateDir: string, host: string): string {
  return posix.join(stateDir, `agent-${host}.sqlite`);
}

const FORMAT = 'roster agent state 1';

const SCHEMA = `
create table meta (key text primary key, value text not null) without rowid;
create table accounts (name text primary key, json text not null, digest text not null) without rowid;
create table groups (name text primary key, gid integer not null, json text not null, digest text not null) without rowid;
create table memberships (member text not null, grp text not null, primary key (member, grp)) without rowid;
`;

/** Thrown inside a transaction to roll it back: the delta did not reproduce the server's revision. */
class DeltaMismatch extends Error {}

interface Sums { readonly accounts: string; readonly groups: string; readonly accountCount: number; readonly groupCount: number }

/** Runs an insert of a new row; a name already there is the server's state naming it twice. */
function insertOnce(kind: 'account' | 'group', name: string, insert: () => unknown): void {
  try {
    insert();
  } catch (e) {
    if (String((e as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')) throw new RosterError('bad_input', `the server's desired state names ${kind} ${name} twice; nothing applied from it`);
    throw e;
  }
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The revision the kept rest and sums name (see src/desired/host-delta.ts). */
function revisionOfRest(rest: KeptRest, sums: EntrySums): string {
  const { at: _at, ...desired } = rest.desired;
  return revisionFrom(restDigest({ desired, targets: rest.targets, breaker: rest.breaker } as unknown as AssignmentRest), sums);
}

/**
 * What an agent keeps on disk (DESIGN.md §5 "Agent", §10 "O(changed)"): the
 * last desired state it received, so it goes on applying it while the
 * server is down, what it last applied, and the reports still to send.
 *
 * One SQLite file (WAL, mode 0600: it holds password hashes) with a row per
 * account and per group (its JSON and digest), an index of group
 * memberships, the rest of the assignment and the revision's entry sums. A
 * delta is applied in place in one transaction: only the changed and
 * dropped rows are read and written, the sums are updated from their old
 * and new digests, and the result is checked against the revision the
 * server named — rolled back when it differs. The whole state is read only
 * for a whole-host apply.
 */
export class AgentStateFile {
  readonly path: string;
  readonly #db: Database.Database;
  #revision: string | null = null;
  #header: StateHeader | null = null;
  #applied: AppliedRevision | null = null;
  #pending: readonly PendingReport[] = [];

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
    this.#readHead();
  }

  /**
   * Opens (or creates) the state file. A file that is not an agent state
   * (a disk error, a stray file) is reported through `warn` and treated as
   * missing: it is replaced, and the next answer of the server fills it.
   * Without one, a former JSON state beside it is migrated (then removed),
   * so an upgraded agent keeps its host as last applied while the server is down.
   */
  static open(path: string, warn: (message: string) => void): AgentStateFile {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (existsSync(path)) {
      try {
        return new AgentStateFile(path, openChecked(path));
      } catch (e) {
        warn(`${path}: not an agent state (${errorMessage(e)}); ignoring it`);
        for (const p of [path, `${path}-wal`, `${path}-shm`]) rmSync(p, { force: true });
      }
    }
    const file = new AgentStateFile(path, create(path));
    const legacy = path.endsWith('.sqlite') ? path.replace(/\.sqlite$/, '.json') : null;
    if (legacy !== null) {
      const kept = readLegacyState(legacy, warn);
      if (kept !== null) {
        file.replace(kept.assignment, kept.header);
        file.saveStatus(kept.applied, kept.pendingReports);
        for (const p of kept.files) rmSync(p, { force: true });
      }
    }
    return file;
  }

  /** The revision kept, or null before the first answer. */
  get revision(): string | null {
    return this.#revision;
  }

  get header(): StateHeader | null {
    return this.#header;
  }

  get applied(): AppliedRevision | null {
    return this.#applied;
  }

  get pendingReports(): readonly PendingReport[] {
    return this.#pending;
  }

  /** Reads the revision and status again: another agent run (`--once` beside the service) may have written the file since. */
  refresh(): void {
    this.#readHead();
  }

  close(): void {
    this.#db.close();
  }

  #meta(key: string): string | undefined {
    return (this.#db.prepare('select value from meta where key = ?').get(key) as { value: string } | undefined)?.value;
  }

  #setMeta(key: string, value: unknown): void {
    this.#db.prepare('insert into meta (key, value) values (?, ?) on conflict (key) do update set value = excluded.value').run(key, JSON.stringify(value));
  }

  #readHead(): void {
    const head = this.#meta('head');
    const parsed = head === undefined ? null : (JSON.parse(head) as StateHeader & { revision: string });
    this.#revision = parsed?.revision ?? null;
    this.#header = parsed === null ? null : { server: parsed.server, host: parsed.host, fetchedAt: parsed.fetchedAt };
    const status = this.#meta('status');
    const s = status === undefined ? null : (JSON.parse(status) as { applied: AppliedRevision | null; pendingReports: PendingReport[] });
    this.#applied = s?.applied ?? null;
    this.#pending = s?.pendingReports ?? [];
  }

  #sums(): EntrySums {
    const s = JSON.parse(this.#meta('sums') ?? 'null') as Sums | null;
    return s === null ? EMPTY_SUMS : { accounts: BigInt(`0x${s.accounts}`), groups: BigInt(`0x${s.groups}`), accountCount: s.accountCount, groupCount: s.groupCount };
  }

  #setSums(s: EntrySums): void {
    this.#setMeta('sums', { accounts: s.accounts.toString(16), groups: s.groups.toString(16), accountCount: s.accountCount, groupCount: s.groupCount } satisfies Sums);
  }

  /** The kept assignment without its accounts and groups (small: read for every apply). */
  rest(): KeptRest {
    const rest = this.#meta('rest');
    if (rest === undefined) throw new Error(`${this.path}: no desired state kept yet`);
    return JSON.parse(rest) as KeptRest;
  }

  /** Replaces the whole state with one fetched whole (the first answer, or after a delta that did not check). */
  replace(assignment: HostAssignment, header: StateHeader): void {
    const { accounts, groups, ...desired } = assignment.desired;
    const insertAccount = this.#db.prepare('insert into accounts (name, json, digest) values (?, ?, ?)');
    const insertGroup = this.#db.prepare('insert into groups (name, gid, json, digest) values (?, ?, ?, ?)');
    const insertMember = this.#db.prepare('insert or ignore into memberships (member, grp) values (?, ?)');
    this.#db.transaction(() => {
      for (const table of ['accounts', 'groups', 'memberships']) this.#db.prepare(`delete from ${table}`).run();
      let sums = EMPTY_SUMS;
      for (const a of accounts) {
        const digest = entryDigest(a);
        insertAccount.run(a.username, JSON.stringify(a), digest);
        sums = updateSums(sums, 'a', a.username, undefined, digest);
      }
      for (const g of groups) {
        const digest = entryDigest(g);
        insertGroup.run(g.name, g.gid, JSON.stringify(g), digest);
        for (const m of g.members) insertMember.run(m, g.name);
        sums = updateSums(sums, 'g', g.name, undefined, digest);
      }
      this.#setSums(sums);
      this.#setMeta('rest', { desired, targets: assignment.targets, breaker: assignment.breaker } satisfies KeptRest);
      this.#setMeta('head', { ...header, revision: assignment.revision });
    })();
    this.#revision = assignment.revision;
    this.#header = header;
  }

  /**
   * Replaces the whole state with one arriving as NDJSON (see
   * src/agent/whole-state-stream.ts), writing its rows as they come in one
   * transaction: memory holds the entries in flight, never the body. The
   * entry sums are computed on the way, and at the end the revision they
   * and the rest name must be the one the stream's first line named;
   * anything off — a line that does not check, a truncated body, a name
   * twice, another revision — rolls back, the previous state kept, and
   * throws a `bad_input` RosterError saying what.
   */
  async replaceStreamed(stream: WholeStateStream, header: StateHeader): Promise<void> {
    const insertAccount = this.#db.prepare('insert into accounts (name, json, digest) values (?, ?, ?)');
    const insertGroup = this.#db.prepare('insert into groups (name, gid, json, digest) values (?, ?, ?, ?)');
    const insertMember = this.#db.prepare('insert or ignore into memberships (member, grp) values (?, ?)');
    const batch = this.#db.transaction((entries: readonly WholeEntry[], sums: EntrySums): EntrySums => {
      for (const e of entries) {
        if ('account' in e) {
          const a = e.account;
          const digest = entryDigest(a);
          insertOnce('account', a.username, () => insertAccount.run(a.username, JSON.stringify(a), digest));
          sums = updateSums(sums, 'a', a.username, undefined, digest);
        } else {
          const g = e.group;
          const digest = entryDigest(g);
          insertOnce('group', g.name, () => insertGroup.run(g.name, g.gid, JSON.stringify(g), digest));
          for (const m of g.members) insertMember.run(m, g.name);
          sums = updateSums(sums, 'g', g.name, undefined, digest);
        }
      }
      return sums;
    });
    // One transaction over awaits: begun here, each batch a savepoint in it, committed once the end line and revision check.
    this.#db.exec('begin immediate');
    try {
      for (const table of ['accounts', 'groups', 'memberships']) this.#db.prepare(`delete from ${table}`).run();
      let sums = EMPTY_SUMS;
      for await (const entries of stream.entries) {
        sums = batch(entries, sums);
      }
      const got = revisionOfRest(stream.rest, sums);
      if (got !== stream.revision) throw new RosterError('bad_input', `the server's desired state does not reproduce its revision ${stream.revision} (its ${sums.accountCount} accounts, ${sums.groupCount} groups and rest name ${got}); nothing applied from it`);
      this.#setSums(sums);
      this.#setMeta('rest', stream.rest);
      this.#setMeta('head', { ...header, revision: stream.revision });
      this.#db.exec('commit');
    } catch (e) {
      if (this.#db.inTransaction) this.#db.exec('rollback');
      throw e;
    } finally {
      this.#readHead();
    }
  }

  /**
   * Applies a delta in place, or returns null — and keeps the file as it
   * was — when it does not start from the revision kept or does not
   * reproduce the revision the server named: the caller then fetches the
   * whole state. Reads and writes only the changed and dropped rows.
   */
  applyDelta(delta: HostDelta, fetchedAt: string): DeltaChanges | null {
    if (this.#revision === null || delta.base !== this.#revision || this.#header === null) return null;
    const header = { ...this.#header, fetchedAt };
    const getAccount = this.#db.prepare('select digest from accounts where name = ?');
    const putAccount = this.#db.prepare('insert into accounts (name, json, digest) values (?, ?, ?) on conflict (name) do update set json = excluded.json, digest = excluded.digest');
    const getGroup = this.#db.prepare('select json, digest from groups where name = ?');
    const putGroup = this.#db.prepare('insert into groups (name, gid, json, digest) values (?, ?, ?, ?) on conflict (name) do update set gid = excluded.gid, json = excluded.json, digest = excluded.digest');
    const addMember = this.#db.prepare('insert or ignore into memberships (member, grp) values (?, ?)');
    const dropMember = this.#db.prepare('delete from memberships where member = ? and grp = ?');
    const deleteAccount = this.#db.prepare('delete from accounts where name = ?');
    const deleteGroup = this.#db.prepare('delete from groups where name = ?');
    const { accounts, groups, dropAccounts, dropGroups, ...desired } = delta.desired;
    const after: KeptRest = { desired, targets: delta.targets, breaker: delta.breaker };
    const keepMembers = (name: string, before: readonly string[], now: readonly string[]): void => {
      const next = new Set(now);
      const was = new Set(before);
      for (const m of was) if (!next.has(m)) dropMember.run(m, name);
      for (const m of next) if (!was.has(m)) addMember.run(m, name);
    };
    try {
      return this.#db.transaction((): DeltaChanges => {
        const before = this.rest();
        let sums = this.#sums();
        for (const name of dropAccounts) {
          const row = getAccount.get(name) as { digest: string } | undefined;
          sums = updateSums(sums, 'a', name, row?.digest, undefined);
          deleteAccount.run(name);
        }
        for (const name of dropGroups) {
          const row = getGroup.get(name) as { json: string; digest: string } | undefined;
          if (row !== undefined) keepMembers(name, (JSON.parse(row.json) as DesiredGroup).members, []);
          sums = updateSums(sums, 'g', name, row?.digest, undefined);
          deleteGroup.run(name);
        }
        for (const a of accounts) {
          const digest = entryDigest(a);
          const row = getAccount.get(a.username) as { digest: string } | undefined;
          putAccount.run(a.username, JSON.stringify(a), digest);
          sums = updateSums(sums, 'a', a.username, row?.digest, digest);
        }
        const changedGroups: Array<{ before: DesiredGroup | undefined; after: DesiredGroup }> = [];
        for (const g of groups) {
          const digest = entryDigest(g);
          const row = getGroup.get(g.name) as { json: string; digest: string } | undefined;
          const old = row === undefined ? undefined : (JSON.parse(row.json) as DesiredGroup);
          putGroup.run(g.name, g.gid, JSON.stringify(g), digest);
          keepMembers(g.name, old?.members ?? [], g.members);
          sums = updateSums(sums, 'g', g.name, row?.digest, digest);
          changedGroups.push({ before: old, after: g });
        }
        if (revisionOfRest(after, sums) !== delta.revision) throw new DeltaMismatch();
        this.#setSums(sums);
        this.#setMeta('rest', after);
        this.#setMeta('head', { ...header, revision: delta.revision });
        return { before, after, accounts, groups: changedGroups, dropAccounts, dropGroups };
      })();
    } catch (e) {
      if (e instanceof DeltaMismatch) return null;
      throw e;
    } finally {
      this.#readHead();
    }
  }

  /** The whole assignment kept (every row read): for a whole-host apply. */
  load(): HostAssignment {
    if (this.#revision === null) throw new Error(`${this.path}: no desired state kept yet`);
    const rest = this.rest();
    const accounts = (this.#db.prepare('select json from accounts').pluck().all() as string[]).map((j) => JSON.parse(j) as DesiredAccount);
    const groups = (this.#db.prepare('select json from groups').pluck().all() as string[]).map((j) => JSON.parse(j) as DesiredGroup);
    // The server's order: by name.
    accounts.sort((a, b) => byName(a.username, b.username));
    groups.sort((a, b) => byName(a.name, b.name));
    return { revision: this.#revision, desired: { ...rest.desired, accounts, groups }, targets: rest.targets, breaker: rest.breaker } as unknown as HostAssignment;
  }

  /**
   * The desired state of some accounts only, built from the kept state as
   * `projectAccounts` builds it on the server: the accounts, their primary
   * groups, the groups they belong to listing only them as members, their
   * resources only, nothing removed. Null when an account is not kept.
   */
  scopedDesired(scope: readonly string[]): DesiredHost | null {
    const rest = this.rest();
    const getAccount = this.#db.prepare('select json from accounts where name = ?').pluck();
    const groupsOf = this.#db.prepare('select grp from memberships where member = ?').pluck();
    const gidOf = this.#db.prepare('select gid from groups where name = ?').pluck();
    const accounts: DesiredAccount[] = [];
    const members = new Map<string, string[]>();
    for (const name of [...scope].sort(byName)) {
      const json = getAccount.get(name) as string | undefined;
      if (json === undefined) return null;
      const a = JSON.parse(json) as DesiredAccount;
      accounts.push(a);
      if (!members.has(a.primaryGroup)) members.set(a.primaryGroup, []);
      for (const g of groupsOf.all(name) as string[]) (members.get(g) ?? members.set(g, []).get(g) ?? []).push(name);
    }
    const groups: DesiredGroup[] = [];
    for (const [name, names] of members) {
      const gid = gidOf.get(name) as number | undefined;
      if (gid !== undefined) groups.push({ name, gid, members: names.sort(byName) });
    }
    groups.sort((a, b) => byName(a.name, b.name));
    const owners = new Set(scope);
    const resources: Record<string, DesiredResource[]> = {};
    for (const [target, list] of Object.entries(rest.desired.resources ?? {})) {
      const mine = list.filter((r) => owners.has(r.owner));
      if (mine.length > 0) resources[target] = mine;
    }
    const { resources: _all, ...desired } = rest.desired;
    return { ...(desired as unknown as DesiredHost), accounts, groups, removed: [], scope: accounts.map((a) => a.username), ...(Object.keys(resources).length === 0 ? {} : { resources }) };
  }

  /** Records what was applied and the reports still to send (a small write after every apply). */
  saveStatus(applied: AppliedRevision | null, pendingReports: readonly PendingReport[]): void {
    this.#setMeta('status', { applied, pendingReports });
    this.#applied = applied;
    this.#pending = pendingReports;
  }
}

function pragmas(db: Database.Database): void {
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
}

/** An existing file, checked to be an agent state whose pages read back. */
function openChecked(path: string): Database.Database {
  const db = new Database(path, { fileMustExist: true });
  try {
    pragmas(db);
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') throw new Error(`damaged: ${check}`);
    const format = (db.prepare("select value from meta where key = 'format'").pluck().get() as string | undefined) ?? null;
    if (format !== JSON.stringify(FORMAT)) throw new Error(`format ${format ?? 'missing'}, not ${FORMAT}`);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** A new, empty state file, private from its first byte. */
function create(path: string): Database.Database {
  closeSync(openSync(path, 'wx', 0o600));
  const db = new Database(path, { fileMustExist: true });
  pragmas(db);
  db.transaction(() => {
    db.exec(SCHEMA);
    db.prepare("insert into meta (key, value) values ('format', ?)").run(JSON.stringify(FORMAT));
  })();
  return db;
}
