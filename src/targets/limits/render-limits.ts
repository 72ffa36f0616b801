import type { DesiredAccount, DesiredHost } from '../../desired/desired-host.js';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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

/** How close the search narrows a user's place before reading it: far more than one user's lines. */
const WINDOW = 64 * 1024;

/**
 * Whether each scoped account's lines already stand in the file at `path`
 * exactly as rendered, as one block (or, wanting none, it has none): then a
 * scoped plan has nothing to do. The file is sorted by username, so each
 * account's place is found by a binary search of a few small reads instead
 * of reading 400,000 lines. False whenever that cannot be told (no file,
 * another header, lines that do not look like Roster's): the caller reads
 * the whole file then.
 */
export function scopedLinesInFile(path: string, desired: DesiredHost, config: LimitsConfig): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    const header = Buffer.from(HEADER);
    const head = Buffer.alloc(header.length);
    if (readSync(fd, head, 0, head.length, 0) !== head.length || !head.equals(header)) return false;
    const wanted = new Map(desired.accounts.map((a) => [a.username, accountLimitLines(a, config)]));
    for (const name of desired.scope ?? []) {
      const place = placeOf(fd, size, header.length, name);
      if (place === null) return false;
      // From the newline before the place to well past it: the whole block, if any, and the line after it.
      const from = place.lo - 1;
      const chunk = Buffer.alloc(Math.min(size, place.hi + WINDOW) - from);
      const got = readSync(fd, chunk, 0, chunk.length, from);
      if (!blockInPlace(chunk.subarray(0, got), name, wanted.get(name) ?? [])) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Narrows where `name`'s first line must start to [lo, hi) (offsets of line
 * starts, hi - lo ≤ WINDOW): every line before lo names a smaller user, and
 * the line at hi (if any) one at least as large. Null when a probe finds no
 * line in Roster's shape.
 */
function placeOf(fd: number, size: number, first: number, name: string): { readonly lo: number; readonly hi: number } | null {
  let lo = first;
  let hi = size;
  const probe = Buffer.alloc(4096);
  while (hi - lo > WINDOW) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const n = readSync(fd, probe, 0, probe.length, mid);
    const newline = probe.subarray(0, n).indexOf(0x0a);
    const tab = newline < 0 ? -1 : probe.subarray(0, n).indexOf(0x09, newline + 1);
    if (tab < 0) return null;
    const start = mid + newline + 1;
    if (start >= hi) return null;
    if (probe.toString('latin1', newline + 1, tab) >= name) hi = start;
    else lo = start;
  }
  return { lo, hi };
}

/** `chunk` starts with the newline before the place; whether the user's lines there are exactly `lines`, and only there. */
function blockInPlace(chunk: Buffer, name: string, lines: readonly string[]): boolean {
  const key = Buffer.from(`\n${name}\t`);
  const block = Buffer.from(lines.map((l) => `\n${l}`).join(''));
  // The chunk reaches well past the last place the user's first line could start: not in it, not in the file.
  const found = chunk.indexOf(key);
  if (found < 0) return block.length === 0;
  const end = found + block.length;
  if (block.length === 0 || !chunk.subarray(found, end).equals(block)) return false;
  // The block ends where the next user's lines (or the file) begin.
  if (end >= chunk.length) return false;
  return chunk[end] === 0x0a && !chunk.subarray(end, end + key.length).equals(key);
}
