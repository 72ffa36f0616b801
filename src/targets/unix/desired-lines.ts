import type { DesiredAccount, DesiredGroup, DesiredHost } from '../../desired/desired-host.js';
import { accountLineProblem, accountLines, type AccountLines } from './account-lines.js';
import { groupLineProblem, groupLines, type GroupLines } from './group-lines.js';
import type { UnixConfig } from './unix-config.js';

export interface RenderedUser {
  readonly account: DesiredAccount;
  readonly lines: AccountLines;
}

export interface RenderedGroup {
  readonly group: DesiredGroup;
  readonly lines: GroupLines;
}

/**
 * A desired account whose lines are rendered when first asked for. `index`
 * is its place in the desired accounts, so its check is found without
 * looking its name up again.
 */
class LazyUser implements RenderedUser {
  #lines: AccountLines | undefined;
  constructor(
    readonly account: DesiredAccount,
    readonly index: number,
  ) {}

  get lines(): AccountLines {
    this.#lines ??= accountLines(this.account);
    return this.#lines;
  }
}

class LazyGroup implements RenderedGroup {
  #lines: GroupLines | undefined;
  readonly #config: UnixConfig;
  constructor(
    readonly group: DesiredGroup,
    readonly index: number,
    config: UnixConfig,
  ) {
    this.#config = config;
  }

  get lines(): GroupLines {
    this.#lines ??= groupLines(this.group, this.#config.groupLineLimit, this.#config.splitExtension);
    return this.#lines;
  }
}

/** A check passed, or failed (its message then in `problems`); 0 while not made yet. */
const VALID = 1;
const INVALID = 2;

/**
 * The desired state by name, with each entry's check made once: plan checks
 * every entry it writes, and apply (given the same desired state) takes the
 * verdict from here instead of checking again, so both judge the same way.
 * Lines are rendered when asked for and not kept: a plan creating 100,000
 * accounts never renders a line (nothing in the files to compare with), and
 * apply renders each line once, into the file, where it can be forgotten —
 * kept on the desired state, 200,000 lines would outlive plan and apply,
 * copied by every garbage collection in between. A freeze among 100,000
 * accounts renders one.
 */
export class RenderedHost {
  readonly #desired: DesiredHost;
  readonly #config: UnixConfig;
  #accountIndex: Map<string, number> | undefined;
  #groupIndex: Map<string, number> | undefined;
  #accountOrder: boolean | undefined;
  #groupOrder: boolean | undefined;
  /** Per desired account (by index): 0, VALID or INVALID. */
  #userChecks: Uint8Array | undefined;
  #groupChecks: Uint8Array | undefined;
  /** The messages of the entries found INVALID, by name. */
  readonly #userProblems = new Map<string, string>();
  readonly #groupProblems = new Map<string, string>();
  /** Groups whose continuation lines would take another group's name, with why. */
  #clashIndex: Map<string, string> | undefined;

  constructor(desired: DesiredHost, config: UnixConfig) {
    this.#desired = desired;
    this.#config = config;
  }

  /** The desired accounts by username (only names are asked of it). */
  get accounts(): ReadonlyMap<string, unknown> {
    return this.#accounts;
  }

  /**
   * Whether the desired accounts' names are strictly ascending, hence
   * distinct, as the projection sorts them: each account is then walked by
   * its index, and a first fill never builds an index of 100,000 names.
   */
  get #accountsAscending(): boolean {
    this.#accountOrder ??= ascending(this.#desired.accounts, (a) => a.username);
    return this.#accountOrder;
  }

  get #groupsAscending(): boolean {
    this.#groupOrder ??= ascending(this.#desired.groups, (g) => g.name);
    return this.#groupOrder;
  }

  get #accounts(): Map<string, number> {
    if (this.#accountIndex === undefined) {
      const index = new Map<string, number>();
      const list = this.#desired.accounts;
      for (let i = 0; i < list.length; i++) {
        index.set((list[i] as DesiredAccount).username, i);
      }
      this.#accountIndex = index;
    }
    return this.#accountIndex;
  }

  /** The desired groups by name (only names are asked of it). */
  get groups(): ReadonlyMap<string, unknown> {
    return this.#groups;
  }

  /** The desired group names, indexed on the first question: a first fill (no owned continuation lines) asks none. */
  readonly groupNames: { has(name: string): boolean } = { has: (name) => this.#groups.has(name) };

  get #groups(): Map<string, number> {
    if (this.#groupIndex === undefined) {
      const index = new Map<string, number>();
      const list = this.#desired.groups;
      for (let i = 0; i < list.length; i++) {
        index.set((list[i] as DesiredGroup).name, i);
      }
      this.#groupIndex = index;
    }
    return this.#groupIndex;
  }

  get #clashes(): Map<string, string> {
    if (this.#clashIndex !== undefined) return this.#clashIndex;
    const clashes = new Map<string, string>();
    // Continuation line name → the group it belongs to; only groups long enough to split have any.
    const continuations = new Map<string, string>();
    const { groupLineLimit, splitExtension } = this.#config;
    for (const g of this.#desired.groups) {
      // Cheap upper bound first: most groups are far below the limit.
      if (g.members.length === 0 || g.name.length + 16 + g.members.reduce((n, m) => n + m.length + 1, 0) <= groupLineLimit) continue;
      for (const n of groupLines(g, groupLineLimit, splitExtension).names.slice(1)) {
        const other = this.groups.has(n) ? n : continuations.get(n);
        if (other !== undefined) {
          clashes.set(g.name, `group ${g.name}: its continuation line ${n} would clash with group ${other}; change splitExtension or rename the group`);
          break;
        }
        continuations.set(n, g.name);
      }
    }
    this.#clashIndex = clashes;
    return clashes;
  }

  user(name: string): RenderedUser | undefined {
    const i = this.#accounts.get(name);
    return i === undefined ? undefined : new LazyUser(this.#desired.accounts[i] as DesiredAccount, i);
  }

  group(name: string): RenderedGroup | undefined {
    const i = this.#groups.get(name);
    return i === undefined ? undefined : new LazyGroup(this.#desired.groups[i] as DesiredGroup, i, this.#config);
  }

  /** The desired account at `index` of the desired accounts (a change planned for it knows its index). */
  userAt(index: number): RenderedUser | undefined {
    const a = this.#desired.accounts[index];
    return a === undefined ? undefined : new LazyUser(a, index);
  }

  groupAt(index: number): RenderedGroup | undefined {
    const g = this.#desired.groups[index];
    return g === undefined ? undefined : new LazyGroup(g, index, this.#config);
  }

  /** Calls `fn` with every desired account once, in the order of `accounts` (the last of a repeated name, at its first place), with its index. */
  eachUser(fn: (r: RenderedUser, index: number) => void): void {
    const list = this.#desired.accounts;
    if (this.#accountsAscending) {
      for (let i = 0; i < list.length; i++) fn(new LazyUser(list[i] as DesiredAccount, i), i);
      return;
    }
    for (const i of this.#accounts.values()) fn(new LazyUser(list[i] as DesiredAccount, i), i);
  }

  /** Every desired group once, in the order of `groups`. */
  eachGroup(fn: (r: RenderedGroup, index: number) => void): void {
    const list = this.#desired.groups;
    if (this.#groupsAscending) {
      for (let i = 0; i < list.length; i++) fn(new LazyGroup(list[i] as DesiredGroup, i, this.#config), i);
      return;
    }
    for (const i of this.#groups.values()) fn(new LazyGroup(list[i] as DesiredGroup, i, this.#config), i);
  }

  /**
   * Why the entry cannot be written (a field that would break the file); its
   * change then fails. Asked only of entries about to be written: a line
   * already in the file exactly as rendered passed this check when Roster
   * wrote it.
   */
  userProblem(u: RenderedUser): string | null {
    const name = u.account.username;
    const i = u instanceof LazyUser && this.#desired.accounts[u.index] === u.account ? u.index : this.#accounts.get(name);
    // Kept only for the desired account itself, not for another one of the same name.
    if (i === undefined || this.#desired.accounts[i] !== u.account) return accountLineProblem(u.account);
    this.#userChecks ??= new Uint8Array(this.#desired.accounts.length);
    const known = verdict(this.#userChecks, i, this.#userProblems, name);
    return known !== undefined ? known : record(this.#userChecks, i, this.#userProblems, name, accountLineProblem(u.account));
  }

  groupProblem(g: RenderedGroup): string | null {
    const name = g.group.name;
    const i = g instanceof LazyGroup && this.#desired.groups[g.index] === g.group ? g.index : this.#groups.get(name);
    // A scoped plan's shared group is a copy with other members: checked afresh.
    if (i === undefined || this.#desired.groups[i] !== g.group) return groupLineProblem(g.group) ?? this.#clashes.get(name) ?? null;
    this.#groupChecks ??= new Uint8Array(this.#desired.groups.length);
    const known = verdict(this.#groupChecks, i, this.#groupProblems, name);
    return known !== undefined ? known : record(this.#groupChecks, i, this.#groupProblems, name, groupLineProblem(g.group) ?? this.#clashes.get(name) ?? null);
  }
}

/** Whether `key` of each item is greater than the one before (code unit order, as `<`). */
function ascending<T>(list: readonly T[], key: (item: T) => string): boolean {
  for (let i = 1; i < list.length; i++) if (!(key(list[i - 1] as T) < key(list[i] as T))) return false;
  return true;
}

/** The verdict recorded at `i`, or undefined while there is none. */
function verdict(checks: Uint8Array, i: number, problems: ReadonlyMap<string, string>, name: string): string | null | undefined {
  const known = checks[i];
  if (known === VALID) return null;
  return known === INVALID ? (problems.get(name) ?? null) : undefined;
}

function record(checks: Uint8Array, i: number, problems: Map<string, string>, name: string, problem: string | null): string | null {
  checks[i] = problem === null ? VALID : INVALID;
  if (problem !== null) problems.set(name, problem);
  return problem;
}

const renderedOf = new WeakMap<DesiredHost, { readonly config: UnixConfig; readonly rendered: RenderedHost }>();

/**
 * The rendering of `desired`: the same one for plan and apply when both are
 * given the same desired state and settings (as a host's run does), so a
 * whole-host apply does not render and check 100,000 accounts twice. Both
 * are read-only, so what was rendered for them still holds.
 */
export function renderDesired(desired: DesiredHost, config: UnixConfig): RenderedHost {
  const known = renderedOf.get(desired);
  if (known !== undefined && known.config === config) return known.rendered;
  const rendered = new RenderedHost(desired, config);
  renderedOf.set(desired, { config, rendered });
  return rendered;
}
