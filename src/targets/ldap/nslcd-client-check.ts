import { posix } from 'node:path';
import { failed, passed, warned, type CheckSubject, type DoctorCheck } from '../../doctor/doctor-check.js';
import { readTextIfExists } from '../../system/read-text-if-exists.js';
import { dnWithin, type ClientLocks } from './client-locks.js';
import { judgeStack, lockCheck, LOGIN_SERVICES, pamServices, type Situation } from './ldap-client-pam.js';
import { checksAuthorizedService, parseNslcdConf, type NslcdConf } from './nslcd-conf.js';

/**
 * nslcd.conf(5)'s own example: the service is listed, or the entry has no
 * authorizedService at all, so entries Roster does not manage keep working.
 * A Roster entry left with no service is locked as a whole (shadowExpire 1).
 */
export const NSLCD_AUTHZ_LINE = 'pam_authz_search (&(objectClass=posixAccount)(uid=$username)(|(authorizedService=$service)(!(authorizedService=*))))';

/**
 * The account line of Debian 12's libpam-ldapd profile
 * (/usr/share/pam-configs/ldap, Account-Type: Additional), which
 * pam-auth-update puts last in common-account: every account that got
 * through the stack so far is then asked of nslcd (its shadow checks and
 * pam_authz_search); one nslcd does not know (a local one) is ignored, and
 * nslcd being down leaves the decision to the rest. A pam_ldap account line
 * of the Primary kind (`[success=1 default=ignore]` after a
 * `[success=2 …] pam_unix.so`, as PADL's libpam-ldap profile and many
 * hand-written stacks have it) is jumped over for every account pam_unix
 * accepts. Both proven with pamtester in ldap-clients.int.test.ts.
 */
export const NSLCD_ACCOUNT_LINE = 'account [success=ok new_authtok_reqd=done ignore=ignore user_unknown=ignore authinfo_unavail=ignore default=bad] pam_ldap.so minimum_uid=1000';

/** Where the account line goes, as a fix names it. */
function addAccountLine(file: string): string {
  return `add as the last account line of ${file} (or of the common-account it includes), as pam-auth-update does for libpam-ldapd: ${NSLCD_ACCOUNT_LINE}`;
}

/**
 * Whether pam_unix sees the directory's shadow fields: nsswitch asks nslcd
 * for shadow, and passwd entries say `x` (nslcd's default), which is what
 * makes pam_unix look the shadow entry up at all.
 */
function pamUnixReadsShadow(conf: NslcdConf, shadowSources: readonly string[]): boolean {
  const passwordMap = conf.maps.get('passwd userPassword');
  return shadowSources.includes('ldap') && (passwordMap === undefined || passwordMap === '"x"');
}

/**
 * `roster doctor` for a host whose accounts come through nslcd
 * (nsswitch `passwd: … ldap`): which locks of the ldap target its PAM
 * stacks enforce. Each lock is judged by running the stacks as libpam
 * would (pamOutcome) with what pam_unix and pam_ldap answer for a locked
 * account, so a rule that jumps over pam_ldap is found as such.
 */
export async function nslcdClientChecks(subject: CheckSubject, root: string, locks: ClientLocks, shadowSources: readonly string[]): Promise<DoctorCheck[]> {
  const at = (file: string): string => posix.join(root, file);
  const text = await readTextIfExists(at('/etc/nslcd.conf'));
  if (text === null) {
    return [failed(subject, `${at('/etc/nsswitch.conf')} asks nslcd for accounts (passwd: … ldap), but ${at('/etc/nslcd.conf')} is missing`, 'apt-get install nslcd, and set uri and base in /etc/nslcd.conf to the directory the ldap target writes')];
  }
  const conf = parseNslcdConf(text);
  const checks: DoctorCheck[] = [];
  if (conf.uris.length === 0) checks.push(failed(subject, `${at('/etc/nslcd.conf')} names no uri, so nslcd reaches no directory`, 'add to /etc/nslcd.conf: uri ldap://<the directory>/'));
  if (locks.usersDn !== null && conf.bases.length > 0 && !conf.bases.some((b) => dnWithin(locks.usersDn ?? '', b))) {
    checks.push(failed(subject, `nslcd searches ${conf.bases.join(', ')} (base in ${at('/etc/nslcd.conf')}), which does not hold ${locks.usersDn}, where the ldap target writes accounts`, `set in /etc/nslcd.conf: base ${locks.usersDn}`));
  }

  const unixShadow = pamUnixReadsShadow(conf, shadowSources);
  const unix = unixShadow ? 'acct_expired' : 'success';
  const accountNames = [...LOGIN_SERVICES, ...(locks.authorizedServices ?? [])];
  const accounts = await pamServices(root, accountNames, 'common-account');
  if (accounts.length === 0) {
    checks.push(failed(subject, `no PAM service of ${accountNames.join(', ')} nor common-account is in ${at('/etc/pam.d')}, so nothing asks nslcd about an account's locks`, 'apt-get install libpam-ldapd (pam-auth-update adds pam_ldap.so to common-auth and common-account)'));
    return checks;
  }
  // A directory account as the modules see it: nslcd answers pam_ldap; SSSD is not what this host asks.
  const active: Situation = { pam_unix: 'success', pam_ldap: 'success', pam_sss: 'authinfo_unavail' };
  for (const service of accounts) {
    checks.push(lockCheck(subject, root, 'pam_ldap.so', 'shadowExpire: 1', judgeStack(service, 'account', active, { ...active, pam_unix: unix, pam_ldap: 'acct_expired' }), () =>
      shadowSources.includes('ldap')
        ? addAccountLine(at(service.file))
        : `set "shadow: files ldap" in ${at('/etc/nsswitch.conf')} (pam_unix then reads shadowExpire from nslcd), or ${addAccountLine(at(service.file))}`,
    ));
  }

  if (locks.ppolicy) {
    // slapd's ppolicy refuses the user's own bind, which only pam_ldap makes; pam_unix checks nslcd's copy of the hash when `map shadow userPassword` hands it out.
    const hashShared = !(conf.maps.get('shadow userPassword') ?? '"*"').startsWith('"') && unixShadow;
    const unixAuth = hashShared ? 'success' : 'auth_err';
    for (const service of await pamServices(root, accountNames, 'common-auth')) {
      const v = judgeStack(service, 'auth', { pam_unix: unixAuth, pam_ldap: 'success', pam_sss: 'authinfo_unavail' }, { pam_unix: unixAuth, pam_ldap: 'auth_err', pam_sss: 'authinfo_unavail' });
      const c = lockCheck(subject, root, 'pam_ldap.so', 'pwdAccountLockedTime (a password login, which binds as the user)', v, () =>
        hashShared ? `remove "map shadow userPassword …" from ${at('/etc/nslcd.conf')}, so passwords are checked by binding as the user` : `authenticate directory accounts with pam_ldap.so in ${at(service.file)}'s auth stack, e.g. "auth [success=1 default=ignore] pam_ldap.so minimum_uid=1000 use_first_pass" before pam_deny.so`,
      );
      // shadowExpire still closes the account stack, so a hole here is a warning.
      checks.push(c.status === 'fail' ? warned(subject, `${c.message}; the account stack's shadowExpire check still refuses it`, c.fix ?? '') : c);
    }
  }

  if (locks.authorizedServices !== null) {
    const searches = conf.authzSearches.filter(checksAuthorizedService);
    if (searches.length === 0) {
      checks.push(failed(subject, `${at('/etc/nslcd.conf')} has no pam_authz_search testing authorizedService=$service, so nslcd lets a directory account into every service`, `add to /etc/nslcd.conf: ${NSLCD_AUTHZ_LINE}`));
    } else {
      checks.push(passed(subject, `${at('/etc/nslcd.conf')} checks authorizedService: pam_authz_search ${searches[0] ?? ''}`));
    }
    const services = await pamServices(root, locks.authorizedServices, 'common-account');
    for (const service of services) {
      checks.push(lockCheck(subject, root, 'pam_ldap.so', 'authorizedService without this service', judgeStack(service, 'account', active, { ...active, pam_ldap: 'perm_denied' }), () =>
        addAccountLine(at(service.file)),
      ));
    }
  }
  return checks;
}
