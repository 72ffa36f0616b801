import { spawn } from 'node:child_process';
import { RosterError } from '../../domain/errors.js';
import { rootedPath } from '../../system/rooted-path.js';
import type { KerberosConfig } from './kerberos-config.js';

/**
 * Running MIT kadmin (or kadmin.local) for the kerberos target and the
 * password path: always an argument array, never a shell; a password only
 * ever on kadmin's standard input, at its own prompts (never `-pw`, which
 * `ps` would show). kadmin exits 0 even when a query fails ("Principal does
 * not exist", "Invalid date specification"), so a query's errors are read
 * from its stderr; a non-zero exit means kadmin never got going (no keytab,
 * KDC or kadmind unreachable).
 */

export interface KadminOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Said on stderr by kadmin for every principal made without a policy: not an error. */
const BENIGN = [/^No policy specified for .*; defaulting to no policy$/, /^WARNING: no policy specified/];

/** The program and its arguments for the configured kadmin, under the host's root prefix. */
export function kadminCommand(root: string, config: KerberosConfig): { readonly file: string; readonly args: readonly string[] } {
  if (config.kadmin === undefined) return { file: 'kadmin.local', args: ['-r', config.realm] };
  const k = config.kadmin;
  return { file: 'kadmin', args: ['-r', config.realm, '-k', '-t', rootedPath(root, k.keytab), '-p', k.principal, '-s', k.server] };
}

/** What kadmin is called, for messages. */
export function kadminName(config: KerberosConfig): string {
  return config.kadmin === undefined ? 'kadmin.local' : `kadmin -p ${config.kadmin.principal} -s ${config.kadmin.server}`;
}

/**
 * kadmin's environment: only what it needs. A memory ticket cache, so the
 * admin's tickets are never written to disk nor mixed with root's own;
 * times in UTC, so every date kadmin prints or parses means one instant.
 */
export function kadminEnv(root: string, config: KerberosConfig): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', TZ: 'UTC', KRB5CCNAME: 'MEMORY:roster-kadmin' };
  if (config.krb5Config !== undefined) env.KRB5_CONFIG = rootedPath(root, config.krb5Config);
  if (config.kdcProfile !== undefined) env.KRB5_KDC_PROFILE = rootedPath(root, config.kdcProfile);
  return env;
}

/** The lines of stderr that report a failure (kadmin's notes about a missing policy are not). */
export function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !BENIGN.some((b) => b.test(l)));
}

/**
 * Runs kadmin once: `args` after the connection options, `input` on stdin
 * (queries for a batch, or a password at an addprinc/cpw prompt). The
 * output is never put in a log by this function; a failure's message
 * carries stderr only, where kadmin never echoes a password.
 */
export function runKadmin(root: string, config: KerberosConfig, args: readonly string[], input: string): Promise<KadminOutput> {
  const { file, args: base } = kadminCommand(root, config);
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...base, ...args], { env: kadminEnv(root, config), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, config.timeoutSeconds * 1000);
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new RosterError('unavailable', `${kadminName(config)}: ${e.code === 'ENOENT' ? `${file} not found (apt-get install ${file === 'kadmin' ? 'krb5-user' : 'krb5-admin-server'})` : e.message}`, [], { cause: e }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) return reject(new RosterError('unavailable', `${kadminName(config)} did not finish within ${config.timeoutSeconds} s (timeoutSeconds) and was stopped`));
      if (code !== 0) {
        const said = errorLines(stderr).slice(-3).join('; ');
        return reject(new RosterError('unavailable', `${kadminName(config)} failed (exit ${String(code)})${said === '' ? '' : `: ${said}`}`));
      }
      resolve({ stdout, stderr });
    });
    // A kadmin that exits early (bad keytab) closes its stdin: that is its exit's to report.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** One query with `-q`; its stderr errors make it a failure naming the query's first word and what kadmin said. */
export async function kadminQuery(root: string, config: KerberosConfig, query: string, input = ''): Promise<string> {
  const out = await runKadmin(root, config, ['-q', query], input);
  const errors = errorLines(out.stderr);
  if (errors.length > 0) throw new RosterError('conflict', `kadmin ${query.split(' ')[0] ?? ''}: ${errors.join('; ')}`);
  return out.stdout;
}

const PROMPT = /^kadmin(?:\.local)?: {2}/;

/**
 * Many queries in one kadmin process, written on its stdin (a first run
 * reads thousands of principals: one authentication, not one each). The
 * answer to each query is the stdout between its prompt and the next one;
 * a query that failed answers nothing there (its error is on stderr, which
 * cannot be matched to a query), so callers use queries whose empty answer
 * means "no such principal".
 */
export async function kadminBatch(root: string, config: KerberosConfig, queries: readonly string[]): Promise<string[]> {
  if (queries.length === 0) return [];
  if (queries.some((q) => q.includes('\n'))) throw new RosterError('internal', 'a kadmin query spans lines');
  const out = await runKadmin(root, config, [], `${queries.join('\n')}\n`);
  const sections: string[][] = [];
  for (const line of out.stdout.split('\n')) {
    if (PROMPT.test(line)) sections.push([]);
    else sections.at(-1)?.push(line);
  }
  // kadmin echoes each query after its prompt; the last prompt (at EOF) has none.
  return queries.map((_, i) => (sections[i] ?? []).join('\n'));
}
