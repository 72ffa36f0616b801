import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { AppContext } from '../app/app-context.js';
import { findConfigPath } from '../config/find-config.js';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { openStore } from '../store/open-store.js';
import { kerberosPasswords } from '../targets/kerberos/kerberos-passwords.js';
import { targetRegistry } from '../targets/registry.js';
import { hashPassword } from '../system/libcrypt.js';
import { clockFor, type GlobalOptions } from './global-options.js';

export { clockFor, type GlobalOptions } from './global-options.js';

/**
 * The invoking person, as the audit and the changelog name them: under sudo
 * the user who ran sudo (SUDO_USER, as etckeeper records it), else the login
 * user.
 */
export function actorName(env: NodeJS.ProcessEnv): string {
  const sudo = env.SUDO_USER?.trim();
  return `cli:${sudo !== undefined && sudo !== '' ? sudo : safeUser(env)}`;
}

function safeUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry for this uid (a container): the login name the environment gives, else the uid.
    const login = env.LOGNAME?.trim();
    return login !== undefined && login !== '' ? login : String(process.getuid?.() ?? 'unknown');
  }
}

export async function loadCliConfig(opts: GlobalOptions, env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  // Every command checks each host's and each account type's target sections with the targets' own schemas.
  return loadConfig(findConfigPath({ flag: opts.config, env, cwd: process.cwd() }), { targets: targetRegistry });
}


/** Database: `--db`, then `DATABASE_URL`, then roster.yaml's `database` (next to the config). */
export function databaseFor(opts: GlobalOptions, env: NodeJS.ProcessEnv, loaded: LoadedConfig): string {
  return opts.db ?? (env.DATABASE_URL !== undefined && env.DATABASE_URL !== '' ? env.DATABASE_URL : loaded.databaseUrl);
}

export async function openContext(opts: GlobalOptions, env: NodeJS.ProcessEnv): Promise<AppContext> {
  return (await openSession(opts, env)).ctx;
}

/** openContext, plus the loaded roster.yaml (its directory resolves relative paths such as notify.templatesDir). */
export async function openSession(opts: GlobalOptions, env: NodeJS.ProcessEnv): Promise<{ readonly ctx: AppContext; readonly loaded: LoadedConfig }> {
  const loaded = await loadCliConfig(opts, env);
  const clock = clockFor(opts, env, loaded.config.timeZone);
  const hmacKey = await readHmacKey(loaded.hmacKeyPath, env);
  const store = await openStore(databaseFor(opts, env, loaded));
  const ctx: AppContext = {
    store,
    config: loaded.config,
    clock,
    actor: actorName(env),
    hmacKey,
    hasher: { hash: hashPassword },
    // Kerberos passwords go from this process straight to the hosts' kadmin.
    principals: kerberosPasswords(loaded.config),
    log: {
      info: (m) => process.stderr.write(`${m}\n`),
      warn: (m) => process.stderr.write(`warning: ${m}\n`),
    },
  };
  return { ctx, loaded };
}

async function readHmacKey(path: string, env: NodeJS.ProcessEnv): Promise<Buffer> {
  if (env.ROSTER_HMAC_KEY !== undefined && env.ROSTER_HMAC_KEY !== '') return Buffer.from(env.ROSTER_HMAC_KEY, 'utf8');
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (text.length < 32) throw new RosterError('bad_config', `the HMAC key in ${path} is too short (want at least 32 hex characters)`);
    return Buffer.from(text, 'hex');
  } catch (e) {
    if (e instanceof RosterError) throw e;
    // Without a key, commands that never see verification attributes still work.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw new RosterError('bad_config', `cannot read the HMAC key ${path}: ${errorMessage(e)}; \`roster init\` creates one, or set ROSTER_HMAC_KEY`);
  }
}
