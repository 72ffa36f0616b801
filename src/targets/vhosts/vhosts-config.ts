import { posix } from 'node:path';
import * as z from 'zod';
import { normalisedPath } from '../normalised-path.js';
import { encodedPage, MAX_PAGE_LENGTH } from './suspended-page.js';

/** `/` is refused: Roster removes the files it wrote in this directory. */
const directory = normalisedPath.refine((p) => p !== '/', { error: 'must not be / (Roster removes the files it wrote there)' });

/**
 * Where the suspension flags live when roster.yaml names no other place:
 * beside Roster's own state directory, not in it, since the web server's
 * workers must be able to search down to the flags.
 */
export const DEFAULT_FLAG_DIR = '/var/lib/roster-vhosts/suspended';

/** Roster's own state (the apply lock, archives), which every apply keeps 0700: root's alone. */
const PRIVATE_STATE_DIR = '/var/lib/roster';

/**
 * Characters a flag path may not hold: it is written into every vhost file,
 * in nginx's `if (-f "...")` (which expands `$variables`) and Apache's
 * `RewriteCond "..."` (which expands `%{...}`, `$N` and `%N`).
 */
const FLAG_DIR_UNSAFE = /["\\$%\s]/;

const flagDirectory = directory
  .refine((p) => !FLAG_DIR_UNSAFE.test(p), { error: 'must not contain spaces, ", \\, $ or % (the path is written into every vhost file, where the servers would expand them)' })
  .refine((p) => p !== PRIVATE_STATE_DIR && !p.startsWith(`${PRIVATE_STATE_DIR}/`), {
    error: `must not be inside ${PRIVATE_STATE_DIR}, which Roster keeps 0700: the web server's workers could not see the flags there`,
  });

function validPort(port: string): boolean {
  const n = Number(port);
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** `80`, `*:80`, `127.0.0.1:8080`, `[::]:80`: what nginx's `listen` and Apache's `<VirtualHost>` both accept. */
const LISTEN = /^(?:(\*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):)?(\d{1,5})$/;

const listenAddress = z.string().refine((l) => validPort(LISTEN.exec(l)?.[2] ?? ''), { error: 'must be PORT, *:PORT, an IPv4 address:PORT or [IPv6]:PORT' });

/** Where verify sends its requests: an address the web server listens on, not a name (no DNS in a probe). */
const PROBE = /^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]|localhost):(\d{1,5})$/;

const probeAddress = z.string().refine((a) => validPort(PROBE.exec(a)?.[2] ?? ''), { error: 'must be an IPv4 address:PORT, [IPv6]:PORT or localhost:PORT' });

const argv = z.array(z.string().min(1)).min(1);

/**
 * A path of a file holding the page (one absolute path, no spaces), or the
 * page itself. The page is served as HTML, so it is checked here once encoded
 * (Apache takes at most 8000 bytes of ErrorDocument text).
 */
const page = z.string().min(1).superRefine((p, ctx) => {
  if (isPagePath(p)) {
    if (posix.normalize(p) !== p) ctx.addIssue({ code: 'custom', message: 'a page file must be a normalised absolute path (no //, . or ..)' });
    return;
  }
  const length = encodedPage(p).length;
  if (length > MAX_PAGE_LENGTH) ctx.addIssue({ code: 'custom', message: `is ${length} bytes once encoded for the web server; at most ${MAX_PAGE_LENGTH}` });
});

/** Whether `suspendedPage` names a file rather than being the page: an absolute path on one line, without spaces. */
export function isPagePath(p: string): boolean {
  return p.startsWith('/') && !/\s/.test(p);
}

/**
 * roster.yaml `hosts.<host>.targets.vhosts` (issue 12 item 4): the members'
 * web sites as HCoop's domain tool served them, one file per vhost in `dir`,
 * which the web server's own configuration includes (nginx: `include
 * DIR/*.conf;` inside `http`; Apache: `IncludeOptional DIR/*.conf`, with
 * mod_rewrite, which checks the suspension flag). Paths are as seen on the
 * host; the pipeline puts them under the root prefix.
 */
export const vhostsConfigSchema = z
  .strictObject({
    server: z.enum(['nginx', 'apache']).describe('the web server whose syntax the vhost files are written in: nginx or apache'),
    dir: directory.describe("the directory of vhost files the web server includes; Roster writes roster-vhost-NAME.conf files there and touches no other file"),
    flagDir: flagDirectory
      .default(DEFAULT_FLAG_DIR)
      .describe(
        `the directory of suspension flags (default ${DEFAULT_FLAG_DIR}): while the file named after a vhost exists there, the vhost answers 503 with the suspended page. Roster creates it 0755; the web server's workers must be able to search every directory down to it`,
      ),
    listen: z
      .union([listenAddress, z.array(listenAddress).min(1)])
      .default(['80'])
      .transform((l) => (typeof l === 'string' ? [l] : l))
      .describe('where the vhosts listen: PORT, *:PORT, ADDRESS:PORT or [IPv6]:PORT, one or a list (default 80)'),
    suspendedPage: page
      .optional()
      .describe('what a vhost answers with status 503 while its owner is frozen: the HTML page itself, or the absolute path of a file holding it; default a short notice'),
    test: argv.optional().describe('the command that checks the configuration before any reload, as an argument list (default nginx -t, or apache2ctl -t)'),
    reload: z
      .union([argv, z.strictObject({ pidFile: normalisedPath.describe("the server's PID file, e.g. /run/nginx.pid or /run/apache2/apache2.pid") })])
      .optional()
      .describe(
        "how the web server loads the checked configuration: a command as an argument list (default nginx -s reload, or apache2ctl graceful), or { pidFile } to send the master its graceful signal directly (HUP to nginx, USR1 to Apache), which spares nginx -s reload parsing the whole configuration only to find the PID",
      ),
    verify: z
      .strictObject({
        http: probeAddress.describe('the address verify sends GET / to, with the Host header of each changed vhost: ADDRESS:PORT'),
        timeoutSeconds: z.number().positive().max(300).default(10).describe('how long verify waits for the reloaded server to answer as expected (a reload takes effect a moment after it returns)'),
      })
      .optional()
      .describe('after apply, ask the web server: a suspended vhost must answer 503 with the suspended page, a resumed one must not; each file then sends an X-Roster-Vhost header naming it (on Apache this needs mod_headers)'),
  })
  // A flag is named after its vhost, not roster-vhost-NAME.conf: in the include dir it would be read as the administrator's file.
  .refine((c) => c.flagDir !== c.dir, { error: 'flagDir must not be the vhost directory dir', path: ['flagDir'] })
  .describe("members' web vhosts (nginx or Apache): served from a directory in the home or proxied to the member's own daemon; 503 with a suspended page while the owner is frozen");

export type VhostsConfig = z.output<typeof vhostsConfigSchema>;

/** The configured check, else the server's own. */
export function testCommand(config: VhostsConfig): readonly string[] {
  return config.test ?? (config.server === 'nginx' ? ['nginx', '-t'] : ['apache2ctl', '-t']);
}
