import type { DesiredHost } from '../../desired/desired-host.js';
import { readTextIfExists } from '../../system/read-text-if-exists.js';
import { rootedPath } from '../../system/rooted-path.js';
import { disabledFor } from '../disabled-for.js';
import { defineTarget, WholeHostNeeded, type Change, type ChangeResult, type TargetContext, type VerifyFailure } from '../target.js';
import { applyListFileChanges, listFileChange, managedNames, type ListFileChangeData } from '../user-list-file.js';
import { userListConfigSchema, type UserListConfig, type UserListEntry } from './user-list-config.js';

export interface UserListObserved {
  /** Each configured list's file as found (null when absent), in the order of `lists`. */
  readonly contents: ReadonlyArray<string | null>;
}

const NAME = 'user-list';

/** Who a list must name: in deny mode the accounts whose service is off; in allow mode every other account living here. */
export function listedAccounts(desired: DesiredHost, list: UserListEntry): string[] {
  return desired.accounts.filter((a) => disabledFor(a, list.service, desired.freezeKeep) === (list.mode === 'deny')).map((a) => a.username);
}

/** The managed lines of a list file (those naming an account Roster manages here), sorted. */
function managedLines(text: string, managed: ReadonlySet<string>): string[] {
  return [...new Set(text.split('\n').map((l) => l.trim()).filter((n) => managed.has(n)))].sort();
}

/**
 * Other tools' user lists (seed MemberFreezing 1.2 "remove tool access"):
 * vsftpd's `user_list`, Webmin's and Usermin's deny lists, a domain tool's
 * ACL — one username per line. Each list stands for a service: a freeze
 * lists the member in a deny list, or takes them out of an allow list,
 * unless `freeze.keep` names that service (a retirement reaches every
 * service). Roster's lines name its accounts; every other line is the
 * admin's and stays byte for byte in place (DESIGN.md §4), and the lists
 * are rendered from the holds, so an unfreeze restores each file exactly.
 */
export const userListTarget = defineTarget<UserListConfig, UserListObserved>({
  name: NAME,
  // Touches only the tools' own list files: applied at the same time as the service targets next to it.
  concurrent: true,
  hostSettings: userListConfigSchema,
  // Each list's service, as configured: freeze.keep may name it.
  servicesOf: (config) => [...new Set(config.lists.map((l) => l.service))],

  async observe(ctx: TargetContext, config: UserListConfig): Promise<UserListObserved> {
    const contents: Array<string | null> = [];
    for (const list of config.lists) contents.push(await readTextIfExists(rootedPath(ctx.root, list.path)));
    return { contents };
  },

  plan(desired: DesiredHost, observed: UserListObserved, config: UserListConfig): readonly Change[] {
    const managed = managedNames(desired);
    const changes: Change[] = [];
    config.lists.forEach((list, i) => {
      const content = observed.contents[i] ?? null;
      // A new allow list shuts out everyone it does not name, so it is first written for the whole host.
      if (desired.scope !== undefined && list.mode === 'allow' && content === null) throw new WholeHostNeeded(NAME, `${list.path} is not written yet`);
      // Both modes keep the file in place: an absent deny list would fall back to the tool's own default,
      // which for some (vsftpd with userlist_deny=NO) is "nobody", for others "everybody".
      const change = listFileChange(NAME, list.path, content, managed, listedAccounts(desired, list), {
        ensureExists: true,
        what: `${list.service} ${list.mode === 'deny' ? 'denied' : 'allowed'}`,
        scopedAllowList: desired.scope !== undefined && list.mode === 'allow',
      });
      if (change !== null) changes.push(change);
    });
    return changes;
  },

  apply(ctx: TargetContext, _config: UserListConfig, changes: readonly Change[]): Promise<readonly ChangeResult[]> {
    return applyListFileChanges(ctx.root, changes);
  },

  /** Reads each written file back: its managed lines must be exactly the names the change meant to leave there. */
  async verify(ctx: TargetContext, _config: UserListConfig, results: readonly ChangeResult[], desired: DesiredHost): Promise<readonly VerifyFailure[]> {
    const managed = managedNames(desired);
    const failures: VerifyFailure[] = [];
    for (const { change } of results) {
      const data = change.data as ListFileChangeData;
      const text = await readTextIfExists(rootedPath(ctx.root, data.path));
      if (text === null) {
        failures.push({ change, error: `${data.path} is missing` });
        continue;
      }
      const want = managedLines(data.content, managed);
      const found = managedLines(text, managed);
      if (want.join('\n') !== found.join('\n')) {
        const extra = found.filter((n) => !want.includes(n));
        const missing = want.filter((n) => !found.includes(n));
        const parts = [missing.length > 0 ? `lacks ${missing.join(', ')}` : '', extra.length > 0 ? `also names ${extra.join(', ')}` : ''].filter((p) => p !== '');
        failures.push({ change, error: `${data.path} ${parts.join(' and ')}` });
      }
    }
    return failures;
  },
});
