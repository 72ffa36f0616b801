import * as z from 'zod';
import { normalisedPath } from '../normalised-path.js';
import { urlProblem } from './postgres-url.js';

const url = z.string().superRefine((u, ctx) => {
  const problem = urlProblem(u);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * roster.yaml `hosts.<host>.targets.postgres` (issue 12 item 1): the server
 * whose roles and databases Roster manages from this host, and as whom. The
 * role needs CREATEROLE and CREATEDB (or is a superuser); a role that is not
 * a superuser is made a member of each role it creates (to create databases
 * owned by it, dump and restore them), and needs pg_signal_backend to end
 * other roles' sessions on a database it drops.
 */
export const postgresConfigSchema = z
  .strictObject({
    /** libpq URL; `?host=/var/run/postgresql` for the unix socket. */
    url: url.describe("the connection URL of a role that may create and drop roles and databases (CREATEROLE CREATEDB, or a superuser), e.g. postgres://roster@127.0.0.1:5432/postgres, or postgres://roster@/postgres?host=/var/run/postgresql for the socket"),
    /** Kept out of roster.yaml: the first line of a root-only file. */
    passwordFile: normalisedPath.optional().describe("a file whose first line is the password of the url's role; default the url's own password, if any"),
    /** pg_dump must be at least the server's major version. */
    binDir: normalisedPath.optional().describe('the directory of pg_dump and pg_restore; default the newest /usr/lib/postgresql/<major>/bin, else the PATH'),
    archive: z.boolean().optional().describe("dump a database (pg_dump, custom format) into the archive before dropping it; default purge.archive"),
    archiveDir: normalisedPath.optional().describe('where dumps and their manifests go (mode 0700, root); default purge.archiveDir'),
    /** A backend in an uninterruptible wait can take a moment to go. */
    backendGrace: z.int().min(0).max(60_000).default(5_000).describe("how long, in milliseconds, verify waits for a frozen role's ended sessions to go before it reports them"),
  })
  .describe("PostgreSQL roles and databases: a role per account living on the host, databases as owned resources (kind postgres-database); a hold that disables `databases` makes the role NOLOGIN and ends its sessions; purge dumps, then drops");

export type PostgresConfig = z.output<typeof postgresConfigSchema>;
