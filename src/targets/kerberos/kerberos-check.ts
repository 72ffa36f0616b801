import { failed, passed, type DoctorCheck } from '../../doctor/doctor-check.js';
import type { TargetCheckContext } from '../../doctor/target-check.js';
import { errorMessage } from '../../domain/errors.js';
import type { KerberosConfig } from './kerberos-config.js';
import { errorLines, kadminName, runKadmin } from './kadmin.js';

/** What the target asks of kadmin: read, add, modify (flags, expiry, string attributes) and delete principals. */
const NEEDED = ['INQUIRE', 'ADD', 'MODIFY', 'DELETE'];

/**
 * `roster doctor` for the kerberos target: kadmin starts and authenticates
 * (the keytab and principal are right, kadmind answers; or kadmin.local
 * opens the database), and `getprivs` shows the privileges the target uses.
 */
export async function kerberosCheck(ctx: TargetCheckContext, config: KerberosConfig): Promise<readonly DoctorCheck[]> {
  const subject = { check: 'kerberos', host: ctx.host, target: 'kerberos' };
  const where = `hosts.${ctx.host}.targets.kerberos`;
  let out: { readonly stdout: string; readonly stderr: string };
  try {
    out = await runKadmin(ctx.root, config, ['-q', 'getprivs'], '');
  } catch (e) {
    return [failed(subject, errorMessage(e), config.local === true ? `run roster on the KDC as root, or check ${where}.kdcProfile` : `check ${where}.kadmin (server, principal, keytab) and that kadmind runs`)];
  }
  const line = out.stdout.split('\n').find((l) => l.startsWith('current privileges:')) ?? '';
  const has = new Set(line.replace('current privileges:', '').trim().split(/\s+/));
  const missing = NEEDED.filter((p) => !has.has(p));
  if (line === '' || missing.length > 0) {
    const said = errorLines(out.stderr).join('; ');
    return [failed(subject, `${kadminName(config)} runs but lacks ${missing.length > 0 ? missing.join(', ') : 'an answer to getprivs'}${said === '' ? '' : ` (${said})`}`, `in kadm5.acl: ${config.kadmin?.principal ?? '<principal>'}@${config.realm} adcilm`)];
  }
  return [passed(subject, `${kadminName(config)} reaches realm ${config.realm} with privileges ${[...has].join(' ')}`)];
}
