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

/** A desired account with its lines and their problem, each worked out on first use (then it is its RenderedUser). */
interface UserSlot {
  readonly account: DesiredAccount;
  lines: AccountLines | undefined;
  problem: string | null | undefined;
}

interface GroupSlot {
  readonly group: DesiredGroup;
  lines: GroupLines | undefined;
  problem: string | null | undefined;
}

/**
 * The lines the desired state asks for, by name, rendered on first use and
 * kept: plan renders and checks every entry once, apply (given the same
 * desired state) takes them from here instead of doing it again, and a
 * freeze among 100,000 accounts renders one. Shared by both, so both judge
 * the same bytes.
 */
export class RenderedHost {
  readonly #desired: DesiredHost;
  readonly #config: UnixConfig;
  #accountIndex: Map<string, UserSlot> | undefined;
  #groupIndex: Map<string, GroupSlot> | undefined;
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

  get #accounts(): Map<string, UserSlot> {
    if (this.#accountIndex === undefined) {
      const index = new Map<string, UserSlot>();
      for (const a of this.#desired.accounts) index.set(a.username, { account: a, lines: undefined, problem: undefined });
      this.#accountIndex = index;
    }
    return this.#accountIndex;
  }

  /** The desired groups by name (only names are asked of it). */
  get groups(): ReadonlyMap<string, unknown> {
    return this.#groups;
  }

  get #groups(): Map<string, GroupSlot> {
    if (this.#groupIndex === undefined) {
      const index = new Map<string, GroupSlot>();
      for (const g of this.#desired.groups) index.set(g.name, { group: g, lines: undefined, problem: undefined });
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
    const slot = this.#accounts.get(name);
    if (slot === undefined) return undefined;
    slot.lines ??= accountLines(slot.account);
    return slot as RenderedUser;
  }

  group(name: string): RenderedGroup | undefined {
    const slot = this.#groups.get(name);
    if (slot === undefined) return undefined;
    slot.lines ??= groupLines(slot.group, this.#config.groupLineLimit, this.#config.splitExtension);
    return slot as RenderedGroup;
  }

  /**
   * Why the entry cannot be written (a field that would break the file); its
   * change then fails. Asked only of entries about to be written: a line
   * already in the file exactly as rendered passed this check when Roster
   * wrote it.
   */
  userProblem(u: RenderedUser): string | null {
    // Kept on the slot when `u` is the one user() gave.
    const slot = this.#accounts.get(u.account.username);
    if (slot !== u) return accountLineProblem(u.account);
    if (slot.problem === undefined) slot.problem = accountLineProblem(u.account);
    return slot.problem;
  }

  groupProblem(g: RenderedGroup): string | null {
    // A scoped plan's shared group is a copy with other members: checked afresh.
    const slot = this.#groups.get(g.group.name);
    if (slot !== g) return groupLineProblem(g.group) ?? this.#clashes.get(g.group.name) ?? null;
    if (slot.problem === undefined) slot.problem = groupLineProblem(g.group) ?? this.#clashes.get(g.group.name) ?? null;
    return slot.problem;
  }
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
