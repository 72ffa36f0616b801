import type { DesiredHost } from '../../desired/desired-host.js';
import { readTextIfExists } from '../../system/read-text-if-exists.js';
import { rootedPath } from '../../system/rooted-path.js';
import { disabledFor } from '../disabled-for.js';
import { defineTarget, type Change, type ChangeResult, type TargetContext } from '../target.js';
import { applyListFileChanges, listFileChange, managedNames } from '../user-list-file.js';
import { loginCheck } from './login-check.js';
import { loginConfigSchema, type LoginConfig } from './login-config.js';

export interface LoginObserved {
  readonly frozen: string | null;
  /** Only read when `noLoginPath` is configured. */
  readonly noLogin: string | null;
}

const NAME = 'login';
/** The service name a freeze disables unless `freeze.keep` lists it. */
const SERVICE = 'login';

/**
 * PAM list files for pam_listfile (DESIGN.md §4): accounts whose login is
 * disabled by a hold, and optionally those whose type may not log into this
 * host. Both files always exist after apply, so `onerr=succeed` in the PAM
 * line only ever covers a broken disk, never "Roster has not run yet".
 */
export const loginTarget = defineTarget<LoginConfig, LoginObserved>({
  name: NAME,
  hostSettings: loginConfigSchema,
  doctor: loginCheck,
  // A freeze turns login off unless freeze.keep lists it.
  services: [SERVICE],

  async observe(ctx: TargetContext, config: LoginConfig): Promise<LoginObserved> {
    return {
      frozen: await readTextIfExists(rootedPath(ctx.root, config.path)),
      noLogin: config.noLoginPath === undefined ? null : await readTextIfExists(rootedPath(ctx.root, config.noLoginPath)),
    };
  },

  plan(desired: DesiredHost, observed: LoginObserved, config: LoginConfig): readonly Change[] {
    const managed = managedNames(desired);
    const changes: Change[] = [];
    const frozen = desired.accounts.filter((a) => disabledFor(a, SERVICE, desired.freezeKeep)).map((a) => a.username);
    const c1 = listFileChange(NAME, config.path, observed.frozen, managed, frozen, { ensureExists: true, what: 'login disabled' });
    if (c1 !== null) changes.push(c1);
    if (config.noLoginPath !== undefined) {
      const elsewhere = desired.accounts.filter((a) => !a.canLogin).map((a) => a.username);
      const c2 = listFileChange(NAME, config.noLoginPath, observed.noLogin, managed, elsewhere, { ensureExists: true, what: 'may not log into this host' });
      if (c2 !== null) changes.push(c2);
    }
    return changes;
  },

  apply(ctx: TargetContext, _config: LoginConfig, changes: readonly Change[]): Promise<readonly ChangeResult[]> {
    return applyListFileChanges(ctx.root, changes);
  },
});
