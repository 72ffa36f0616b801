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
 * The lines the desired state asks for, by name, rendered on first use:
 * plan renders every entry once, apply only those its changes name (a
 * freeze among 100,000 accounts renders one). Shared by both, so both
 * judge the same bytes.
 */
export class RenderedHost {
  readonly #desired: DesiredHost;
  readonly #config: UnixConfig;
  #accountIndex: Map<string, DesiredAccount> | undefined;
  #groupIndex: Map<string, DesiredGroup> | undefined;
  /** Groups whose continuation lines would take another group's name, with why. */
  #clashIndex: Map<string, string> | undefined;

  constructor(desired: DesiredHost, config: UnixConfig) {
    this.#desired = desired;
    this.#config = config;
  }

  get accounts(): ReadonlyMap<string, DesiredAccount> {
    this.#accountIndex ??= new Map(this.#desired.accounts.map((a) => [a.username, a]));
    return this.#accountIndex;
  }

  get groups(): ReadonlyMap<string, DesiredGroup> {
    this.#groupIndex ??= new Map(this.#desired.groups.map((g) => [g.name, g]));
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
    const account = this.accounts.get(name);
    return account === undefined ? undefined : { account, lines: accountLines(account) };
  }

  group(name: string): RenderedGroup | undefined {
    const group = this.groups.get(name);
    return group === undefined ? undefined : { group, lines: groupLines(group, this.#config.groupLineLimit, this.#config.splitExtension) };
  }

  /**
   * Why the entry cannot be written (a field that would break the file); its
   * change then fails. Asked only of entries about to be written: a line
   * already in the file exactly as rendered passed this check when Roster
   * wrote it.
   */
  userProblem(u: RenderedUser): string | null {
    return accountLineProblem(u.account);
  }

  groupProblem(g: RenderedGroup): string | null {
    return groupLineProblem(g.group) ?? this.#clashes.get(g.group.name) ?? null;
  }
}

export function renderDesired(desired: DesiredHost, config: UnixConfig): RenderedHost {
  return new RenderedHost(desired, config);
}
