import { lstatSync, statfsSync } from 'node:fs';
import type { DesiredHost } from '../../desired/desired-host.js';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { commandProblem, runCommand, type CommandResult, type RunCommand } from '../../system/run-command.js';
import { rootedPath } from '../../system/rooted-path.js';
import { defineTarget, type Change, type ChangeResult, type Target, type TargetContext } from '../target.js';
import { parseQgroupShow } from './btrfs-qgroup-show.js';
import { desiredHomeLimits, desiredUserQuotas, quotaFilesystems, quotasOf } from './desired-quotas.js';
import { quotaConfigSchema, type QuotaConfig } from './quota-config.js';
import { quotaEntrySchema, quotaTypeSettingsSchema, type AccountQuotas } from './quota-type-settings.js';
import { quotaCheck } from './quota-check.js';
import { repquotaArgv } from './repquota-argv.js';
import { parseRepquota, type QuotaEntry } from './repquota-report.js';

export type HomeVolume =
  | { readonly state: 'missing' | 'not-subvolume' }
  | { readonly state: 'subvolume'; readonly qgroup: string; readonly maxReferenced: number | null };

export type QuotaObserved =
  | {
      readonly backend: 'setquota';
      /** Filesystem (as configured) → UID (decimal string) → limits, from repquota. */
      readonly filesystems: Readonly<Record<string, Readonly<Record<string, QuotaEntry>>>>;
    }
  | {
      readonly backend: 'btrfs';
      /** Home (as in the desired state) → what is there. */
      readonly homes: Readonly<Record<string, HomeVolume>>;
    };

/** A setquota change: one UID on one filesystem. */
export interface SetquotaData {
  readonly backend: 'setquota';
  readonly filesystem: string;
  readonly uid: number;
  readonly soft: number;
  readonly hard: number;
  /** Inode limits are not Roster's: the observed ones are passed back unchanged (setquota sets all four). */
  readonly inodeSoft: number;
  readonly inodeHard: number;
}

export interface BtrfsData {
  readonly backend: 'btrfs';
  readonly home: string;
  /** Max referenced bytes; null removes the limit. */
  readonly bytes: number | null;
}

const NAME = 'quota';
const NONE: QuotaEntry = { soft: 0, hard: 0, inodeSoft: 0, inodeHard: 0 };
// statfs(2) f_type of btrfs (linux/magic.h BTRFS_SUPER_MAGIC).
const BTRFS_MAGIC = 0x9123683e;
// The root directory of every btrfs subvolume has inode number 256 (BTRFS_FIRST_FREE_OBJECTID).
const SUBVOLUME_ROOT_INO = 256;

/** `setquota -u UID BSOFT BHARD ISOFT IHARD FILESYSTEM` (setquota(8)); a numeric UID needs no passwd lookup, which a root prefix would get wrong. */
export function setquotaArgv(root: string, d: SetquotaData): string[] {
  return ['setquota', '-u', String(d.uid), String(d.soft), String(d.hard), String(d.inodeSoft), String(d.inodeHard), rootedPath(root, d.filesystem)];
}

/** `btrfs qgroup limit BYTES|none HOME`: limits the referenced bytes of the home's subvolume. */
export function btrfsLimitArgv(root: string, d: BtrfsData): string[] {
  return ['btrfs', 'qgroup', 'limit', d.bytes === null ? 'none' : String(d.bytes), rootedPath(root, d.home)];
}

function hasQuota(a: DesiredHost['accounts'][number]): boolean {
  const q = quotasOf(a);
  return q.home !== undefined || q.mail !== undefined || q.elsewhere !== undefined;
}

function notInstalled(r: CommandResult): boolean {
  return r.code === null && (r.failure ?? '').includes('ENOENT');
}

/** What to do when account types set quotas and repquota cannot read them (said in the error, so nobody has to guess). */
export function setquotaFix(host: string, fs: string, r: CommandResult): string {
  const disable = `or remove quota from hosts.${host}.targets if this host enforces no quotas`;
  if (notInstalled(r)) return `install the quota tools (apt-get install quota), ${disable}`;
  return (
    `to enforce quotas on ${fs}: add usrquota to its mount options in /etc/fstab and remount it (mount -o remount ${fs}), ` +
    `then create and switch on the quota files (quotacheck -cum ${fs} && quotaon -u ${fs}); ` +
    `on btrfs set hosts.${host}.targets.quota.backend: btrfs instead; ${disable}`
  );
}

/** What to do when btrfs cannot show a home's qgroup. */
export function btrfsFix(host: string, home: string, r: CommandResult): string {
  const disable = `or remove quota from hosts.${host}.targets if this host enforces no quotas`;
  if (notInstalled(r)) return `install btrfs-progs (apt-get install btrfs-progs), ${disable}`;
  return `switch on qgroups on the filesystem of ${home} (btrfs quota enable <its mount point>), ${disable}`;
}

function kib(n: number): string {
  return n === 0 ? 'none' : `${n} KiB`;
}

/**
 * Whether a home is a btrfs subvolume. Synchronous on purpose: the
 * observer asks this for every home on the host, and 100,000 awaited
 * lstat calls spend most of their time waiting on the thread pool (seconds,
 * against a fraction of one second in line).
 */
function homeVolume(path: string): 'missing' | 'not-subvolume' | 'subvolume' {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
  if (!st.isDirectory() || st.ino !== SUBVOLUME_ROOT_INO) return 'not-subvolume';
  return statfsSync(path).type === BTRFS_MAGIC ? 'subvolume' : 'not-subvolume';
}

/**
 * Home, mail and elsewhere quotas (DESIGN.md §4, RATS steps 11-13; the
 * summing rule is documented at `desiredUserQuotas`). `run` executes the
 * quota tools; the default runs them for real.
 *
 * - setquota: per-UID block limits from the account types; a managed or
 *   purged UID without a quota on a filesystem gets none (0 0), so removing
 *   a type's quota or purging an account clears it. Inode limits are left
 *   as found.
 * - btrfs: each home must be a subvolume (created by whoever makes homes on
 *   such a host); its level-0 qgroup gets the home quota's hard limit
 *   (qgroups have no soft limit). Quotas must be enabled on the filesystem
 *   (`btrfs quota enable`), else observe reports the target unavailable.
 */
export function createQuotaTarget(run: RunCommand = runCommand): Target<QuotaConfig, QuotaObserved> {
  return defineTarget<QuotaConfig, QuotaObserved, AccountQuotas>({
    name: NAME,
    hostSettings: quotaConfigSchema,
    doctor: quotaCheck,
    typeSettings: quotaTypeSettingsSchema,
    movedTypeKeys: { quotas: 'quota' },
    entry: quotaEntrySchema,
    // Quotas are set for a user and on a home that exist.
    after: ['unix', 'homes'],

    async observe(ctx: TargetContext, config: QuotaConfig, desired: DesiredHost): Promise<QuotaObserved> {
      // With no quota to enforce the target only clears limits it may have
      // set before; where the tools or the filesystem's quotas are missing
      // there can be none, so that is not an error (a first host without
      // kernel quotas applies cleanly).
      const enforcing = desired.accounts.some(hasQuota);
      if (config.backend === 'setquota') {
        const filesystems: Record<string, Record<string, QuotaEntry>> = {};
        for (const fs of quotaFilesystems(desired, config)) {
          const argv = repquotaArgv(ctx.root, fs);
          const r = await run(argv);
          if (r.code !== 0) {
            if (!enforcing) continue;
            throw new RosterError('unavailable', `cannot read quotas on ${fs}: ${commandProblem(argv, r)}; ${setquotaFix(ctx.host, fs, r)}`, [{ where: `filesystems ${fs}`, message: 'repquota failed' }]);
          }
          filesystems[fs] = Object.fromEntries([...parseRepquota(r.stdout, fs)].map(([uid, e]) => [String(uid), e]));
        }
        return { backend: 'setquota', filesystems };
      }
      const perUser = desired.accounts.filter((a) => quotasOf(a).mail !== undefined || quotasOf(a).elsewhere !== undefined).map((a) => a.username);
      if (perUser.length > 0) {
        // Said once per run rather than dropped silently: qgroups cannot express per-user limits outside the home.
        ctx.log.warn(`quota: the btrfs backend sets home quotas only; mail/elsewhere quotas of ${perUser.length} account(s) (${perUser.slice(0, 5).join(', ')}${perUser.length > 5 ? ', …' : ''}) are not enforced on ${ctx.host}`);
      }
      const homes: Record<string, HomeVolume> = {};
      for (const a of desired.accounts) {
        const path = rootedPath(ctx.root, a.home);
        const state = homeVolume(path);
        if (state !== 'subvolume') {
          homes[a.home] = { state };
          continue;
        }
        const argv = ['btrfs', 'qgroup', 'show', '-re', '--raw', '-f', path];
        const r = await run(argv);
        if (r.code !== 0) {
          if (!enforcing) {
            homes[a.home] = { state, qgroup: '', maxReferenced: null };
            continue;
          }
          throw new RosterError('unavailable', `cannot read the qgroup of ${a.home}: ${commandProblem(argv, r)}; ${btrfsFix(ctx.host, a.home, r)}`, [{ where: a.home, message: 'btrfs qgroup show failed (quotas enabled?)' }]);
        }
        homes[a.home] = { state, ...parseQgroupShow(r.stdout, a.home) };
      }
      return { backend: 'btrfs', homes };
    },

    plan(desired: DesiredHost, observed: QuotaObserved, config: QuotaConfig): readonly Change[] {
      const changes: Change[] = [];
      if (observed.backend === 'setquota') {
        const wanted = new Map(desiredUserQuotas(desired, config).map((q) => [`${q.filesystem}\0${q.uid}`, q]));
        const names = new Map<number, string>([...desired.removed.map((r): [number, string] => [r.uid, r.username]), ...desired.accounts.map((a): [number, string] => [a.uid, a.username])]);
        const byUidOrder = [...names].sort((x, y) => x[0] - y[0]);
        for (const [fs, byUid] of Object.entries(observed.filesystems).sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
          for (const [uid, username] of byUidOrder) {
            const want = wanted.get(`${fs}\0${uid}`);
            const have = byUid[String(uid)] ?? NONE;
            const soft = want?.soft ?? 0;
            const hard = want?.hard ?? 0;
            if (have.soft === soft && have.hard === hard) continue;
            const data: SetquotaData = { backend: 'setquota', filesystem: fs, uid, soft, hard, inodeSoft: have.inodeSoft, inodeHard: have.inodeHard };
            const what = want === undefined ? 'clear quota' : `set ${want.kinds.join('+')} quota`;
            changes.push({
              target: NAME,
              action: want === undefined ? 'clear' : 'set',
              subject: `quota:${username}@${fs}`,
              summary: `${what} of ${want?.usernames.join(', ') ?? username} (uid ${uid}) on ${fs}: soft ${kib(soft)}, hard ${kib(hard)} (was ${kib(have.soft)}, ${kib(have.hard)})`,
              destructive: false,
              data,
            });
          }
        }
        return changes;
      }
      for (const [home, want] of desiredHomeLimits(desired)) {
        const have = observed.homes[home] ?? { state: 'missing' };
        if (have.state === 'subvolume' ? have.maxReferenced === want.bytes : want.bytes === null) continue;
        const data: BtrfsData = { backend: 'btrfs', home, bytes: want.bytes };
        const was = have.state === 'subvolume' ? (have.maxReferenced === null ? 'none' : `${have.maxReferenced} bytes`) : have.state;
        changes.push({
          target: NAME,
          action: want.bytes === null ? 'clear' : 'set',
          subject: `quota:${want.usernames.join('+')}@${home}`,
          summary: `limit the subvolume ${home} of ${want.usernames.join(', ')} to ${want.bytes === null ? 'none' : `${want.bytes} bytes`} (was ${was})`,
          destructive: false,
          data,
        });
      }
      return changes;
    },

    async apply(ctx: TargetContext, _config: QuotaConfig, changes: readonly Change[]): Promise<readonly ChangeResult[]> {
      const results: ChangeResult[] = [];
      for (const change of changes) {
        const d = change.data as SetquotaData | BtrfsData;
        try {
          if (d.backend === 'btrfs') {
            const state = homeVolume(rootedPath(ctx.root, d.home));
            if (state !== 'subvolume') {
              const why = state === 'missing' ? 'does not exist yet (homes are made by the homes target; run apply again after it)' : 'is not a btrfs subvolume (qgroups limit subvolumes: make each home one with `btrfs subvolume create`)';
              results.push({ change, ok: false, error: `${d.home} ${why}` });
              continue;
            }
          }
          const argv = d.backend === 'btrfs' ? btrfsLimitArgv(ctx.root, d) : setquotaArgv(ctx.root, d);
          const r = await run(argv);
          results.push(r.code === 0 ? { change, ok: true, detail: { argv } } : { change, ok: false, error: commandProblem(argv, r) });
        } catch (e) {
          results.push({ change, ok: false, error: errorMessage(e) });
        }
      }
      return results;
    },
  });
}

export const quotaTarget: Target<QuotaConfig, QuotaObserved> = createQuotaTarget();
