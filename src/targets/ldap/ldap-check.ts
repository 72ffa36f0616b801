import { PresenceFilter } from 'ldapts';
import { failed, passed, type DoctorCheck } from '../../doctor/doctor-check.js';
import type { TargetCheckContext } from '../../doctor/target-check.js';
import { errorMessage } from '../../domain/errors.js';
import { ldapClientChecks } from './ldap-client-check.js';
import type { LdapConfig } from './ldap-config.js';
import { openLdapSession, type LdapSession } from './ldap-session.js';

/**
 * `roster doctor` for the ldap target: the directory (below), then this
 * host's clients, nslcd or SSSD and PAM, which decide whether the locks the
 * target writes keep anyone out (ldapClientChecks).
 */
export async function ldapCheck(ctx: TargetCheckContext, config: LdapConfig): Promise<readonly DoctorCheck[]> {
  return [...(await directoryChecks(ctx, config)), ...(await ldapClientChecks(ctx, config))];
}

/**
 * The configured DN binds (with the password from its file, over StartTLS
 * when configured), and usersDn and groupsDn exist and can be read by it.
 * Write access is not probed: a doctor run changes nothing.
 */
async function directoryChecks(ctx: TargetCheckContext, config: LdapConfig): Promise<readonly DoctorCheck[]> {
  const subject = { check: 'ldap', host: ctx.host, target: 'ldap' };
  const where = `hosts.${ctx.host}.targets.ldap`;
  let session: LdapSession;
  try {
    session = await openLdapSession(ctx.root, config);
  } catch (e) {
    return [failed(subject, errorMessage(e), `check ${where}.url, bindDn and bindPasswordFile, and that the server runs`)];
  }
  const checks: DoctorCheck[] = [passed(subject, `${config.bindDn} binds to ${config.url}${config.startTLS ? ' over StartTLS' : ''}`)];
  try {
    for (const [field, dn] of [['usersDn', config.usersDn], ['groupsDn', config.groupsDn]] as const) {
      try {
        await session.client.search(dn, { scope: 'base', filter: new PresenceFilter({ attribute: 'objectClass' }), attributes: ['1.1'] });
        checks.push(passed(subject, `${field} ${dn} can be read`));
      } catch (e) {
        checks.push(failed(subject, `${field} ${dn} cannot be read as ${config.bindDn}: ${errorMessage(e)}`, `create ${dn} (objectClass organizationalUnit), or fix ${where}.${field}, or give ${config.bindDn} access to it`));
      }
    }
  } finally {
    await session.close();
  }
  return checks;
}
