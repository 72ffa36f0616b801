import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { DesiredAccount, DesiredHost } from '../../desired/desired-host.js';
import { errorMessage } from '../../domain/errors.js';
import { rootedPath } from '../../system/rooted-path.js';
import { defineTarget, targetEntry, WholeHostNeeded, type Change, type ChangeResult, type TargetContext } from '../target.js';
import { hooksConfigSchema, type HooksConfig } from './hooks-config.js';
import { hooksEntrySchema, hooksTypeSettingsSchema, type HooksEntry } from './hooks-type-settings.js';
import { CreatedLog, readCreated, type CreatedRecord } from './hooks-state.js';
import { runHook } from './run-hook.js';

const NAME = 'hooks';

export interface HooksObserved {
  /** Accounts whose creation was handled; null before the first run on this host. */
  readonly created: ReadonlyMap<string, { readonly uid: number }> | null;
  /** Usernames in the root's /etc/passwd, read only when `created` is null (adoption). */
  readonly passwd: ReadonlySet<string>;
}

/** What a hook is told about its account (never the password field). */
type HookAccount = Pick<DesiredAccount, 'username' | 'uid' | 'gid' | 'primaryGroup' | 'groups' | 'home' | 'shell' | 'type' | 'personId'>;

type HooksChangeData =
  | { readonly kind: 'run'; readonly event: 'create' | 'ensure'; readonly argv: readonly string[]; readonly timeoutSeconds: number; readonly account: HookAccount }
  | { readonly kind: 'remember'; readonly records: ReadonlyArray<Omit<CreatedRecord, 'at'>> };

async function passwdNames(root: string): Promise<Set<string>> {
  try {
    const text = await readFile(rootedPath(root, '/etc/passwd'), 'utf8');
    return new Set(text.split('\n').map((l) => l.split(':')[0] ?? '').filter((n) => n !== ''));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw e;
  }
}

/** What a hook learns about its account, as environment variables (no shell ever sees them). */
export function hookEnvironment(a: HookAccount, event: 'create' | 'ensure', ctx: Pick<TargetContext, 'host' | 'root'>, config: HooksConfig): Record<string, string> {
  return {
    ...config.environment,
    PATH: config.path,
    ROSTER_EVENT: event,
    ROSTER_USERNAME: a.username,
    ROSTER_UID: String(a.uid),
    ROSTER_GID: String(a.gid),
    ROSTER_GROUP: a.primaryGroup,
    ROSTER_GROUPS: a.groups.join(','),
    // The home as the host sees it; under a root prefix the files are at ROSTER_ROOT + ROSTER_HOME.
    ROSTER_HOME: a.home,
    ROSTER_SHELL: a.shell,
    ROSTER_TYPE: a.type,
    ROSTER_PERSON_ID: a.personId,
    ROSTER_HOST: ctx.host,
    ROSTER_ROOT: ctx.root,
  };
}

/** The account's hooks (its type's `targets.hooks`). */
const hooksOf = targetEntry<HooksEntry>(NAME, () => hooksTypeSettingsSchema.parse({}));

function runChange(a: DesiredAccount, event: 'create' | 'ensure', argv: readonly string[]): Change {
  const which = event === 'create' ? 'onCreate' : 'onEnsure';
  return {
    target: NAME,
    action: 'run-hook',
    subject: `user:${a.username}`,
    account: a.username,
    summary: `run ${which} for ${a.username}: ${argv.join(' ')}`,
    destructive: false,
    ...(event === 'ensure' ? { recurring: true } : {}),
    data: {
      kind: 'run',
      event,
      argv,
      timeoutSeconds: hooksOf(a).timeoutSeconds,
      account: { username: a.username, uid: a.uid, gid: a.gid, primaryGroup: a.primaryGroup, groups: a.groups, home: a.home, shell: a.shell, type: a.type, personId: a.personId },
    } satisfies HooksChangeData,
  };
}

/**
 * Admin hooks (RATS step 16, DESIGN.md §3): a type's `onCreate` runs once for
 * a new account and before `onEnsure`, which runs on every apply (a
 * recurring change: shown and run, but not drift). Both wait while the
 * account is disabled: nothing is set up for a frozen or retired account,
 * and a new account that starts frozen gets its onCreate when first enabled.
 *
 * "New" is decided by a per-host state file of the accounts whose creation
 * was handled, written as each onCreate succeeds: a failed onCreate is
 * retried on the next apply, one that succeeded never runs again, and a
 * restored account (same username and UID) is not new. When the file does
 * not exist yet, accounts already in /etc/passwd are adopted rather than
 * treated as new, so enabling hooks on a running host runs no onCreate for
 * its old members.
 *
 * This target runs after those that make the account (see `after`).
 */
export const hooksTarget = defineTarget<HooksConfig, HooksObserved, HooksEntry>({
  name: NAME,
  hostSettings: hooksConfigSchema,
  typeSettings: hooksTypeSettingsSchema,
  movedTypeKeys: { hooks: 'hooks' },
  entry: hooksEntrySchema,
  // onCreate runs at the end of account creation (RATS step 16), when the
  // home, the passwd entry, the quota and the limits are in place.
  after: ['homes', 'unix', 'quota', 'limits'],

  async observe(ctx: TargetContext, config: HooksConfig, desired: DesiredHost): Promise<HooksObserved> {
    const path = rootedPath(ctx.root, config.stateFile);
    // Only enabled accounts can have a hook to run or a creation to record; a
    // scoped apply of disabled ones (a freeze) needs no more than whether the file exists.
    if (desired.scope !== undefined && desired.accounts.every((a) => a.disabled)) return { created: existsSync(path) ? new Map() : null, passwd: new Set() };
    const created = await readCreated(path, desired.scope);
    return { created, passwd: created === null ? await passwdNames(ctx.root) : new Set() };
  },

  plan(desired: DesiredHost, observed: HooksObserved, config: HooksConfig): readonly Change[] {
    // Adoption records every account already in /etc/passwd, so it is done for the whole host at once.
    if (desired.scope !== undefined && observed.created === null) throw new WholeHostNeeded(NAME, `${config.stateFile} is not written yet`);
    const changes: Change[] = [];
    const remember: Array<Omit<CreatedRecord, 'at'>> = [];
    for (const a of desired.accounts) {
      const known = observed.created?.get(a.username);
      const isNew = known === undefined || known.uid !== a.uid;
      if (isNew && observed.created === null && observed.passwd.has(a.username)) {
        remember.push({ username: a.username, uid: a.uid, how: 'adopted' });
      } else if (isNew && !a.disabled) {
        const { onCreate } = hooksOf(a);
        if (onCreate !== undefined) changes.push(runChange(a, 'create', onCreate));
        else remember.push({ username: a.username, uid: a.uid, how: 'none' });
      }
      const { onEnsure } = hooksOf(a);
      if (!a.disabled && onEnsure !== undefined) changes.push(runChange(a, 'ensure', onEnsure));
    }
    if (remember.length > 0) {
      const adopted = remember.filter((r) => r.how === 'adopted').length;
      const parts = [adopted > 0 ? `${adopted} adopted from /etc/passwd` : '', remember.length - adopted > 0 ? `${remember.length - adopted} without an onCreate hook` : ''].filter((p) => p !== '');
      changes.unshift({
        target: NAME,
        action: 'remember',
        subject: `file:${config.stateFile}`,
        summary: `record ${remember.length} account${remember.length === 1 ? '' : 's'} as created (${parts.join(', ')})`,
        destructive: false,
        data: { kind: 'remember', records: remember } satisfies HooksChangeData,
      });
    }
    return changes;
  },

  async apply(ctx: TargetContext, config: HooksConfig, changes: readonly Change[]): Promise<readonly ChangeResult[]> {
    const results: ChangeResult[] = [];
    const failed = new Set<string>();
    let log: CreatedLog | undefined;
    const record = async (records: ReadonlyArray<Omit<CreatedRecord, 'at'>>): Promise<void> => {
      log ??= await CreatedLog.open(rootedPath(ctx.root, config.stateFile));
      const at = ctx.clock.now().toISOString();
      await log.append(records.map((r) => ({ ...r, at })));
    };
    try {
      for (const c of changes) {
        const data = c.data as HooksChangeData;
        try {
          if (data.kind === 'remember') {
            await record(data.records);
            results.push({ change: c, ok: true, detail: { recorded: data.records.length } });
            continue;
          }
          const a = data.account;
          if (failed.has(a.username)) {
            results.push({ change: c, ok: false, error: `skipped: the onCreate hook of ${a.username} failed` });
            continue;
          }
          const outcome = await runHook(data.argv, hookEnvironment(a, data.event, ctx, config), data.timeoutSeconds, config.maxOutputBytes);
          if (outcome.ok && data.event === 'create') await record([{ username: a.username, uid: a.uid, how: 'onCreate' }]);
          if (!outcome.ok) failed.add(a.username);
          const why = outcome.error ?? (outcome.timedOut ? `timed out after ${data.timeoutSeconds} s` : outcome.signal !== null ? `killed by ${outcome.signal}` : `exited ${outcome.exitCode ?? '?'}`);
          results.push({ change: c, ok: outcome.ok, ...(outcome.ok ? {} : { error: `${data.event === 'create' ? 'onCreate' : 'onEnsure'} hook ${why}` }), detail: outcome });
        } catch (e) {
          if (data.kind === 'run') failed.add(data.account.username);
          results.push({ change: c, ok: false, error: errorMessage(e) });
        }
      }
    } finally {
      await log?.close();
    }
    return results;
  },
});
