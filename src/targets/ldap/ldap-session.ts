import { readFile } from 'node:fs/promises';
import { Client } from 'ldapts';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { rootedPath } from '../../system/rooted-path.js';
import type { LdapConfig } from './ldap-config.js';

/**
 * A connection bound as the configured DN. The password is the first line
 * of `bindPasswordFile` (under the root), read at each run so a rotated
 * password needs no restart; a file that cannot be read, a server that
 * cannot be reached or a bind that is refused makes the target unavailable
 * (nothing is planned in part).
 */
export async function bindPassword(root: string, config: LdapConfig): Promise<string> {
  try {
    const text = await readFile(rootedPath(root, config.bindPasswordFile), 'utf8');
    return text.split('\n')[0] ?? '';
  } catch (e) {
    throw new RosterError('unavailable', `cannot read the ldap bindPasswordFile ${config.bindPasswordFile}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`, [], { cause: e });
  }
}

export async function tlsOptions(root: string, config: LdapConfig): Promise<{ ca?: Buffer } | undefined> {
  if (config.caFile === undefined) return undefined;
  try {
    return { ca: await readFile(rootedPath(root, config.caFile)) };
  } catch (e) {
    throw new RosterError('unavailable', `cannot read the ldap caFile ${config.caFile}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`, [], { cause: e });
  }
}

export interface LdapSession {
  readonly client: Client;
  close(): Promise<void>;
}

export async function openLdapSession(root: string, config: LdapConfig): Promise<LdapSession> {
  const password = await bindPassword(root, config);
  const tls = await tlsOptions(root, config);
  const ms = config.timeoutSeconds * 1000;
  const client = new Client({ url: config.url, timeout: ms, connectTimeout: ms, ...(tls === undefined ? {} : { tlsOptions: tls }) });
  try {
    if (config.startTLS) await client.startTLS(tls ?? {});
    await client.bind(config.bindDn, password);
  } catch (e) {
    await client.unbind().catch(() => undefined);
    throw new RosterError('unavailable', `cannot bind to ${config.url} as ${config.bindDn}: ${errorMessage(e)}`, [], { cause: e });
  }
  return { client, close: () => client.unbind().catch(() => undefined) };
}
