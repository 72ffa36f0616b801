import { errorMessage, RosterError } from '../domain/errors.js';
import { databaseCheck } from './checks/database-check.js';
import { hmacKeyCheck } from './checks/hmac-key-check.js';
import { libcryptCheck } from './checks/libcrypt-check.js';
import { timeZoneCheck } from './checks/time-zone-check.js';
import { failed, type CheckSubject, type DoctorCheck } from './doctor-check.js';
import type { GlobalCheck, GlobalCheckContext } from './global-check.js';
import type { DoctorTarget } from './target-check.js';

const GLOBAL: ReadonlyArray<readonly [string, GlobalCheck]> = [
  ['database', databaseCheck],
  ['hmac key', hmacKeyCheck],
  ['libcrypt', libcryptCheck],
  ['time zone', timeZoneCheck],
];

export interface DoctorRun extends GlobalCheckContext {
  /** Hosts of roster.yaml to check; each must exist. */
  readonly hosts: readonly string[];
  /** The registered targets in apply order; each enabled one with a `doctor` is checked, in this order. */
  readonly targets: readonly DoctorTarget[];
}

/** A check that threw (a file it may not read) is a failed finding, so one bad check never hides the others. */
function crashed(subject: CheckSubject, e: unknown): DoctorCheck {
  const err = e as NodeJS.ErrnoException;
  const fix = err.code === 'EACCES' || err.code === 'EPERM' ? 'run roster doctor as root' : 'correct what the message names and run roster doctor again';
  return failed(subject, `could not check: ${errorMessage(e)}`, fix);
}

/**
 * Runs Roster's own checks (database, HMAC key, libcrypt, time zone), then
 * the checks of every enabled target of each host, under the root prefix.
 * Returns the findings in that order; nothing is changed.
 */
export async function runDoctor(run: DoctorRun): Promise<DoctorCheck[]> {
  const { config } = run.loaded;
  for (const host of run.hosts) {
    if (!Object.hasOwn(config.hosts, host)) {
      const known = Object.keys(config.hosts);
      throw new RosterError('usage', `--host ${host} is not a host of ${run.loaded.path} (${known.length === 0 ? 'none declared' : `hosts: ${known.join(', ')}`})`, [{ where: '--host', message: 'unknown host' }]);
    }
  }
  const out: DoctorCheck[] = [];
  for (const [name, check] of GLOBAL) {
    try {
      out.push(...(await check(run)));
    } catch (e) {
      out.push(crashed({ check: name }, e));
    }
  }
  for (const host of run.hosts) {
    const sections: Readonly<Record<string, unknown>> = config.hosts[host]?.targets ?? {};
    for (const target of run.targets) {
      if (target.doctor === undefined || !Object.hasOwn(sections, target.name)) continue;
      try {
        // roster.yaml was validated on load, so this parse only applies defaults; `homes:` with nothing after it is {}.
        const settings = target.hostSettings.parse(sections[target.name] ?? {}) as never;
        out.push(...(await target.doctor({ host, root: run.root, config, system: run.system }, settings)));
      } catch (e) {
        out.push(crashed({ check: target.name, host, target: target.name }, e));
      }
    }
  }
  return out;
}
