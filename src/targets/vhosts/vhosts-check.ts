import { failed, passed, type CheckSubject, type DoctorCheck } from '../../doctor/doctor-check.js';
import type { TargetCheck } from '../../doctor/target-check.js';
import { commandOutput } from './apply-checked-edits.js';
import { testCommand, type VhostsConfig } from './vhosts-config.js';

/**
 * `roster doctor`: the web server's own check passes now. Every vhost change
 * runs it before the reload, so while it fails (a broken file of the
 * administrator's, a module not loaded) every change fails and the files
 * stay as they were.
 */
export const vhostsCheck: TargetCheck<VhostsConfig> = async (ctx, config): Promise<readonly DoctorCheck[]> => {
  const subject: CheckSubject = { check: 'web server config', host: ctx.host, target: 'vhosts' };
  const argv = testCommand(config);
  const result = await ctx.system.run(argv);
  if (result.code === 0) return [passed(subject, `${argv.join(' ')} accepts the ${config.server} configuration`)];
  return [
    failed(
      subject,
      `${commandOutput(argv, result)}; until it passes, every vhost change fails and leaves the files as they were`,
      `fix what the output names (files in ${config.dir} without Roster's marker are the administrator's), or set hosts.${ctx.host}.targets.vhosts.test to the command that checks this server`,
    ),
  ];
};
