import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { CronConfig } from './cron-config.js';
import { failed, passed, warned, type CheckSubject, type DoctorCheck } from '../../doctor/doctor-check.js';
import type { TargetCheck } from '../../doctor/target-check.js';

/** What a cron program on the machine makes of cron.allow / cron.deny. */
export interface CronProgram {
  /** Where it was found, root prefix included. */
  readonly path: string;
  readonly kind: 'vixie' | 'cronie' | 'crontab' | 'busybox' | 'fcron';
}

export type ListFile =
  | { readonly state: 'missing' }
  | { readonly state: 'other' }
  | { readonly state: 'file'; readonly mode: number; readonly uid: number };

/** The files crontab(1) of Debian cron and cronie read; the path is compiled in. */
const ALLOW = '/etc/cron.allow';
const DENY = '/etc/cron.deny';

// Debian cron (Vixie cron) and cronie read both files; fcron reads its own
// fcron.allow/fcron.deny; busybox crontab reads neither.
const PROGRAMS: ReadonlyArray<{ readonly path: string; readonly kind: CronProgram['kind'] }> = [
  { path: '/usr/sbin/cron', kind: 'vixie' },
  { path: '/usr/sbin/crond', kind: 'cronie' },
  { path: '/usr/bin/crontab', kind: 'crontab' },
  { path: '/usr/sbin/fcron', kind: 'fcron' },
  { path: '/usr/bin/fcrontab', kind: 'fcron' },
];

const HONOURS: ReadonlySet<CronProgram['kind']> = new Set(['vixie', 'cronie', 'crontab']);

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * The cron target's requirements (pure): a cron that reads the file the
 * target writes, a path it reads, the other file not overriding it, and a
 * file crontab can read and nobody else can change.
 */
export function evaluateCron(subject: CheckSubject, o: { readonly host: string; readonly root: string; readonly config: CronConfig; readonly programs: readonly CronProgram[]; readonly allow: ListFile; readonly deny: ListFile }): DoctorCheck[] {
  const { host, root, config } = o;
  const at = (p: string): string => posix.join(root, p);
  const apply = `roster apply --host ${host}${root === '/' ? '' : ` --root ${root}`}`;
  const checks: DoctorCheck[] = [];
  const readers = o.programs.filter((p) => HONOURS.has(p.kind));
  const ignorers = o.programs.filter((p) => !HONOURS.has(p.kind));
  if (readers.length > 0) {
    checks.push(passed(subject, `${readers.map((p) => p.path).join(', ')} ${readers.length === 1 ? 'reads' : 'read'} ${ALLOW} and ${DENY}`));
  } else if (ignorers.length > 0) {
    const what = ignorers.map((p) => `${p.path} (${p.kind === 'fcron' ? 'fcron reads fcron.allow and fcron.deny' : 'busybox crontab reads neither file'})`).join(', ');
    checks.push(failed(subject, `the cron installed ignores ${config.path}: ${what}`, `install Debian cron (apt-get install cron), or remove cron from hosts.${host}.targets`));
  } else {
    checks.push(warned(subject, `no cron is installed (looked for ${PROGRAMS.map((p) => p.path).join(', ')}), so ${config.path} has no effect`, `apt-get install cron, or remove cron from hosts.${host}.targets`));
  }

  const expected = config.mode === 'deny' ? DENY : ALLOW;
  if (config.path !== expected) {
    const why = config.path === ALLOW || config.path === DENY ? `mode ${config.mode} lists accounts as ${config.mode === 'deny' ? 'denied' : 'allowed'}, and cron reads ${config.path} the other way` : `cron reads only ${ALLOW} and ${DENY}`;
    checks.push(failed(subject, `the target writes ${config.path}, but ${why}`, `set hosts.${host}.targets.cron.path: ${expected} (or leave path out)`));
    return checks;
  }

  const file = config.mode === 'deny' ? o.deny : o.allow;
  if (config.mode === 'deny' && o.allow.state !== 'missing') {
    // crontab(1): when cron.allow exists, cron.deny is not consulted.
    checks.push(failed(subject, `${at(ALLOW)} exists, so cron never reads ${at(DENY)}: a frozen account listed in cron.allow keeps its crontab`, `rm ${at(ALLOW)}, or set hosts.${host}.targets.cron.mode: allow`));
  }
  if (file.state === 'missing') {
    if (config.mode === 'deny') checks.push(passed(subject, `${at(DENY)} is not there yet; the target writes it when it first denies an account`));
    else checks.push(warned(subject, `${at(ALLOW)} is not written yet, so every account may use crontab`, apply));
  } else if (file.state === 'other') {
    checks.push(failed(subject, `${at(config.path)} is not a regular file`, `rm ${at(config.path)} && ${apply}`));
  } else if ((file.mode & 0o022) !== 0) {
    checks.push(failed(subject, `${at(config.path)} is writable by others than its owner (mode ${octal(file.mode)}), so anyone could edit who may use crontab`, `chmod 0644 ${at(config.path)}`));
  } else if (root === '/' && file.uid !== 0) {
    checks.push(failed(subject, `${config.path} belongs to uid ${file.uid}, not root`, `chown root:root ${config.path}`));
  } else if ((file.mode & 0o044) === 0) {
    // Debian's crontab runs setgid crontab, not as root: it must be able to read the file.
    checks.push(warned(subject, `${at(config.path)} is readable by its owner only (mode ${octal(file.mode)}); crontab runs setgid crontab and may not read it`, `chmod 0644 ${at(config.path)}`));
  } else {
    checks.push(passed(subject, `${at(config.path)} is a root-only-writable file (mode ${octal(file.mode)})`));
  }
  return checks;
}

async function listFile(path: string): Promise<ListFile> {
  try {
    const st = await lstat(path);
    return st.isFile() ? { state: 'file', mode: st.mode, uid: st.uid } : { state: 'other' };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** The cron programs under the root, else on this machine (a test root holds the files, not the programs). */
async function findCronPrograms(root: string): Promise<CronProgram[]> {
  for (const base of root === '/' ? ['/'] : [root, '/']) {
    const found: CronProgram[] = [];
    for (const p of PROGRAMS) {
      const path = posix.join(base, p.path);
      if (!(await exists(path))) continue;
      const target = await readlink(path).catch(() => '');
      found.push({ path, kind: posix.basename(target) === 'busybox' ? 'busybox' : p.kind });
    }
    if (found.length > 0) return found;
  }
  return [];
}

/** cron honours cron.allow / cron.deny: the program, the path, the files' presence and mode. */
export const cronCheck: TargetCheck<CronConfig> = async (ctx, config) => {
  const subject: CheckSubject = { check: 'cron', host: ctx.host, target: 'cron' };
  return evaluateCron(subject, {
    host: ctx.host,
    root: ctx.root,
    config,
    programs: await findCronPrograms(ctx.root),
    allow: await listFile(posix.join(ctx.root, ALLOW)),
    deny: await listFile(posix.join(ctx.root, DENY)),
  });
};
