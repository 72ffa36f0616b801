import type { DesiredHost } from '../../desired/desired-host.js';
import { readTextIfExists } from '../../system/read-text-if-exists.js';
import { rootedPath } from '../../system/rooted-path.js';
import { disabledFor } from '../disabled-for.js';
import { defineTarget, WholeHostNeeded, type Change, type ChangeResult, type TargetContext } from '../target.js';
import { applyListFileChanges, listFileChange, managedNames } from '../user-list-file.js';
import { cronCheck } from './cron-check.js';
import { cronConfigSchema, type CronConfig } from './cron-config.js';

export interface CronObserved {
  /** cron.allow or cron.deny as found, or null when absent. */
  readonly content: string | null;
}

const NAME = 'cron';
/** The service name a freeze disables unless `freeze.keep` lists it. */
const SERVICE = 'cron';

/** Who must be listed: the frozen in deny mode; in allow mode, everyone else who may log in here. */
export function cronListed(desired: DesiredHost, config: CronConfig): string[] {
  return desired.accounts
    .filter((a) => {
      const off = disabledFor(a, SERVICE, desired.freezeKeep);
      return config.mode === 'deny' ? off : a.canLogin && !off;
    })
    .map((a) => a.username);
}

/**
 * cron.allow / cron.deny (DESIGN.md §4): Roster's lines name its accounts,
 * every other line is the admin's and kept in place. Unfreezing removes
 * exactly the lines freezing added.
 */
export const cronTarget = defineTarget<CronConfig, CronObserved>({
  name: NAME,
  hostSettings: cronConfigSchema,
  doctor: cronCheck,
  // A freeze turns cron off unless freeze.keep lists it.
  services: [SERVICE],

  async observe(ctx: TargetContext, config: CronConfig): Promise<CronObserved> {
    return { content: await readTextIfExists(rootedPath(ctx.root, config.path)) };
  },

  plan(desired: DesiredHost, observed: CronObserved, config: CronConfig): readonly Change[] {
    // A new cron.allow shuts out everyone it does not list, so it is written for the whole host.
    if (desired.scope !== undefined && config.mode === 'allow' && observed.content === null) throw new WholeHostNeeded(NAME, `${config.path} is not written yet`);
    const change = listFileChange(NAME, config.path, observed.content, managedNames(desired), cronListed(desired, config), {
      // Without cron.allow everyone may use crontab, frozen accounts included.
      ensureExists: config.mode === 'allow',
      what: config.mode === 'deny' ? 'denied crontab' : 'allowed crontab',
      scopedAllowList: desired.scope !== undefined && config.mode === 'allow',
    });
    return change === null ? [] : [change];
  },

  apply(ctx: TargetContext, _config: CronConfig, changes: readonly Change[]): Promise<readonly ChangeResult[]> {
    return applyListFileChanges(ctx.root, changes);
  },
});
