import { posix } from 'node:path';
import { failed, warned, type CheckSubject, type DoctorCheck } from '../../doctor/doctor-check.js';
import type { TargetCheckContext } from '../../doctor/target-check.js';
import { errorMessage } from '../../domain/errors.js';
import { readTextIfExists } from '../../system/read-text-if-exists.js';
import { lockNames, type ClientLocks } from './client-locks.js';
import { nslcdClientChecks } from './nslcd-client-check.js';
import { nsswitchSources } from './nsswitch-sources.js';
import { sssdClientChecks } from './sssd-client-check.js';

/** What of the ldap target's host settings the client checks read (the target's config has these fields). */
export interface LdapClientSettings {
  readonly usersDn?: string | undefined;
  readonly ppolicy?: boolean | undefined;
  /** authorizedService values (PAM service names) by the Roster service each stands for; absent when the target writes none. */
  readonly authorizedService?: Readonly<Record<string, string>> | undefined;
}

/**
 * `roster doctor`'s check of the directory's clients on this host (issue
 * 13): the ldap target only writes locks into entries; nslcd or SSSD and
 * the PAM stacks decide whether a login honours them. Reads nsswitch.conf
 * to see which client the host asks, then that client's config and the PAM
 * services under the root prefix, and says for each lock whether a locked
 * account is refused and, if not, the line to add. It reads files only (no
 * tool runs, no connection), so it needs no more of the context than these.
 */
export async function ldapClientChecks(ctx: Pick<TargetCheckContext, 'host' | 'root'>, config: LdapClientSettings): Promise<DoctorCheck[]> {
  const subject: CheckSubject = { check: 'ldap clients', host: ctx.host, target: 'ldap' };
  const locks: ClientLocks = { ppolicy: config.ppolicy === true, authorizedServices: config.authorizedService === undefined ? null : Object.keys(config.authorizedService), usersDn: config.usersDn ?? null };
  const nsswitchFile = posix.join(ctx.root, '/etc/nsswitch.conf');
  try {
    const nsswitch = (await readTextIfExists(nsswitchFile)) ?? '';
    const passwd = nsswitchSources(nsswitch, 'passwd') ?? [];
    const checks: DoctorCheck[] = [];
    if (passwd.includes('ldap')) checks.push(...(await nslcdClientChecks(subject, ctx.root, locks, nsswitchSources(nsswitch, 'shadow') ?? [])));
    if (passwd.includes('sss')) checks.push(...(await sssdClientChecks(subject, ctx.root, locks)));
    if (checks.length === 0) {
      checks.push(
        warned(
          subject,
          `neither nslcd nor SSSD is set up here (${nsswitchFile} has passwd: ${passwd.join(' ') || '(no line)'}), so directory accounts cannot log in to this host and nothing here checks ${lockNames(locks)}; hosts people log in to need one of them`,
          'on each host people log in to: apt-get install nslcd libnss-ldapd libpam-ldapd and set "passwd: files ldap", "group: files ldap", "shadow: files ldap" in /etc/nsswitch.conf; or SSSD with id_provider = ldap, access_provider = ldap',
        ),
      );
    }
    return checks;
  } catch (e) {
    return [failed(subject, `cannot read the directory clients' configuration under ${ctx.root}: ${errorMessage(e)}`, 'run roster doctor as root (nslcd.conf and sssd.conf are readable by root only)')];
  }
}
