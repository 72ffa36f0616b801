import { failed, passed, warned, type DoctorCheck } from '../../doctor/doctor-check.js';
import type { TargetCheckContext } from '../../doctor/target-check.js';
import { errorMessage } from '../../domain/errors.js';
import { adminLogin, withAdmin } from './admin-session.js';
import type { MariadbConfig } from './mariadb-config.js';

/**
 * `roster doctor` for the mariadb target: the tools a purge and a restore
 * run, and the admin account: reachable, and allowed what the target does
 * (create and drop users and databases, grant, kill other users'
 * connections, read mysql.global_priv).
 */
export async function mariadbCheck(ctx: TargetCheckContext, config: MariadbConfig): Promise<readonly DoctorCheck[]> {
  const subject = { check: 'mariadb', host: ctx.host, target: 'mariadb' };
  const checks: DoctorCheck[] = [];
  for (const tool of ['mariadb-dump', 'mariadb']) {
    const r = await ctx.system.run([tool, '--version'], { timeoutMs: 10_000 });
    if (r.code === 0) checks.push(passed(subject, `${tool} runs (${r.stdout.trim()})`));
    else checks.push(failed(subject, `${tool} does not run, so purged databases cannot be dumped or restored: ${r.failure ?? r.stderr.trim()}`, 'apt-get install mariadb-client'));
  }
  try {
    const grants = await withAdmin(await adminLogin(ctx, config), async (c) => {
      const rows = await c.query<Array<Record<string, string>>>('SHOW GRANTS');
      return rows.map((r) => Object.values(r)[0] ?? '');
    });
    const all = grants.some((g) => /^GRANT ALL PRIVILEGES ON \*\.\* TO .* WITH GRANT OPTION/.test(g));
    if (all) checks.push(passed(subject, `the admin account of ${config.url} may manage users and databases`));
    else {
      checks.push(warned(subject, `the admin account of ${config.url} lacks ALL PRIVILEGES ON *.* WITH GRANT OPTION; it needs CREATE USER, CREATE, DROP, GRANT OPTION, SELECT on mysql, PROCESS and CONNECTION ADMIN at least`, "GRANT ALL PRIVILEGES ON *.* TO 'roster'@'localhost' WITH GRANT OPTION"));
    }
  } catch (e) {
    checks.push(failed(subject, `cannot reach ${config.url}: ${errorMessage(e)}`, `check hosts.${ctx.host}.targets.mariadb.url and passwordFile, and that the server runs`));
  }
  return checks;
}
