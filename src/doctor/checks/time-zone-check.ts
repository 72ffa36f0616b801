import { readFile, readlink } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { isUtc } from '../../domain/zoned-time.js';
import { readTextIfExists } from '../../system/read-text-if-exists.js';
import { rootedPath } from '../../system/rooted-path.js';
import { failed, passed, warned, type CheckSubject } from '../doctor-check.js';
import type { GlobalCheck } from '../global-check.js';

const SUBJECT: CheckSubject = { check: 'time zone' };

/** The zone's canonical name (Etc/UTC and UTC are one zone), or null when ICU does not know it. */
export function canonicalZone(zone: string): string | null {
  if (isUtc(zone)) return 'UTC';
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The host's zone as glibc finds it: TZ (a zone name), else /etc/localtime's link target, else /etc/timezone (Debian); null when none is set. */
export async function hostZone(root: string, env: NodeJS.ProcessEnv): Promise<{ readonly zone: string; readonly from: string } | null> {
  const tz = env.TZ?.replace(/^:/, '');
  if (tz !== undefined && tz !== '') return { zone: tz, from: 'TZ' };
  const link = await readlink(rootedPath(root, '/etc/localtime')).catch(() => null);
  const zone = link === null ? null : /zoneinfo\/(.+)$/.exec(link)?.[1];
  if (zone !== undefined && zone !== null) return { zone, from: rootedPath(root, '/etc/localtime') };
  const named = (await readTextIfExists(rootedPath(root, '/etc/timezone')).catch(() => null))?.trim();
  if (named !== undefined && named !== '') return { zone: named, from: rootedPath(root, '/etc/timezone') };
  return null;
}

/**
 * roster.yaml's timeZone decides where "the start of a day" falls for
 * purges and when scheduled jobs run. It must be a zone ICU knows, and it
 * should be written down: left out, it is the zone of whichever process reads
 * roster.yaml, so a server and an admin's shell with another TZ would
 * compute different purge days. A host clock in another zone is allowed but
 * worth knowing (cron, logs and `date` there follow the host's zone).
 */
export const timeZoneCheck: GlobalCheck = async (ctx) => {
  const configured = ctx.loaded.config.timeZone;
  const canonical = canonicalZone(configured);
  if (canonical === null) return [failed(SUBJECT, `timeZone "${configured}" is not a zone this machine's ICU knows`, `timeZone: UTC (or an IANA zone such as Europe/Berlin) in ${ctx.loaded.path}`)];
  const host = await hostZone(ctx.root, ctx.system.env);
  const written = parseDocument(await readFile(ctx.loaded.path, 'utf8')).has('timeZone');
  const localtime = (zone: string): string => `ln -sf /usr/share/zoneinfo/${zone} ${rootedPath(ctx.root, '/etc/localtime')}`;
  if (!written) {
    const seen = host === null ? 'no zone is set here, so it is UTC' : `here ${host.zone}, from ${host.from}`;
    return [warned(SUBJECT, `${ctx.loaded.path} sets no timeZone, so dates follow the zone of whatever process reads it (${seen}); a server or shell with another TZ computes other purge days`, `timeZone: ${(host === null ? null : canonicalZone(host.zone)) ?? configured} (add to ${ctx.loaded.path})`)];
  }
  if (host === null) return [warned(SUBJECT, `the host has no time zone set (no TZ, ${rootedPath(ctx.root, '/etc/localtime')} or /etc/timezone), so its clock shows UTC while Roster uses ${configured}`, localtime(configured))];
  if (canonicalZone(host.zone) !== canonical) {
    return [warned(SUBJECT, `the host's zone is ${host.zone} (from ${host.from}) while roster.yaml says ${configured}: Roster's purge days and job times follow ${configured}, cron, logs and date here follow ${host.zone}`, `${host.from === 'TZ' ? `export TZ=${configured}` : localtime(configured)}, or timeZone: ${host.zone} in ${ctx.loaded.path} if that is meant`)];
  }
  return [passed(SUBJECT, `timeZone ${configured} is valid and matches the host's zone (from ${host.from})`)];
};
