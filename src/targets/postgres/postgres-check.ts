import { failed, passed, warned, type DoctorCheck } from '../../doctor/doctor-check.js';
import type { TargetCheckContext } from '../../doctor/target-check.js';
import { errorMessage } from '../../domain/errors.js';
import type { PostgresConfig } from './postgres-config.js';
import { openAdminSession, type AdminSession } from './postgres-session.js';
import { toolPath } from './postgres-tools.js';
import { redactedUrl } from './postgres-url.js';

/**
 * `roster doctor` for the postgres target: pg_dump and pg_restore run and
 * are not older than the server (pg_dump refuses a newer server, so a purge
 * would stop at its dump), and the configured role reaches the server and
 * may do what the target does: create and drop roles and databases
 * (CREATEROLE CREATEDB, or a superuser) and end other roles' sessions on a
 * database it drops (pg_signal_backend).
 */
export async function postgresCheck(ctx: TargetCheckContext, config: PostgresConfig): Promise<readonly DoctorCheck[]> {
  const subject = { check: 'postgres', host: ctx.host, target: 'postgres' };
  const where = `hosts.${ctx.host}.targets.postgres`;
  const checks: DoctorCheck[] = [];
  const toolMajors = new Map<string, number>();
  for (const tool of ['pg_dump', 'pg_restore'] as const) {
    const path = toolPath(config, tool);
    const r = await ctx.system.run([path, '--version'], { timeoutMs: 10_000 });
    const major = /(\d+)(?:\.\d+)?/.exec(r.stdout)?.[1];
    if (r.code === 0 && major !== undefined) {
      toolMajors.set(tool, Number(major));
      checks.push(passed(subject, `${path} runs (${r.stdout.trim()})`));
    } else {
      checks.push(failed(subject, `${path} does not run, so databases cannot be dumped before a purge nor restored: ${r.failure ?? (r.stderr.trim() || `exit ${r.code ?? '?'}`)}`, `apt-get install postgresql-client, or set ${where}.binDir`));
    }
  }
  let session: AdminSession;
  try {
    session = await openAdminSession(ctx.root, config);
  } catch (e) {
    checks.push(failed(subject, errorMessage(e), `check ${where}.url and passwordFile, and that the server runs`));
    return checks;
  }
  try {
    const url = redactedUrl(config.url);
    for (const [tool, major] of toolMajors) {
      if (major < session.major) checks.push(failed(subject, `${tool} is version ${major}, older than the server (${session.major}): it will refuse to dump it`, `apt-get install postgresql-client-${session.major}, or set ${where}.binDir`));
    }
    const r = await session.client.query<{ createrole: boolean; createdb: boolean; signal: boolean }>(
      "select rolcreaterole as createrole, rolcreatedb as createdb, pg_has_role(current_user, 'pg_signal_backend', 'USAGE') as signal from pg_roles where rolname = current_user",
    );
    const row = r.rows[0];
    if (session.superuser) checks.push(passed(subject, `${session.user} on ${url} is a superuser`));
    else if (row?.createrole !== true || !row.createdb) {
      checks.push(failed(subject, `${session.user} on ${url} may not create roles and databases (CREATEROLE ${row?.createrole === true ? 'yes' : 'no'}, CREATEDB ${row?.createdb === true ? 'yes' : 'no'})`, `ALTER ROLE ${session.user} CREATEROLE CREATEDB;`));
    } else if (!row.signal) {
      checks.push(warned(subject, `${session.user} on ${url} may create roles and databases, but cannot end other roles' sessions on a database it drops`, `GRANT pg_signal_backend TO ${session.user};`));
    } else checks.push(passed(subject, `${session.user} on ${url} may create and drop roles and databases and end sessions`));
  } finally {
    await session.close();
  }
  return checks;
}
