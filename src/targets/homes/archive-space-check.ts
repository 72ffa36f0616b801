import { lstat, statfs } from 'node:fs/promises';
import { posix } from 'node:path';
import { byteSize } from '../../domain/byte-size.js';
import { rootedPath } from '../../system/rooted-path.js';
import type { HomesConfig } from './homes-config.js';
import { archiveSettings } from '../archive-settings.js';
import { typeQuotas } from '../quota/quota-type-settings.js';
import { failed, passed, warned, type CheckSubject, type DoctorCheck } from '../../doctor/doctor-check.js';
import { existingRealPath } from '../../doctor/mount-table.js';
import type { TargetCheck } from '../../doctor/target-check.js';

/** Below this much free space a purge that archives a large home may fail; a warning, not a failure. */
export const ARCHIVE_LOW_SPACE_BYTES = 1024 ** 3;

/**
 * Free disk for the archives a purge writes before it removes a home. A
 * failed archive keeps the home (the purge stops there), so too little space
 * stalls purges rather than losing data. The largest home hard quota of the
 * host's account types is what one archive may need at most (uncompressed):
 * less free than that fails; less than 1 GiB warns. Archives hold the
 * account's shadow line, so the directory must be closed to others.
 */
export const archiveSpaceCheck: TargetCheck<HomesConfig> = async (ctx, config) => {
  const subject: CheckSubject = { check: 'archive space', host: ctx.host, target: 'homes' };
  const archive = archiveSettings(config, ctx.config.purge);
  if (!archive.enabled) return [passed(subject, 'archiving purged homes is off, so no space is needed')];
  const dir = rootedPath(ctx.root, archive.dir);
  const checks: DoctorCheck[] = [];
  const st = await lstat(dir).catch(() => null);
  if (st !== null && !st.isDirectory()) return [failed(subject, `${dir} is not a directory`, `rm ${dir} (the homes target creates the directory, mode 0700)`)];
  if (st !== null && (st.mode & 0o077) !== 0) {
    checks.push(failed(subject, `${dir} is open to others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}), and archives hold homes and shadow lines`, `chmod 0700 ${dir}`));
  }
  const existing = await existingRealPath(dir);
  const fs = await statfs(existing);
  const free = fs.bavail * fs.bsize;
  const largestKib = Math.max(0, ...Object.values(ctx.config.types).filter((t) => t.hosts.live.includes(ctx.host)).map((t) => typeQuotas(t.targets).home?.hard ?? 0));
  const largest = largestKib * 1024;
  const where = existing === dir ? dir : `${existing}, where ${dir} will be made`;
  const fix = `free space on the filesystem of ${existing}, or set hosts.${ctx.host}.targets.homes.archiveDir to a directory on a larger one`;
  if (largest > 0 && free < largest) {
    checks.push(failed(subject, `${byteSize(free)} free for archives at ${where}, less than one home may hold (home quota ${byteSize(largest)})`, fix));
  } else if (free < ARCHIVE_LOW_SPACE_BYTES) {
    checks.push(warned(subject, `only ${byteSize(free)} free for archives at ${where}; a purge stops when a home's archive does not fit`, fix));
  } else {
    checks.push(passed(subject, `${byteSize(free)} free for archives at ${posix.normalize(where)}`));
  }
  return checks;
};
