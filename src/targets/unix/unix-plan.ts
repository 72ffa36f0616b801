import type { DesiredHost } from '../../desired/desired-host.js';
import { WholeHostNeeded, type Change } from '../target.js';
import { groupCreateWording, groupUpdateWording, userUpdateWording, type ChangeWording } from './change-summary.js';
import { renderDesired, type RenderedGroup, type RenderedHost } from './desired-lines.js';
import { entryId, entryName, joined } from './etc-text.js';
import { continuationBase, groupLines, lineNames, type GroupLines } from './group-lines.js';
import type { UnixConfig } from './unix-config.js';
import { UnixFiles, type UnixSnapshot } from './unix-files.js';

export const UNIX_TARGET = 'unix';

/**
 * A unix change names what to make true, not the bytes to write: apply
 * renders the entry again from the desired state it is given (so no hash is
 * ever part of a plan) and merges it into the files as they are under the lock.
 * The entry's name is the change's subject after `<kind>:`, so the data of a
 * change that is not blocked is one shared object per kind and op: a first
 * fill plans 200,000 changes, and they outlive the plan.
 */
export interface UnixChangeData {
  readonly kind: 'user' | 'group';
  /** `put`: make the entry (and a group's continuation lines) match the desired state; `remove`: delete it, if Roster owns it. */
  readonly op: 'put' | 'remove';
  /** Why the change could not be applied when planned (an invalid field, a collision); apply checks again. */
  readonly blocked: string | null;
}

/**
 * The pure plan (DESIGN.md §1): one change per group and per account whose
 * lines differ from the desired ones, and one per owned entry no longer
 * desired (purged, or its type no longer lives here). Entries Roster does not
 * own are never changed; where one stands in the way the change is still
 * listed, blocked, with both lines named.
 */
export function planUnix(desired: DesiredHost, observed: UnixSnapshot, config: UnixConfig): Change[] {
  const rendered = renderDesired(desired, config);
  const files = new UnixFiles(observed, config.splitExtension, rendered.groupNames);
  const puts: Change[] = [];
  const userRemovals: Change[] = [];
  const groupRemovals: Change[] = [];
  const groupOf = groupResolver(desired, config, rendered, files);

  // `index`: the group's place in the desired groups, -1 for a scoped plan's (whose lines depend on the files).
  const planGroup = (r: RenderedGroup, index: number): void => {
    const g = r.group;
    const owned = files.ownsGroup(g.name);
    // Only an owned group has lines to compare and to word an update from; a new one needs only its line names.
    const family = owned ? files.groupFamily(g.name) : NO_FAMILY;
    if (owned && sameGroupLines(files, family, r.lines)) return;
    const names = owned ? r.lines.names : lineNames(g, config.groupLineLimit, config.splitExtension);
    const invalid = rendered.groupProblem(r);
    const blocked = invalid ?? files.groupConflict(g.name, g.gid, names, r);
    const exists = owned && family.some((n) => files.group.has(n) || files.gshadow.has(n));
    const wording = exists ? groupUpdateWording(g, family.map((n) => files.group.text(n)), r.lines) : groupCreateWording(g, names.length);
    puts.push(change('group', g.name, 'put', wording, blocked, rendered, index));
  };
  if (desired.scope === undefined) rendered.eachGroup(planGroup);
  else for (const name of scopedGroups(desired, files)) planGroup(groupOf(name) ?? unreachable(name), -1);

  rendered.eachUser((r, index) => {
    const a = r.account;
    const passwd = files.passwd.text(a.username);
    const shadow = files.shadow.text(a.username);
    const owned = files.ownsUser(a.username);
    // Lines are rendered only to compare with lines in the files: creating an account needs none.
    if (owned && passwd === r.lines.passwd && shadow === r.lines.shadow) return;
    const invalid = rendered.userProblem(r);
    const blocked = invalid ?? files.userConflict(a.username, a.uid, r);
    const wording: ChangeWording =
      owned && (passwd !== undefined || shadow !== undefined)
        ? userUpdateWording(a, { passwd, shadow }, r.lines)
        : { action: 'create', summary: joined(['create user ', a.username, ' (uid ', a.uid, ')']) };
    puts.push(change('user', a.username, 'put', wording, blocked, rendered, index));
  });

  // A scoped plan names only living accounts: nothing of theirs is removed.
  if (desired.scope !== undefined) return puts;

  for (const name of [...files.ownedUsers].sort()) {
    if (rendered.accounts.has(name)) continue;
    const line = files.passwd.get(name) ?? files.shadow.get(name);
    if (line === undefined) continue;
    const uid = files.passwd.get(name) === undefined ? null : entryId(line.text);
    userRemovals.push(change('user', name, 'remove', { action: 'delete', summary: `delete user ${name}${uid === null ? '' : ` (uid ${uid})`}` }, null, rendered, -1));
  }

  for (const name of [...files.ownedGroups].sort()) {
    if (rendered.groups.has(name)) continue;
    // A continuation line goes with its group: re-trimmed by the group's
    // update, or removed with it.
    const base = continuationBase(name, config.splitExtension);
    if (base !== null && (rendered.groups.has(base) || files.ownsGroup(base))) continue;
    const family = files.groupFamily(name);
    if (!family.some((n) => files.group.has(n) || files.gshadow.has(n))) continue;
    const line = files.group.get(name);
    const gid = line === undefined ? null : entryId(line.text);
    groupRemovals.push(change('group', name, 'remove', { action: 'delete', summary: `delete group ${name}${gid === null ? '' : ` (gid ${gid})`}` }, null, rendered, -1));
  }
  // A first fill removes nothing: its 200,000 changes are not copied into another list.
  if (userRemovals.length === 0 && groupRemovals.length === 0) return puts;
  return [...puts, ...userRemovals, ...groupRemovals];
}

/**
 * The groups a scoped plan writes: the scoped accounts' user-private groups,
 * whose lines depend on nothing else, and the shared groups a scoped account
 * is to join — their lines list accounts outside the scope too, so they are
 * written as they are with the joining accounts added (see groupResolver).
 * Leaving a group needs the whole host (whether the group itself is still
 * wanted depends on accounts outside the scope), and so does a shared group
 * not written yet.
 */
function scopedGroups(desired: DesiredHost, files: UnixFiles): string[] {
  const own = new Set(desired.accounts.filter((a) => a.primaryGroup === a.username).map((a) => a.username));
  const whole = (why: string): never => {
    throw new WholeHostNeeded(UNIX_TARGET, why);
  };
  // Each scoped account's memberships as the file has them: Roster's group
  // lines listing its name between separators (found by searching the bytes).
  const listedIn = new Map<string, Set<string>>();
  for (const m of desired.scope ?? []) {
    const lines = new Set<string>();
    for (const { line, at } of files.group.occurrences(m)) {
      const before = line[at - 1];
      const after = line[at + m.length];
      if ((before !== ':' && before !== ',') || (after !== ',' && after !== undefined)) continue;
      const name = entryName(line);
      if (name !== null && files.ownsGroup(name) && memberList(line).includes(m)) lines.add(name);
    }
    listedIn.set(m, lines);
  }
  const wanted = new Set<string>();
  const joined = new Set<string>();
  for (const g of desired.groups) {
    if (own.has(g.name)) continue;
    const head = files.group.text(g.name);
    if (!files.ownsGroup(g.name) || head === undefined) whole(`group ${g.name} is not written yet`);
    if (entryId(head ?? '') !== g.gid) whole(`group ${g.name} has another gid in /etc/group`);
    // The lines listing the member are asked whether they are the group's,
    // rather than listing the group's lines: a group of every member has
    // hundreds of continuation lines.
    for (const m of g.members) {
      let listed = false;
      for (const n of listedIn.get(m) ?? []) {
        if (!files.inFamily(g.name, n)) continue;
        listed = true;
        wanted.add(`${m}\0${n}`);
      }
      if (!listed) joined.add(g.name);
    }
  }
  for (const [m, lines] of listedIn) {
    for (const n of lines) if (!wanted.has(`${m}\0${n}`)) whole(`${m} is to leave group ${n}`);
  }
  return [...own, ...joined];
}

/**
 * The lines a group should have. For a scoped desired state, a shared group
 * (not a scoped account's own) lists only the scoped accounts that belong to
 * it: its lines are then its members as the file has them, the scoped
 * accounts' memberships made as desired, re-split — exactly the whole-host
 * lines while the rest of the group is as the whole host wants it. Shared by
 * plan and apply, which merges into the files as they are under the lock.
 */
export function groupResolver(desired: DesiredHost, config: UnixConfig, rendered: RenderedHost, files: UnixFiles): (name: string) => RenderedGroup | undefined {
  if (desired.scope === undefined) return (name) => rendered.group(name);
  const scope = new Set(desired.scope);
  const own = new Set(desired.accounts.filter((a) => a.primaryGroup === a.username).map((a) => a.username));
  return (name) => {
    const r = rendered.group(name);
    if (r === undefined || own.has(name)) return r;
    const members = new Set(r.group.members);
    for (const n of files.groupFamily(name)) for (const m of memberList(files.group.text(n) ?? '')) if (!scope.has(m)) members.add(m);
    const group = { ...r.group, members: [...members].sort() };
    return { group, lines: groupLines(group, config.groupLineLimit, config.splitExtension) };
  };
}

/** The members (field 4) of a group line. */
function memberList(line: string): string[] {
  const at = line.lastIndexOf(':');
  return at < 0 || at === line.length - 1 ? [] : line.slice(at + 1).split(',');
}

/** The family of a group Roster does not own: never looked at. */
const NO_FAMILY: readonly string[] = [];

function sameGroupLines(files: UnixFiles, family: readonly string[], lines: GroupLines): boolean {
  if (family.length !== lines.names.length) return false;
  return lines.names.every((n, i) => family[i] === n && files.group.text(n) === lines.group[i] && files.gshadow.text(n) === lines.gshadow[i]);
}

function unreachable(name: string): never {
  // A bare Error on purpose: the plan only looks up names it took from the same desired state, so this is a bug, not a refusal.
  throw new Error(`internal: ${name} vanished from the desired state`);
}

/** The data of every change that is not blocked, by kind and op. */
const UNBLOCKED: Readonly<Record<UnixChangeData['kind'], Readonly<Record<UnixChangeData['op'], UnixChangeData>>>> = {
  user: { put: Object.freeze({ kind: 'user', op: 'put', blocked: null }), remove: Object.freeze({ kind: 'user', op: 'remove', blocked: null }) },
  group: { put: Object.freeze({ kind: 'group', op: 'put', blocked: null }), remove: Object.freeze({ kind: 'group', op: 'remove', blocked: null }) },
};

/**
 * A change as planned, which knows the desired entry it was planned for (its
 * index in the desired accounts or groups, -1 for none) and the rendering it
 * was planned from: apply, given the same rendering, takes the entry by that
 * index rather than by the name in its subject, so a first fill looks up no
 * name. None of this is a property: printed, serialized or copied, the
 * change is what it always was, and such a copy is applied by its subject.
 */
class PlannedChange implements Change {
  readonly target: string;
  readonly action: string;
  readonly subject: string;
  readonly summary: string;
  readonly destructive: boolean;
  readonly data: UnixChangeData;
  readonly #rendered: RenderedHost;
  readonly #index: number;

  constructor(action: string, subject: string, summary: string, destructive: boolean, data: UnixChangeData, rendered: RenderedHost, index: number) {
    // Assigned in the order a change literal has always listed them, which is the order JSON prints them in.
    this.target = UNIX_TARGET;
    this.action = action;
    this.subject = subject;
    this.summary = summary;
    this.destructive = destructive;
    this.data = data;
    this.#rendered = rendered;
    this.#index = index;
  }

  static indexIn(change: Change, rendered: RenderedHost): number {
    return change instanceof PlannedChange && change.#rendered === rendered ? change.#index : -1;
  }
}

/** The index of the desired entry `change` was planned for when it was planned from `rendered`, else -1 (then its subject names the entry). */
export function plannedIndex(change: Change, rendered: RenderedHost): number {
  return PlannedChange.indexIn(change, rendered);
}

function change(kind: 'user' | 'group', name: string, op: 'put' | 'remove', wording: ChangeWording, blocked: string | null, rendered: RenderedHost, index: number): Change {
  const data: UnixChangeData = blocked === null ? UNBLOCKED[kind][op] : { kind, op, blocked };
  const summary = blocked === null ? wording.summary : `${wording.summary} — blocked: ${blocked}`;
  return new PlannedChange(wording.action, joined([kind, name], ':'), summary, op === 'remove', data, rendered, index);
}
