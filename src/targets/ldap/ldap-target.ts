import { defineTarget } from '../target.js';
import { applyLdap } from './ldap-apply.js';
import { DIRECTORY_SERVICE, LDAP } from './ldap-change.js';
import { ldapCheck } from './ldap-check.js';
import { ldapConfigSchema, type LdapConfig } from './ldap-config.js';
import type { LdapObserved } from './ldap-observed.js';
import { observeLdap } from './ldap-observe.js';
import { planLdap } from './ldap-plan.js';
import { verifyLdap } from './ldap-verify.js';

/**
 * LDAP (issue 13 item 1, DESIGN.md §4): every account living on the host
 * gets a posixAccount + shadowAccount + inetOrgPerson entry under usersDn,
 * and every group of the host a posixGroup or groupOfNames entry under
 * groupsDn. A hold sets every lock the clients check: shadowExpire 1, with
 * ppolicy pwdAccountLockedTime 000001010000Z, and with authorizedService
 * the values of the services it disables removed (a billing freeze that
 * keeps mail keeps imap, and then leaves the password and shadow fields
 * alone, so IMAP still binds). Lifting it renders the active entry again:
 * an exact restore. A purged account's entries go to the archive as LDIF,
 * then are deleted. Only entries marked as Roster's (their description) are
 * ever changed.
 */
export const ldapTarget = defineTarget<LdapConfig, LdapObserved>({
  name: LDAP,
  hostSettings: ldapConfigSchema,
  doctor: ldapCheck,
  // Touches only its own service: applied at the same time as the other service targets next to it.
  concurrent: true,
  services: [DIRECTORY_SERVICE],
  servicesOf: (config) => [...new Set(Object.values(config.authorizedService ?? {}))],
  observe: observeLdap,
  plan: planLdap,
  apply: applyLdap,
  verify: verifyLdap,
});
