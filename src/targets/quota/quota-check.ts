import { commandProblem, type CommandResult } from '../../system/run-command.js';
import { rootedPath } from '../../system/rooted-path.js';
import type { QuotaConfig } from './quota-config.js';
import { repquotaArgv } from './repquota-argv.js';
import { typeQuotas } from './quota-type-settings.js';
import { failed, passed, type CheckSubject, type DoctorCheck } from '../../doctor/doctor-check.js';
import { existingRealPath, mountOf, parseMounts, type MountEntry } from '../../doctor/mount-table.js';
import type { TargetCheck, TargetCheckContext } from '../../doctor/target-check.js';

/** Mount options that switch on per-user kernel quotas (ext4, xfs; `usrjquota=` is the journalled form). */
const USER_QUOTA_OPTIONS = /^(usrquota|uquota|quota|usrjquota=.*)$/;

function notInstalled(r: CommandResult): boolean {
  return r.code === null && (r.failure ?? '').includes('ENOENT');
}

/** The filesystems the host's account types put quotas on (as seen on the host); empty when no type living there sets one. */
export function quotaFilesystemsNeeded(ctx: Pick<TargetCheckContext, 'host' | 'config'>, config: QuotaConfig): { readonly types: readonly string[]; readonly filesystems: readonly string[] } {
  const types: string[] = [];
  const filesystems = new Set<string>();
  for (const [name, type] of Object.entries(ctx.config.types)) {
    if (!type.hosts.live.includes(ctx.host)) continue;
    const q = typeQuotas(type.targets);
    if (q.home === undefined && q.mail === undefined && q.elsewhere === undefined) continue;
    types.push(name);
    if (q.home !== undefined) filesystems.add(config.filesystems.home);
    if (q.mail !== undefined) filesystems.add(config.filesystems.mail ?? q.mail.path);
    if (q.elsewhere !== undefined) for (const fs of config.filesystems.elsewhere) filesystems.add(fs);
  }
  return { types, filesystems: [...filesystems].sort() };
}

async function mountFor(ctx: TargetCheckContext, fs: string, mounts: readonly MountEntry[]): Promise<{ readonly path: string; readonly mount: MountEntry | undefined }> {
  const path = rootedPath(ctx.root, fs);
  return { path, mount: mountOf(await existingRealPath(path), mounts) };
}

async function setquotaChecks(ctx: TargetCheckContext, subject: CheckSubject, filesystems: readonly string[], mounts: readonly MountEntry[]): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const disable = `or remove quota from hosts.${ctx.host}.targets`;
  const missing: string[] = [];
  for (const tool of ['setquota', 'repquota']) if (notInstalled(await ctx.system.run([tool, '-V'], { timeoutMs: 10_000 }))) missing.push(tool);
  if (missing.length > 0) checks.push(failed(subject, `the quota tools are not installed (${missing.join(', ')} not found)`, `apt-get install quota, ${disable}`));
  else checks.push(passed(subject, 'the quota tools (setquota, repquota) are installed'));
  for (const fs of filesystems) {
    const { path, mount } = await mountFor(ctx, fs, mounts);
    const point = mount?.mountPoint ?? path;
    if (mount?.type === 'btrfs') {
      checks.push(failed(subject, `${path} is on btrfs (${point}), which has no per-user kernel quotas`, `set hosts.${ctx.host}.targets.quota.backend: btrfs (home quotas as qgroup limits on home subvolumes), ${disable}`));
      continue;
    }
    const optioned = mount !== undefined && mount.options.some((o) => USER_QUOTA_OPTIONS.test(o));
    if (missing.length === 0) {
      // repquota answering is the proof; the mount options only explain a failure.
      const argv = repquotaArgv(ctx.root, fs);
      const r = await ctx.system.run(argv);
      if (r.code === 0) {
        checks.push(passed(subject, `user quotas are on for ${path} (${point})`));
        continue;
      }
      if (optioned) {
        checks.push(failed(subject, `${point} is mounted with user quotas, but they are not switched on: ${commandProblem(argv, r)}`, `quotacheck -cum ${point} && quotaon -u ${point}`));
        continue;
      }
    } else if (optioned) {
      checks.push(passed(subject, `${point} (holding ${path}) is mounted with user quotas (${mount.options.filter((o) => USER_QUOTA_OPTIONS.test(o)).join(',')})`));
      continue;
    }
    const where = mount === undefined ? `${path} is on no filesystem of the mount table` : `${point} (holding ${path}, ${mount.type}) is mounted without usrquota`;
    checks.push(
      failed(
        subject,
        `${where}, so the quotas of the account types cannot be enforced there`,
        `add usrquota to the options of ${point} in /etc/fstab, then: mount -o remount ${point} && quotacheck -cum ${point} && quotaon -u ${point}`,
      ),
    );
  }
  return checks;
}

async function btrfsChecks(ctx: TargetCheckContext, subject: CheckSubject, home: string, mounts: readonly MountEntry[]): Promise<DoctorCheck[]> {
  const disable = `or remove quota from hosts.${ctx.host}.targets`;
  const { path, mount } = await mountFor(ctx, home, mounts);
  if (mount?.type !== 'btrfs') {
    const on = mount === undefined ? 'on no filesystem of the mount table' : `on ${mount.type} (${mount.mountPoint})`;
    return [failed(subject, `the btrfs backend needs the homes on btrfs, but ${path} is ${on}`, `set hosts.${ctx.host}.targets.quota.backend: setquota, ${disable}`)];
  }
  const argv = ['btrfs', 'qgroup', 'show', mount.mountPoint];
  const r = await ctx.system.run(argv, { timeoutMs: 30_000 });
  if (notInstalled(r)) return [failed(subject, 'btrfs-progs is not installed (btrfs not found)', `apt-get install btrfs-progs, ${disable}`)];
  if (r.code !== 0) return [failed(subject, `qgroups are not enabled on ${mount.mountPoint} (holding ${path}): ${commandProblem(argv, r)}`, `btrfs quota enable ${mount.mountPoint}`)];
  return [passed(subject, `qgroups are enabled on ${mount.mountPoint} (holding ${path})`)];
}

/**
 * Quota tools and quota-enabled filesystems, only when an account type
 * living on the host sets a quota: without one the target has nothing to do
 * and needs neither (a first host without kernel quotas applies cleanly).
 */
export const quotaCheck: TargetCheck<QuotaConfig> = async (ctx, config) => {
  const subject: CheckSubject = { check: 'quota', host: ctx.host, target: 'quota' };
  const needed = quotaFilesystemsNeeded(ctx, config);
  if (needed.types.length === 0) return [passed(subject, `no account type living on ${ctx.host} sets a quota, so nothing is needed`)];
  const mounts = parseMounts(await ctx.system.mounts());
  if (config.backend === 'btrfs') return btrfsChecks(ctx, subject, config.filesystems.home, mounts);
  return setquotaChecks(ctx, subject, needed.filesystems, mounts);
};
