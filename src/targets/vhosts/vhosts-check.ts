import { stat } from 'node:fs/promises';
import { failed, passed, warned, type CheckSubject, type DoctorCheck } from '../../doctor/doctor-check.js';
import type { TargetCheck, TargetCheckContext } from '../../doctor/target-check.js';
import { errorMessage } from '../../domain/errors.js';
import { rootedPath } from '../../system/rooted-path.js';
import { commandOutput } from './apply-checked-edits.js';
import { testCommand, type VhostsConfig } from './vhosts-config.js';

/**
 * `roster doctor`: the web server's own check passes now, and its workers
 * can see the suspension flags. Every vhost file change runs the check
 * before the reload, so while it fails (a broken file of the
 * administrator's, a module not loaded: mod_rewrite on Apache) every such
 * change fails and the files stay as they were.
 */
export const vhostsCheck: TargetCheck<VhostsConfig> = async (ctx, config): Promise<readonly DoctorCheck[]> => {
  const subject: CheckSubject = { check: 'web server config', host: ctx.host, target: 'vhosts' };
  const argv = testCommand(config);
  const result = await ctx.system.run(argv);
  const test =
    result.code === 0
      ? passed(subject, `${argv.join(' ')} accepts the ${config.server} configuration`)
      : failed(
          subject,
          `${commandOutput(argv, result)}; until it passes, every vhost change fails and leaves the files as they were`,
          `fix what the output names (files in ${config.dir} without Roster's marker are the administrator's), or set hosts.${ctx.host}.targets.vhosts.test to the command that checks this server`,
        );
  return [test, await flagDirCheck(ctx, config)];
};

/**
 * The web server's workers (www-data, not root) test each request's flag
 * with a stat, which needs search permission on every directory down to
 * `flagDir`; without it they find no flag and serve a suspended site.
 * Directories Roster makes are 0755; those that are there already are the
 * administrator's, so a missing `x` for others is a warning (the server's
 * user may own it or be in its group), and verify reports a site that is
 * still served.
 */
async function flagDirCheck(ctx: TargetCheckContext, config: VhostsConfig): Promise<DoctorCheck> {
  const subject: CheckSubject = { check: 'vhost suspension flags', host: ctx.host, target: 'vhosts' };
  const parts = config.flagDir.split('/').filter((p) => p !== '');
  for (let i = 1; i <= parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    let mode: number;
    try {
      const s = await stat(rootedPath(ctx.root, dir));
      if (!s.isDirectory()) return failed(subject, `${dir} is not a directory, so no suspension flag can be made in ${config.flagDir}`, `move it away, or set hosts.${ctx.host}.targets.vhosts.flagDir to another directory`);
      mode = s.mode;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return passed(subject, `${config.flagDir} does not exist yet: the first suspension makes it, 0755 from ${dir} down`);
      return failed(subject, `cannot stat ${dir}: ${errorMessage(e)}`, `check the permissions of ${dir}`);
    }
    if ((mode & 0o001) === 0) {
      return warned(
        subject,
        `${dir} (mode ${(mode & 0o7777).toString(8).padStart(4, '0')}) may not be searched by others: unless the web server's user owns it or is in its group, its workers never see a flag in ${config.flagDir} and suspended sites stay up`,
        `chmod o+x ${dir}`,
      );
    }
  }
  return passed(subject, `${config.flagDir} exists and others may search every directory down to it`);
}
