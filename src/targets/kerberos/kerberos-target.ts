import { defineTarget } from '../target.js';
import { KERBEROS, KERBEROS_SERVICE } from './kerberos-change.js';
import { kerberosConfigSchema, type KerberosConfig } from './kerberos-config.js';
import { applyKerberos } from './kerberos-apply.js';
import { kerberosCheck } from './kerberos-check.js';
import { observeKerberos, type KerberosObserved } from './kerberos-observe.js';
import { planKerberos } from './kerberos-plan.js';
import { verifyKerberos } from './kerberos-verify.js';

/**
 * MIT Kerberos (issue 13 item 2, DESIGN.md §4): the principal of every
 * account of an `auth: kerberos` type living on the host, through kadmin
 * (a remote kadmind with a keytab, or kadmin.local on the KDC). A missing
 * principal is created with a random key (the password comes from
 * `roster account create/passwd --password-stdin`, straight to kadmin); an
 * existing one is adopted with its password. A hold that disables
 * `kerberos` (not a billing freeze, which keeps it by default with mail and
 * portal) sets -allow_tix; retiring with D > 0 sets its expiry; both are
 * recorded on the principal first and undone exactly. A purged account's
 * principal is recorded in the archive, then deleted. Principals without
 * Roster's marker for this host and account are never changed.
 */
export const kerberosTarget = defineTarget<KerberosConfig, KerberosObserved>({
  name: KERBEROS,
  hostSettings: kerberosConfigSchema,
  doctor: kerberosCheck,
  // Touches only its own service: applied at the same time as the other service targets next to it.
  concurrent: true,
  services: [KERBEROS_SERVICE],
  observe: observeKerberos,
  plan: planKerberos,
  apply: applyKerberos,
  verify: verifyKerberos,
});
