import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import type { DesiredHost } from '../../desired/desired-host.js';
import type { TargetContext, UsageItem } from '../target.js';
import type { HomesConfig } from './homes-config.js';
import { homeProblem, inspectPath, underRoot, type ParentCache } from './path-safety.js';

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** lstat, or null for an entry that went away while it was walked (a member's running program deletes files). */
function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * The disk space a directory tree takes, as `du -s -x -B1` counts it:
 * allocated blocks of every entry, hard links once, symbolic links
 * themselves but never their targets, nothing on another filesystem (a
 * mount inside a home is not the member's). Read synchronously, as the
 * targets read their files: nothing else runs meanwhile.
 */
export function treeBytes(dir: string): number {
  const top = lstatOrNull(dir);
  if (top === null || !top.isDirectory()) return 0;
  const seen = new Set<number>();
  let total = top.blocks * 512;
  const stack = [dir];
  for (let here = stack.pop(); here !== undefined; here = stack.pop()) {
    let names: string[];
    try {
      names = readdirSync(here);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') continue;
      throw e;
    }
    for (const name of names) {
      const path = posix.join(here, name);
      const st = lstatOrNull(path);
      if (st === null || st.dev !== top.dev) continue;
      if (st.nlink > 1 && !st.isDirectory()) {
        if (seen.has(st.ino)) continue;
        seen.add(st.ino);
      }
      total += st.blocks * 512;
      if (st.isDirectory()) stack.push(path);
    }
  }
  return total;
}

/**
 * What each account's home takes on this host (seed SoftwareArchitecturePlans
 * 3.5), frozen or not: the homes the target manages (inside the bases),
 * walked under the root without following a symbolic link. A home that is
 * missing, or reached through a symbolic link, is not measured.
 */
export async function homeUsage(ctx: TargetContext, config: HomesConfig, desired: DesiredHost): Promise<readonly UsageItem[]> {
  const cache: ParentCache = new Map();
  const items: UsageItem[] = [];
  for (const a of desired.accounts) {
    if (homeProblem(a.home, config.base) !== null || inspectPath(ctx.root, a.home, cache).kind !== 'directory') continue;
    items.push({ account: a.username, subject: `home:${a.home}`, bytes: treeBytes(underRoot(ctx.root, a.home)) });
  }
  return Promise.resolve(items);
}
