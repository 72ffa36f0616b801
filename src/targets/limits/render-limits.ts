import type { DesiredHost } from '../../desired/desired-host.js';
import { LIMIT_ITEMS, type Limit, type LimitsConfig } from './limits-config.js';

const HEADER = `# Written by Roster (limits target); edits here are overwritten.
# Per-host and per-type pam_limits for each account on this host, one line per
# user (limits.conf(5): domain type item value). Local limits belong in
# another file under limits.d.
`;

/**
 * The whole of roster.conf, or null when no account gets a limit (then the
 * file should not exist). Lines are per username rather than `@group`:
 * an account type is not a Unix group (types share groups, and a
 * user-private primary group says nothing about the type), and pam_limits
 * ranks user lines above group lines, so a local `@group` rule cannot
 * silently override these. Disabled accounts keep their limits (DESIGN.md §4).
 */
export function renderLimits(desired: DesiredHost, config: LimitsConfig): string | null {
  const lines: string[] = [];
  for (const account of desired.accounts) {
    const merged: Partial<Record<string, Limit>> = { ...config.perHost, ...(config.perType[account.type] ?? {}) };
    for (const item of LIMIT_ITEMS) {
      const limit = merged[item];
      if (limit === undefined) continue;
      if (limit.soft !== undefined) lines.push(`${account.username}\tsoft\t${item}\t${limit.soft}`);
      if (limit.hard !== undefined) lines.push(`${account.username}\thard\t${item}\t${limit.hard}`);
    }
  }
  return lines.length === 0 ? null : `${HEADER}${lines.join('\n')}\n`;
}
