import type { DesiredAccount, DesiredHost } from '../../desired/desired-host.js';
import { WholeHostNeeded } from '../target.js';
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
  for (const account of desired.accounts) lines.push(...accountLimitLines(account, config));
  return lines.length === 0 ? null : `${HEADER}${lines.join('\n')}\n`;
}

function accountLimitLines(account: DesiredAccount, config: LimitsConfig): string[] {
  const lines: string[] = [];
  const merged: Partial<Record<string, Limit>> = { ...config.perHost, ...(config.perType[account.type] ?? {}) };
  for (const item of LIMIT_ITEMS) {
    const limit = merged[item];
    if (limit === undefined) continue;
    if (limit.soft !== undefined) lines.push(`${account.username}\tsoft\t${item}\t${limit.soft}`);
    if (limit.hard !== undefined) lines.push(`${account.username}\thard\t${item}\t${limit.hard}`);
  }
  return lines;
}

/**
 * The file a whole-host render would give, from the file as it is and a
 * scoped desired state (`DesiredHost.scope`): the scoped accounts' lines
 * replaced, everyone else's kept, in username order. Null when no line is
 * left. Throws WholeHostNeeded when the file is not one Roster rendered.
 */
export function mergeScopedLimits(desired: DesiredHost, current: string | null, config: LimitsConfig, target: string): string | null {
  if (current === null || !current.startsWith(HEADER) || !current.endsWith('\n')) throw new WholeHostNeeded(target, `${config.path} is not written yet`);
  const scope = new Set(desired.scope);
  const others = current.slice(HEADER.length, -1).split('\n').filter((l) => l !== '' && !scope.has(l.slice(0, l.indexOf('\t'))));
  const mine = desired.accounts.map((a) => ({ name: a.username, lines: accountLimitLines(a, config) }));
  const out: string[] = [];
  let k = 0;
  for (const line of others) {
    const name = line.slice(0, line.indexOf('\t'));
    for (; k < mine.length && (mine[k]?.name ?? '') < name; k++) out.push(...(mine[k]?.lines ?? []));
    out.push(line);
  }
  for (; k < mine.length; k++) out.push(...(mine[k]?.lines ?? []));
  return out.length === 0 ? null : `${HEADER}${out.join('\n')}\n`;
}

/**
 * Whether each scoped account's lines already stand in the file exactly as
 * rendered, as one block (or, wanting none, it has none): then a scoped plan
 * has nothing to do, found by searching the bytes without decoding 400,000
 * lines.
 */
export function scopedLinesInPlace(desired: DesiredHost, bytes: Buffer | null, config: LimitsConfig): boolean {
  if (bytes === null || !bytes.subarray(0, HEADER.length).equals(Buffer.from(HEADER))) return false;
  const wanted = new Map(desired.accounts.map((a) => [a.username, accountLimitLines(a, config)]));
  for (const name of desired.scope ?? []) {
    const block = Buffer.from((wanted.get(name) ?? []).map((l) => `\n${l}`).join(''));
    const key = Buffer.from(`\n${name}\t`);
    const found: number = bytes.indexOf(key, HEADER.length - 1);
    if (found < 0) {
      if (block.length > 0) return false;
      continue;
    }
    // Exactly the block, then the next user's line (or the end), and no second block further on.
    const end = found + block.length;
    if (!bytes.subarray(found, end).equals(block) || bytes[end] !== 0x0a || bytes.indexOf(key, end) >= 0) return false;
    if (end + 1 < bytes.length && bytes.subarray(end + 1, end + key.length).equals(key.subarray(1))) return false;
  }
  return true;
}
