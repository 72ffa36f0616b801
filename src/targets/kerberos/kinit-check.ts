import { spawn } from 'node:child_process';
import { RosterError } from '../../domain/errors.js';
import { kadminEnv } from './kadmin.js';
import type { KerberosConfig } from './kerberos-config.js';

/** What kinit says when the password, or the principal's state, is the answer: no, not "the KDC is away". */
const REFUSED = [/Password incorrect/i, /Preauthentication failed/i, /not found in Kerberos database/i, /credentials have been revoked/i, /has expired/i, /Password has expired/i];

/**
 * Whether `password` is the principal's (a member signing in to the portal
 * with their Kerberos password, or confirming it before a change): kinit
 * against the realm's KDC with the password on its standard input, into a
 * memory ticket cache that ends with the process, so no ticket is kept.
 * False when the KDC refuses (a wrong password, an unknown or revoked
 * principal); throws `unavailable` when it cannot be asked.
 */
export function kinitAccepts(root: string, config: KerberosConfig, principal: string, password: string): Promise<boolean> {
  if (/[\r\n\u0000]/.test(password)) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const child = spawn('kinit', [principal], { env: { ...kadminEnv(root, config), KRB5CCNAME: 'MEMORY:roster-check' }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, config.timeoutSeconds * 1000);
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new RosterError('unavailable', `kinit: ${e.code === 'ENOENT' ? 'not found (apt-get install krb5-user)' : e.message}`, [], { cause: e }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) return reject(new RosterError('unavailable', `kinit ${principal} did not finish within ${config.timeoutSeconds} s`));
      if (code === 0) return resolve(true);
      if (REFUSED.some((r) => r.test(stderr))) return resolve(false);
      // kinit never echoes the password; its last line says why it could not ask.
      const said = stderr.trim().split('\n').at(-1) ?? '';
      reject(new RosterError('unavailable', `kinit ${principal} could not ask the KDC (exit ${String(code)})${said === '' ? '' : `: ${said}`}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${password}\n`);
  });
}
