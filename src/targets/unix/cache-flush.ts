import { execFile, type ExecFileOptions } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { errorMessage } from '../../domain/errors.js';
import type { TargetContext } from '../target.js';

/** execFile as a promise, made when called: the startup snapshot (src/cli/snapshot-entry.ts) loads node:child_process only on first use. */
function run(file: string, args: readonly string[], options: ExecFileOptions = {}): Promise<unknown> {
  return promisify(execFile)(file, args, options);
}

/** The programs, by absolute path, so PATH cannot pick another; the Debian locations of nscd and sssd-tools. */
export const NSCD = '/usr/sbin/nscd';
export const SSS_CACHE = '/usr/sbin/sss_cache';

/**
 * What shadow-utils runs after it changes the files (nscd_flush_cache,
 * sssd_flush_cache): `nscd -i passwd`, `nscd -i group`, `sss_cache -E` —
 * each only if installed, and only when the root is the host's own `/`: under
 * a prefix the files are not the ones those caches serve.
 */
export function cacheFlushCommands(root: string, enabled: boolean, installed: (program: string) => boolean): ReadonlyArray<readonly [string, ...string[]]> {
  if (!enabled || resolve(root) !== '/') return [];
  const commands: Array<readonly [string, ...string[]]> = [];
  if (installed(NSCD)) commands.push([NSCD, '-i', 'passwd'], [NSCD, '-i', 'group']);
  if (installed(SSS_CACHE)) commands.push([SSS_CACHE, '-E']);
  return commands;
}

export async function flushCaches(ctx: TargetContext, enabled: boolean): Promise<void> {
  const found = new Set<string>();
  for (const program of [NSCD, SSS_CACHE]) {
    if (await access(program, constants.X_OK).then(() => true, () => false)) found.add(program);
  }
  for (const [program, ...args] of cacheFlushCommands(ctx.root, enabled, (p) => found.has(p))) {
    try {
      await run(program, args, { timeout: 10_000 });
    } catch (e) {
      // A cache that is not running has nothing to flush; the files are written either way.
      ctx.log.warn(`${program} ${args.join(' ')} failed: ${errorMessage(e).split('\n')[0] ?? ''}`);
    }
  }
}
