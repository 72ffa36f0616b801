import { posix } from 'node:path';
import { failed, passed, warned, type DoctorCheck } from '../../doctor/doctor-check.js';
import type { TargetCheck } from '../../doctor/target-check.js';
import { commandProblem } from '../../system/run-command.js';
import type { MailListsConfig } from './mail-lists-config.js';

/** The restriction lists smtpd evaluates at RCPT TO, in the order it evaluates them (Postfix ≥ 2.10). */
const RCPT_RESTRICTIONS = ['smtpd_relay_restrictions', 'smtpd_recipient_restrictions'] as const;

/**
 * `roster doctor` for the mail-lists target: with Postfix, whether smtpd
 * reads the map at all (`check_recipient_access type:map` in its RCPT TO
 * restrictions, before any permit that would accept first), asked of
 * `postconf -c <root>/etc/postfix`. A map that is written but not wired is
 * the failure nobody notices until a frozen member's list keeps working.
 * Exim's configuration is not parsed: the map's header shows the ACL.
 */
export const mailListsCheck: TargetCheck<MailListsConfig> = async (ctx, config) => {
  const subject = { check: 'mail-lists-map', host: ctx.host, target: 'mail-lists' };
  if (config.mta === 'exim') return [passed(subject, `Exim reads ${config.map} only through the ACL shown in its header; not checked`)];
  const wanted = `check_recipient_access ${config.table}:${config.map}`;
  const argv = ['postconf', '-c', posix.join(ctx.root, 'etc/postfix'), ...RCPT_RESTRICTIONS];
  const result = await ctx.system.run(argv);
  if (result.code !== 0) return [warned(subject, `cannot read Postfix's restrictions: ${commandProblem(argv, result)}`, 'install postfix, or check /etc/postfix/main.cf')];
  const fix = `postconf -e 'smtpd_recipient_restrictions = ${wanted}, permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination' (keep your own checks after it)`;
  const checks: DoctorCheck[] = [];
  // Each list is evaluated on its own: a permit ends only the list it is in.
  for (const l of result.stdout.split('\n')) {
    const eq = l.indexOf(' = ');
    if (eq < 0) continue;
    const name = l.slice(0, eq);
    const tokens = l
      .slice(eq + 3)
      .split(/[\s,]+/)
      .filter((t) => t !== '');
    const at = tokens.findIndex((t, i) => t === 'check_recipient_access' && tokens[i + 1] === `${config.table}:${config.map}`);
    if (at < 0) continue;
    const permit = tokens.slice(0, at).find((t) => t.startsWith('permit'));
    checks.push(
      permit === undefined
        ? passed(subject, `Postfix reads ${config.table}:${config.map} at RCPT TO (${name})`)
        : warned(subject, `Postfix reads ${config.table}:${config.map} in ${name} only after ${permit}, which accepts those clients' mail to frozen lists first`, `move "${wanted}" before ${permit} in ${name}`),
    );
  }
  if (checks.length === 0) checks.push(failed(subject, `Postfix does not read ${config.map}: no "${wanted}" in ${RCPT_RESTRICTIONS.join(' or ')}, so frozen lists keep receiving mail`, fix));
  return checks;
};
