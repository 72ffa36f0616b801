import { lstat } from 'node:fs/promises';
import { readTextIfExists } from '../../system/read-text-if-exists.js';
import { rootedPath } from '../../system/rooted-path.js';
import { NSCD, SSS_CACHE } from './cache-flush.js';
import type { UnixConfig } from './unix-config.js';
import { failed, passed, warned, type CheckSubject, type DoctorCheck } from '../../doctor/doctor-check.js';
import type { TargetCheck } from '../../doctor/target-check.js';

const SSSD = '/usr/sbin/sssd';
const DATABASES = ['passwd', 'group'] as const;

/** The databases nscd.conf(5) caches: `enable-cache <db> yes`; nscd's own default is no. */
export function nscdCachedDatabases(nscdConf: string): string[] {
  const cached = new Map<string, boolean>();
  for (const raw of nscdConf.split('\n')) {
    const [key, db, value] = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (key === 'enable-cache' && db !== undefined) cached.set(db, value === 'yes');
  }
  return DATABASES.filter((db) => cached.get(db) === true);
}

/** The sources nsswitch.conf(5) lists for each database (`passwd: files systemd sss`), without `[…]` actions. */
export function nsswitchSources(nsswitch: string): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, string[]>();
  for (const raw of nsswitch.split('\n')) {
    const m = /^\s*([a-z_]+)\s*:\s*(.*)$/.exec(raw.replace(/#.*$/, ''));
    if (m?.[1] === undefined) continue;
    out.set(m[1], (m[2] ?? '').replace(/\[[^\]]*\]/g, ' ').trim().split(/\s+/).filter((s) => s !== ''));
  }
  return out;
}

async function installed(path: string): Promise<boolean> {
  return lstat(path).then(
    (st) => st.isFile() || st.isSymbolicLink(),
    () => false,
  );
}

/**
 * Name-service caches in front of the files the unix target writes (under
 * the root): nscd or sssd answering passwd/group from a cache make a change
 * show late (a frozen account still resolves as before). And if
 * nsswitch.conf does not read the files at all, nothing sees Roster's lines.
 */
export const nameCacheCheck: TargetCheck<UnixConfig> = async (ctx, config) => {
  const subject: CheckSubject = { check: 'name cache', host: ctx.host, target: 'unix' };
  const at = (p: string): string => rootedPath(ctx.root, p);
  const checks: DoctorCheck[] = [];
  const live = ctx.root === '/';
  const flushes = config.flushCaches && live ? 'roster apply flushes it after each change (unix flushCaches), but other writers and a cache that missed the flush still serve old entries' : `roster apply does not flush it (${config.flushCaches ? 'it flushes only when the root is /' : 'unix flushCaches is false'})`;

  const nsswitch = await readTextIfExists(at('/etc/nsswitch.conf'));
  const sources = nsswitch === null ? new Map<string, readonly string[]>() : nsswitchSources(nsswitch);
  for (const db of DATABASES) {
    const list = sources.get(db);
    if (list !== undefined && !list.includes('files') && !list.includes('compat')) {
      checks.push(failed(subject, `${at('/etc/nsswitch.conf')} does not read /etc/${db} (${db}: ${list.join(' ')}), so nothing on the host sees the accounts Roster writes`, `put files first on the ${db} line of ${at('/etc/nsswitch.conf')}: ${db}: files ${list.join(' ')}`));
    }
  }

  if (await installed(at(NSCD))) {
    const conf = await readTextIfExists(at('/etc/nscd.conf'));
    const cached = conf === null ? [] : nscdCachedDatabases(conf);
    if (cached.length > 0) {
      checks.push(warned(subject, `nscd caches ${cached.join(' and ')} (${at('/etc/nscd.conf')}), so changes show late; ${flushes}`, `${cached.map((db) => `nscd -i ${db}`).join(' && ')} (after a change), or set enable-cache ${cached.join('/')} no in /etc/nscd.conf`));
    } else checks.push(passed(subject, 'nscd is installed but caches neither passwd nor group'));
  }

  const viaSss = DATABASES.filter((db) => sources.get(db)?.includes('sss') === true);
  if (viaSss.length > 0 && (await installed(at(SSSD)))) {
    checks.push(warned(subject, `sssd answers ${viaSss.join(' and ')} lookups (nsswitch.conf lists sss) and caches what it answers, so changes show late; ${flushes}`, `${SSS_CACHE} -E (after a change)`));
  }
  if (checks.length === 0) checks.push(passed(subject, `no nscd or sssd cache in front of passwd and group`));
  return checks;
};
