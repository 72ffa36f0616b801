import { rm } from 'node:fs/promises';
import type { DesiredHost } from '../../desired/desired-host.js';
import { errorMessage } from '../../domain/errors.js';
import { readBytesIfExists } from '../../system/read-text-if-exists.js';
import { rootedPath } from '../../system/rooted-path.js';
import { writeFileAtomic } from '../../system/write-file-atomic.js';
import { defineTarget, type Change, type ChangeResult, type TargetContext } from '../target.js';
import { limitsConfigSchema, type LimitsConfig } from './limits-config.js';
import { mergeScopedLimits, renderLimits, scopedLinesInFile } from './render-limits.js';

export interface LimitsObserved {
  /** The file's bytes as seen on the host, or null when absent (decoded only when compared whole). */
  readonly bytes: Buffer | null;
  /** Set for a scoped desired state whose accounts' lines were found in place (then `bytes` is not read). */
  readonly scopedInPlace?: true;
}

interface LimitsChangeData {
  readonly path: string;
  /** The new text, or null to remove the file. */
  readonly content: string | null;
}

const NAME = 'limits';

/**
 * `/etc/security/limits.d/roster.conf` (DESIGN.md §4, seed 001 "ulimits per
 * host"): a file Roster owns whole, rendered from the host's and the account
 * types' limits. One change per run at most: the file is written in one
 * atomic rename, so a session never sees half of it.
 */
export const limitsTarget = defineTarget<LimitsConfig, LimitsObserved>({
  name: NAME,
  hostSettings: limitsConfigSchema,

  async observe(ctx: TargetContext, config: LimitsConfig, desired: DesiredHost): Promise<LimitsObserved> {
    const path = rootedPath(ctx.root, config.path);
    // A scoped apply looks up its accounts' lines alone; only when they differ is the whole file read.
    if (desired.scope !== undefined && scopedLinesInFile(path, desired, config)) return { bytes: null, scopedInPlace: true };
    return { bytes: readBytesIfExists(path) };
  },

  plan(desired: DesiredHost, observed: LimitsObserved, config: LimitsConfig): readonly Change[] {
    if (observed.scopedInPlace === true) return [];
    const current = observed.bytes === null ? null : observed.bytes.toString('utf8');
    const content = desired.scope === undefined ? renderLimits(desired, config) : mergeScopedLimits(desired, current, config, NAME);
    if (content === current) return [];
    const data: LimitsChangeData = { path: config.path, content };
    if (content === null) {
      return [{ target: NAME, action: 'delete', subject: `file:${config.path}`, summary: `remove ${config.path} (no account on this host has limits)`, destructive: false, data }];
    }
    const users = new Set(content.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('\t')[0]));
    return [{ target: NAME, action: observed.bytes === null ? 'create' : 'update', subject: `file:${config.path}`, summary: `write ${config.path}: limits for ${users.size} account(s)`, destructive: false, data }];
  },

  async apply(ctx: TargetContext, _config: LimitsConfig, changes: readonly Change[]): Promise<readonly ChangeResult[]> {
    const results: ChangeResult[] = [];
    for (const change of changes) {
      const data = change.data as LimitsChangeData;
      try {
        const path = rootedPath(ctx.root, data.path);
        if (data.content === null) await rm(path, { force: true });
        else await writeFileAtomic(path, data.content, { mode: 0o644 });
        results.push({ change, ok: true });
      } catch (e) {
        results.push({ change, ok: false, error: `${data.path}: ${errorMessage(e)}` });
      }
    }
    return results;
  },
});
