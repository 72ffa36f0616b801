import type { DesiredGroup } from '../../desired/desired-host.js';
import { isUnixName } from './account-lines.js';
import { joined } from './etc-text.js';

/**
 * The lines of one group: the group itself and, when its member list does not
 * fit in `limit` bytes, continuation groups `<group>-<ext><n>` with the same
 * GID (RATS internals 3), so every line stays below the limit while the
 * kernel, which only looks at GIDs, sees one group. gshadow mirrors the
 * split: its line for each name lists the same members.
 */
export interface GroupLines {
  readonly names: readonly string[];
  readonly group: readonly string[];
  readonly gshadow: readonly string[];
}

export function continuationName(base: string, ext: string, n: number): string {
  return `${base}-${ext}${n}`;
}

const NUMBER = /^[1-9][0-9]*$/;

/** The base group of a continuation name, or null when `name` is not shaped like one. */
export function continuationBase(name: string, ext: string): string | null {
  const marker = `-${ext}`;
  const at = name.lastIndexOf(marker);
  if (at <= 0) return null;
  return NUMBER.test(name.slice(at + marker.length)) ? name.slice(0, at) : null;
}

/**
 * Packs members greedily in their (sorted) order. Recomputed from scratch on
 * every change, so a group that shrinks loses its surplus continuation lines
 * ("re-trimmed on every change"). A single member longer than a whole line
 * still gets a line of its own rather than being dropped.
 */
export function groupLines(g: DesiredGroup, limit: number, ext: string): GroupLines {
  const all = g.members.join(',');
  if (fitsOneLine(g, all.length, limit)) {
    return { names: [g.name], group: [groupLine(g, all)], gshadow: [gshadowLine(g, all)] };
  }
  const names: string[] = [];
  const group: string[] = [];
  const gshadow: string[] = [];
  let members: string[] = [];
  let length: number;
  const flush = (): void => {
    const name = names.length === 0 ? g.name : continuationName(g.name, ext, names.length);
    names.push(name);
    group.push(`${name}:x:${g.gid}:${members.join(',')}`);
    gshadow.push(`${name}:!::${members.join(',')}`);
    members = [];
  };
  const header = (): number => (names.length === 0 ? g.name : continuationName(g.name, ext, names.length)).length + `:x:${g.gid}:`.length;
  length = header();
  for (const m of g.members) {
    const extra = (members.length === 0 ? 0 : 1) + m.length;
    if (members.length > 0 && length + extra > limit) {
      flush();
      length = header();
      members.push(m);
      length += m.length;
      continue;
    }
    members.push(m);
    length += extra;
  }
  flush();
  return { names, group, gshadow };
}

function fitsOneLine(g: DesiredGroup, membersLength: number, limit: number): boolean {
  return g.name.length + digitCount(g.gid) + 4 + membersLength <= limit;
}

/** `String(n).length`, counted without making the string for a whole number (asked twice of each of 100,000 groups). */
function digitCount(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) return String(n).length;
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return digits;
}

/**
 * The names of `groupLines(g, limit, ext)`, rendering nothing for a group
 * of one line: a plan creating 100,000 user-private groups needs their
 * names only (to look for collisions), apply writes their lines.
 */
export function lineNames(g: DesiredGroup, limit: number, ext: string): readonly string[] {
  let membersLength = Math.max(0, g.members.length - 1);
  for (const m of g.members) membersLength += m.length;
  if (fitsOneLine(g, membersLength, limit)) return [g.name];
  return groupLines(g, limit, ext).names;
}

/**
 * The group line of a group written as one line (`lineNames` gives one
 * name): whether it fits or is one member longer than a line, it is the
 * group with all its members. Apply renders it as it writes the file.
 */
export function groupLine(g: DesiredGroup, members = g.members.join(',')): string {
  return joined([g.name, 'x', g.gid, members], ':');
}

export function gshadowLine(g: DesiredGroup, members = g.members.join(',')): string {
  return joined([g.name, '!', '', members], ':');
}

export function groupLineProblem(g: DesiredGroup): string | null {
  // The message is built only for a group that has a problem: most have none.
  if (isUnixName(g.name) && Number.isInteger(g.gid) && g.gid >= 0 && g.gid <= 4_294_967_294 && g.members.every(isUnixName)) return null;
  const where = `group ${JSON.stringify(g.name)}`;
  if (!isUnixName(g.name)) return `${where}: not a valid Unix group name`;
  if (!Number.isInteger(g.gid) || g.gid < 0 || g.gid > 4_294_967_294) return `${where}: gid ${g.gid} is not an integer from 0 to 4294967294`;
  for (const m of g.members) if (!isUnixName(m)) return `${where}: member ${JSON.stringify(m)} is not a valid Unix name`;
  return null;
}
