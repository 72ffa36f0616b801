import { posix } from 'node:path';
import { failed, passed, warned, type CheckSubject, type DoctorCheck } from '../../doctor/doctor-check.js';
import type { ClientLocks } from './client-locks.js';
import { dnWithin } from './client-locks.js';
import { judgeStack, lockCheck, LOGIN_SERVICES, pamServices } from './ldap-client-pam.js';
import { readSssdConf, sssdList } from './sssd-conf.js';

/** Debian's own account line for SSSD (pam-auth-update's sss profile): the access provider's refusal is final, unknown users pass on. */
export const SSSD_ACCOUNT_LINE = 'account [default=bad success=ok user_unknown=ignore] pam_sss.so';

/**
 * `roster doctor` for a host whose accounts come through SSSD (nsswitch
 * `passwd: … sss`), from sssd-ldap(5) of SSSD 2.8 (Debian 12): every lock
 * is checked by the LDAP access provider (`access_provider = ldap`), each
 * only when `ldap_access_order` names it — `expire` with
 * `ldap_account_expire_policy = shadow` for shadowExpire, `ppolicy` for
 * pwdAccountLockedTime (`lockout`, which it supersedes, sees only the
 * permanent 000001010000Z lock), `authorized_service` for
 * authorizedService — and pam_sss must carry the provider's refusal in
 * the account stack.
 */
export async function sssdClientChecks(subject: CheckSubject, root: string, locks: ClientLocks): Promise<DoctorCheck[]> {
  const file = posix.join(root, '/etc/sssd/sssd.conf');
  const conf = await readSssdConf(root);
  if (conf === null) return [failed(subject, `${posix.join(root, '/etc/nsswitch.conf')} asks SSSD for accounts (passwd: … sss), but ${file} is missing`, 'write /etc/sssd/sssd.conf with a [domain/…] section: id_provider = ldap, access_provider = ldap')];
  const names = sssdList(conf.get('sssd')?.get('domains'));
  const domains = names.flatMap((name) => {
    const options = conf.get(`domain/${name}`);
    return options?.get('id_provider') === 'ldap' ? [{ name, options }] : [];
  });
  if (domains.length === 0) {
    return [failed(subject, `${file} has no domain with id_provider = ldap among its domains (${names.join(', ') || 'none'}), so SSSD reads no accounts from the directory`, `add a [domain/LDAP] section with id_provider = ldap, access_provider = ldap and ldap_uri, and list it in "domains" of [sssd] in ${file}`)];
  }
  const checks: DoctorCheck[] = [];
  for (const { name, options } of domains) {
    const section = `[domain/${name}] of ${file}`;
    const base = options.get('ldap_search_base') ?? options.get('ldap_user_search_base');
    if (locks.usersDn !== null && base !== undefined && !dnWithin(locks.usersDn, base.split('?')[0] ?? base)) {
      checks.push(failed(subject, `SSSD searches ${base} (${section}), which does not hold ${locks.usersDn}, where the ldap target writes accounts`, `set ldap_user_search_base = ${locks.usersDn} in ${section}`));
    }
    const access = options.get('access_provider');
    if (access !== 'ldap') {
      checks.push(failed(subject, `${section} has access_provider = ${access ?? '(unset: permit)'}, so SSSD checks none of ${['shadowExpire', ...(locks.ppolicy ? ['pwdAccountLockedTime'] : []), ...(locks.authorizedServices === null ? [] : ['authorizedService'])].join(', ')}`, `set access_provider = ldap in ${section}`));
      continue;
    }
    const explicit = options.get('ldap_access_order');
    const order = explicit === undefined ? ['filter'] : sssdList(explicit);
    const needed: string[] = [];
    const need = (item: string, lock: string): void => {
      if (order.includes(item)) checks.push(passed(subject, `${section} checks ${lock} (ldap_access_order has ${item})`));
      else needed.push(item);
    };
    need('expire', 'shadowExpire');
    if (order.includes('expire')) {
      const policy = options.get('ldap_account_expire_policy');
      if (policy !== 'shadow') checks.push(failed(subject, `${section} has ldap_account_expire_policy = ${policy ?? '(unset)'}, so its expire check ignores shadowExpire`, `set ldap_account_expire_policy = shadow in ${section}`));
    }
    if (locks.ppolicy) {
      const dn = options.get('ldap_pwdlockout_dn') ?? `cn=ppolicy,ou=policies,${base ?? '$ldap_search_base'}`;
      if (order.includes('ppolicy')) checks.push(passed(subject, `${section} checks pwdAccountLockedTime (ldap_access_order has ppolicy; the policy entry it reads is ${dn}, and without it SSSD refuses everyone)`));
      else if (order.includes('lockout')) checks.push(warned(subject, `${section} checks pwdAccountLockedTime with lockout, which sssd-ldap(5) says ppolicy supersedes and may be removed (it sees only the permanent lock Roster writes)`, `replace lockout with ppolicy in ldap_access_order in ${section}`));
      else needed.push('ppolicy');
    }
    if (locks.authorizedServices !== null) need('authorized_service', 'authorizedService');
    if (needed.length > 0) {
      const line = `ldap_access_order = ${[...order, ...needed].join(', ')}`;
      checks.push(failed(subject, `${section} does not check ${needed.map((n) => ({ expire: 'shadowExpire (expire)', ppolicy: 'pwdAccountLockedTime (ppolicy)', authorized_service: 'authorizedService (authorized_service)' })[n] ?? n).join(', ')}: ldap_access_order is ${explicit ?? 'unset (filter)'}`, `add ${needed.map((n) => `\`${n}\``).join(' and ')} to ldap_access_order in ${section}: ${line}${needed.includes('expire') && options.get('ldap_account_expire_policy') !== 'shadow' ? ', and ldap_account_expire_policy = shadow' : ''}`));
    }
  }
  // SSSD's refusal is pam_sss's answer in the account stack (perm_denied); nslcd is not what this host asks.
  const active = { pam_unix: 'success', pam_sss: 'success', pam_ldap: 'authinfo_unavail' };
  for (const service of await pamServices(root, [...LOGIN_SERVICES, ...(locks.authorizedServices ?? [])], 'common-account')) {
    checks.push(lockCheck(subject, root, 'pam_sss.so', 'a lock SSSD refuses', judgeStack(service, 'account', active, { ...active, pam_sss: 'perm_denied' }), () => `add this line after pam_unix.so's in ${posix.join(root, service.file)}'s account stack (as pam-auth-update does): ${SSSD_ACCOUNT_LINE}`));
  }
  return checks;
}
