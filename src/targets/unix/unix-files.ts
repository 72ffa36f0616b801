import type { DesiredAccount, DesiredGroup } from '../../desired/desired-host.js';
import { passwdLine, shadowLine, type AccountLines } from './account-lines.js';
import { EtcTable, SEARCHES_BEFORE_INDEX, type EtcEntry } from './etc-table.js';
import type { EtcName } from './etc-text.js';
import { continuationBase, groupLine, gshadowLine, type GroupLines } from './group-lines.js';
import { OwnedStateFile, type OwnedState } from './owned-state.js';

/** A file as read: its bytes, its latin1 text (one character per byte), or its lines. */
export type EtcSource = Buffer | string | readonly string[];

/** The four files and what Roster owns in them, as read at one moment. */
export interface UnixSnapshot {
  readonly passwd: EtcSource;
  readonly shadow: EtcSource;
  readonly group: EtcSource;
  readonly gshadow: EtcSource;
  readonly owned: OwnedState;
}

/**
 * A snapshot with edits staged against it: the collision rules of DESIGN.md §4
 * and the edits themselves, shared by the pure plan and by apply (which runs
 * them again on what it reads under the lock, so a line another tool wrote in
 * between is judged and kept, not overwritten).
 */
export class UnixFiles {
  readonly passwd: EtcTable;
  readonly shadow: EtcTable;
  readonly group: EtcTable;
  readonly gshadow: EtcTable;
  readonly #owned: UnixSnapshot['owned'];
  readonly #desiredGroups: NameSet;
  #ownedUsersSet: ReadonlySet<string> | undefined;
  #ownedGroupsSet: ReadonlySet<string> | undefined;
  /** Base group → the owned continuation groups `<base>-<ext><n>` found, in number order. */
  #continuationIndex: Map<string, string[]> | undefined;
  #familyLookups = 0;
  readonly #claimedUsers = new ClaimedNames();
  readonly #claimedGroups = new ClaimedNames();
  readonly #droppedUsers = new Set<string>();
  readonly #droppedGroups = new Set<string>();
  readonly #userTables: readonly EtcTable[];
  readonly #groupTables: readonly EtcTable[];

  /** `desiredGroups`: names that are groups in their own right, hence never continuations even when shaped like one. */
  constructor(snapshot: UnixSnapshot, readonly ext: string, desiredGroups: NameSet) {
    this.passwd = new EtcTable('passwd', snapshot.passwd);
    this.shadow = new EtcTable('shadow', snapshot.shadow);
    this.group = new EtcTable('group', snapshot.group);
    this.gshadow = new EtcTable('gshadow', snapshot.gshadow);
    this.#owned = snapshot.owned;
    this.#desiredGroups = desiredGroups;
    this.#userTables = [this.passwd, this.shadow];
    this.#groupTables = [this.group, this.gshadow];
  }

  // The sets and the continuation index are built on first use, so an apply
  // that freezes one user never indexes 100,000 owned groups.
  get #ownedUsers(): ReadonlySet<string> {
    this.#ownedUsersSet ??= new Set(this.#owned.users);
    return this.#ownedUsersSet;
  }

  get #ownedGroups(): ReadonlySet<string> {
    this.#ownedGroupsSet ??= new Set(this.#owned.groups);
    return this.#ownedGroupsSet;
  }

  get #continuations(): Map<string, string[]> {
    if (this.#continuationIndex !== undefined) return this.#continuationIndex;
    const index = new Map<string, string[]>();
    for (const name of this.#owned.groups) {
      const base = continuationBase(name, this.ext);
      // An owned name without a line (ownership is claimed before the lines are written) is no part of a family.
      if (base === null || this.#desiredGroups.has(name) || !(this.group.has(name) || this.gshadow.has(name))) continue;
      const list = index.get(base);
      if (list === undefined) index.set(base, [name]);
      else list.push(name);
    }
    for (const list of index.values()) this.#sortContinuations(list);
    this.#continuationIndex = index;
    return index;
  }

  #sortContinuations(list: string[]): string[] {
    const number = (n: string): number => Number(n.slice(n.lastIndexOf(`-${this.ext}`) + this.ext.length + 1));
    const numbers = new Map(list.map((n) => [n, number(n)]));
    return list.sort((a, b) => (numbers.get(a) ?? 0) - (numbers.get(b) ?? 0));
  }

  table(name: EtcName): EtcTable {
    return this[name];
  }

  // Until something needs the whole sets, single names are asked of the file itself.
  ownsUser(name: string): boolean {
    return this.#ownedUsersSet === undefined && this.#owned instanceof OwnedStateFile ? this.#owned.ownsUser(name) : this.#ownedUsers.has(name);
  }

  ownsGroup(name: string): boolean {
    return this.#ownedGroupsSet === undefined && this.#owned instanceof OwnedStateFile ? this.#owned.ownsGroup(name) : this.#ownedGroups.has(name);
  }

  get ownedUsers(): ReadonlySet<string> {
    return this.#ownedUsers;
  }

  get ownedGroups(): ReadonlySet<string> {
    return this.#ownedGroups;
  }

  /** The names of a group's current lines: the group and its owned continuation groups. */
  groupFamily(base: string): readonly string[] {
    if (this.#continuationIndex === undefined && this.#owned instanceof OwnedStateFile && ++this.#familyLookups <= SEARCHES_BEFORE_INDEX) {
      // A few groups (a scoped plan): their owned continuations are found in the ownership file by prefix.
      const prefix = `${base}-${this.ext}`;
      const owned = this.#owned.groupsStartingWith(prefix);
      if (owned.length > 0) {
        this.group.prefetch(prefix);
        this.gshadow.prefetch(prefix);
      }
      const own = owned.filter((n) => continuationBase(n, this.ext) === base && !this.#desiredGroups.has(n) && (this.group.has(n) || this.gshadow.has(n)));
      return [base, ...this.#sortContinuations(own)];
    }
    const continuations = this.#continuations.get(base);
    return continuations === undefined ? [base] : [base, ...continuations];
  }

  /**
   * Whether the line `name` is one of `groupFamily(base)`, answered for
   * that one line: the group itself, or an owned continuation of it with a
   * line that is not a desired group in its own right.
   */
  inFamily(base: string, name: string): boolean {
    if (name === base) return true;
    return continuationBase(name, this.ext) === base && this.ownsGroup(name) && !this.#desiredGroups.has(name) && (this.group.has(name) || this.gshadow.has(name));
  }

  /**
   * Why writing this account would clobber a line Roster does not own,
   * naming both lines; null when it would not. `wanted.lines` is read only
   * to name Roster's line in the message.
   */
  userConflict(name: string, uid: number, wanted: { readonly lines: AccountLines }): string | null {
    // Made only once there is one: almost every check finds none.
    let issues: string[] | undefined;
    if (!this.ownsUser(name)) {
      for (const t of this.#userTables) {
        const e = t.get(name);
        if (e !== undefined) (issues ??= []).push(`${describeLine(t.file, e)} has the same name`);
      }
    }
    for (const e of this.passwd.withId(uid)) {
      if (e.name !== name && !this.ownsUser(e.name)) (issues ??= []).push(`${describeLine('passwd', e)} has the same uid`);
    }
    if (issues === undefined) return null;
    return `user ${name} (uid ${uid}) collides with a line Roster does not own: ${issues.join('; ')}; Roster's line would be /etc/passwd "${readable(wanted.lines.passwd)}"`;
  }

  /** The same for a group whose lines would be named `names`; `wanted.lines` is read only for the message. */
  groupConflict(base: string, gid: number, names: readonly string[], wanted: { readonly lines: GroupLines }): string | null {
    // Made only once there is one: almost every check finds none.
    let issues: string[] | undefined;
    for (const name of names) {
      if (this.ownsGroup(name)) continue;
      for (const t of this.#groupTables) {
        const e = t.get(name);
        if (e !== undefined) (issues ??= []).push(`${describeLine(t.file, e)} has the same name`);
      }
    }
    for (const e of this.group.withId(gid)) {
      if (!names.includes(e.name) && !this.ownsGroup(e.name)) (issues ??= []).push(`${describeLine('group', e)} has the same gid`);
    }
    if (issues === undefined) return null;
    return `group ${base} (gid ${gid}) collides with a line Roster does not own: ${issues.join('; ')}; Roster's line would be /etc/group "${shorten(readable(wanted.lines.group[0] ?? ''))}"`;
  }

  /** Stages the account's lines, rendered only to compare with lines there (a new one's as the files are written). */
  putUser(name: string, account: DesiredAccount): void {
    this.passwd.putFrom(name, account, passwdLine);
    this.shadow.putFrom(name, account, shadowLine);
    this.#claimedUsers.add(name);
  }

  removeUser(name: string): void {
    this.passwd.remove([name]);
    this.shadow.remove([name]);
    this.#droppedUsers.add(name);
  }

  /** Stages the group's lines, named `names` (its `lineNames`); `lines` renders them all, asked only for a group of several lines now or before. */
  putGroup(base: string, group: DesiredGroup, names: readonly string[], render: () => GroupLines): void {
    const old = this.groupFamily(base);
    if (old.length === 1 && names.length === 1) {
      // The common case (a group of one line, staying one line): no lists, the line rendered as the file is written.
      this.group.putFrom(base, group, groupLine);
      this.gshadow.putFrom(base, group, gshadowLine);
      this.#claimedGroups.add(base);
      return;
    }
    const lines = render();
    this.group.replace(old, lines.group);
    this.gshadow.replace(old, lines.gshadow);
    for (const n of lines.names) this.#claimedGroups.add(n);
    for (const n of old) if (!lines.names.includes(n)) this.#droppedGroups.add(n);
  }

  /** Whether a group put staged so far writes the line `name`. */
  claimsGroupLine(name: string): boolean {
    return this.#claimedGroups.has(name);
  }

  removeGroup(base: string): void {
    const old = this.groupFamily(base);
    this.group.remove(old);
    this.gshadow.remove(old);
    for (const n of old) this.#droppedGroups.add(n);
  }

  /** Owned names once the staged edits are written, claimed ones included: written *before* the files, so ownership never lags behind a line Roster wrote. */
  claimedOwnership(): OwnedState | null {
    const newUsers = this.#ownsNone('users') ? this.#claimedUsers.names : unowned(this.#claimedUsers.names, (n) => this.ownsUser(n));
    const newGroups = this.#ownsNone('groups') ? this.#claimedGroups.names : unowned(this.#claimedGroups.names, (n) => this.ownsGroup(n));
    if (newUsers.length === 0 && newGroups.length === 0) return null;
    // Nothing owned yet (a first fill): the new names are the whole list, not copied into another.
    return { users: withOwned(this.#ownedUsers, newUsers), groups: withOwned(this.#ownedGroups, newGroups) };
  }

  /** Whether no name of the kind is owned, known without reading the ownership file (a first fill's state is empty). */
  #ownsNone(list: 'users' | 'groups'): boolean {
    if (this.#owned instanceof OwnedStateFile) return false;
    return (list === 'users' ? this.#ownedUsers : this.#ownedGroups).size === 0;
  }

  /** Whether an edit removed an owned entry, so the ownership state has names to forget. */
  droppedAny(): boolean {
    return this.#droppedUsers.size > 0 || this.#droppedGroups.size > 0;
  }

  /**
   * Owned names after the edits, without those whose lines are gone
   * (removed by an edit, or by hand with userdel); null when no name is, so
   * what is recorded already (the claimed superset, or the file as read)
   * stands. Only the owned names that were not claimed are looked at.
   */
  trimmedOwnership(): OwnedState | null {
    const gone = (owned: ReadonlySet<string>, claimed: ClaimedNames, dropped: ReadonlySet<string>, a: EtcTable, b: EtcTable): Set<string> => {
      const out = new Set<string>();
      for (const n of owned) if (!claimed.has(n) && (dropped.has(n) || !(a.has(n) || b.has(n)))) out.add(n);
      return out;
    };
    const users = gone(this.#ownedUsers, this.#claimedUsers, this.#droppedUsers, this.passwd, this.shadow);
    const groups = gone(this.#ownedGroups, this.#claimedGroups, this.#droppedGroups, this.group, this.gshadow);
    if (users.size === 0 && groups.size === 0) return null;
    const keep = (owned: ReadonlySet<string>, claimed: ClaimedNames, forgotten: ReadonlySet<string>): string[] => [...new Set([...owned, ...claimed.names])].filter((n) => !forgotten.has(n));
    return { users: keep(this.#ownedUsers, this.#claimedUsers, users), groups: keep(this.#ownedGroups, this.#claimedGroups, groups) };
  }
}

/** What a set of names is asked: whether it has one. */
export interface NameSet {
  has(name: string): boolean;
}

/**
 * Names claimed by an apply, in claim order, each once. A plan's changes come
 * in name order, so while every name claimed is greater than the one before,
 * the last one alone tells whether a name was claimed; the first name out of
 * order builds a set. A first fill claims 200,000 names and builds none.
 */
class ClaimedNames implements NameSet {
  readonly #names: string[] = [];
  #set: Set<string> | undefined;

  get names(): readonly string[] {
    return this.#names;
  }

  has(name: string): boolean {
    if (this.#set !== undefined) return this.#set.has(name);
    const last = this.#names[this.#names.length - 1];
    if (last === undefined || last < name) return false;
    this.#set = new Set(this.#names);
    return this.#set.has(name);
  }

  add(name: string): void {
    if (this.has(name)) return;
    this.#names.push(name);
    this.#set?.add(name);
  }
}

/** The claimed names not owned yet, in claim order. */
function unowned(claimed: readonly string[], owns: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const n of claimed) if (!owns(n)) out.push(n);
  return out;
}

function withOwned(owned: ReadonlySet<string>, added: readonly string[]): readonly string[] {
  return owned.size === 0 ? added : [...owned, ...added];
}

/** `/etc/passwd:3 "alice:x:…"`, with password fields of shadow files masked: a hash never goes into a message or log. */
export function describeLine(file: EtcName, e: EtcEntry): string {
  let text = readable(e.text);
  if (file === 'shadow' || file === 'gshadow') {
    const fields = text.split(':');
    if (fields.length > 1) fields[1] = '…';
    text = fields.join(':');
  }
  return `/etc/${file}:${e.line} "${shorten(text)}"`;
}

/** File bytes shown as text (invalid UTF-8 as U+FFFD), for messages only. */
export function readable(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function shorten(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}
