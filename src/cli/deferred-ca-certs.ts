/**
 * NODE_EXTRA_CA_CERTS, read when a command first makes a TLS connection
 * rather than when it starts. Node reads that file, and builds its whole
 * store of root certificates, as the process starts, whether or not the
 * command connects anywhere: ~50 ms of every command on a machine that sets
 * the variable (a site's own CA, a proxy's), a third of what starting
 * Roster from its snapshot costs, for a freeze or a listing that opens no
 * connection at all.
 *
 * The wrapper (contrib/bin/roster) hands the variable to a one-shot command
 * started from the snapshot as ROSTER_EXTRA_CA_CERTS instead.
 * deferExtraCaCerts, run before any command code, puts NODE_EXTRA_CA_CERTS
 * back into the environment (child processes see it as it was) and, before
 * the first TLS connection, adds the file's certificates to every secure
 * context made without a `ca` of its own: node's default roots (bundled or
 * OpenSSL's, as this node was built), extended, as node itself would have
 * done. A context given its own `ca` keeps exactly those, as in node.
 *
 * In the snapshot a TLS connection can only come through a module loaded
 * at run time (src/cli/snapshot-require.ts): node:tls, node:https or
 * node:http2, a dist/vendor library (pg, mariadb, nodemailer), or fetch.
 * The certificates are installed before any of those loads or runs.
 * Long-running commands (serve, agent) and the ordinary start never come
 * here: node reads the variable itself.
 */
import { readFileSync } from 'node:fs';
import type { SecureContext, SecureContextOptions } from 'node:tls';
import { errorMessage } from '../domain/errors.js';

const MAY_CONNECT_WITH_TLS = /^(?:node:)?(?:tls|https|http2)$|(?:^|\/)vendor\//;

let pending: string | undefined;

/** Moves ROSTER_EXTRA_CA_CERTS back to NODE_EXTRA_CA_CERTS and defers reading it to the first TLS use. */
export function deferExtraCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.ROSTER_EXTRA_CA_CERTS;
  delete env.ROSTER_EXTRA_CA_CERTS;
  if (file === undefined || file === '') return;
  env.NODE_EXTRA_CA_CERTS = file;
  pending = file;
  const fetchNow = globalThis.fetch;
  globalThis.fetch = function fetch(input, init) {
    installExtraCaCerts();
    return fetchNow(input, init);
  };
}

/** Called before a module is loaded at run time: one that may open a TLS connection gets the certificates first. */
export function beforeRuntimeLoad(id: string): void {
  if (pending !== undefined && MAY_CONNECT_WITH_TLS.test(id)) installExtraCaCerts();
}

/**
 * Adds the deferred file's certificates to every secure context made
 * without its own `ca`, from now on. As node does at start, a file that
 * cannot be read or holds no certificate is reported and ignored.
 */
export function installExtraCaCerts(): void {
  const file = pending;
  if (file === undefined) return;
  pending = undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'latin1');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no certificate in it');
  } catch (e) {
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${errorMessage(e)}`);
    return;
  }
  const tls = process.getBuiltinModule('node:tls');
  const create = tls.createSecureContext;
  // tls.connect, https and http2 call tls.createSecureContext through the module's export, so this covers them.
  tls.createSecureContext = function createSecureContext(options?: SecureContextOptions): SecureContext {
    const made = create(options);
    // The native context's addCACert is what createSecureContext itself calls for each `ca`; on a context
    // using the default roots it first copies them, so the result is those roots and the file's.
    if (options?.ca === undefined) (made.context as { addCACert(pem: string): void }).addCACert(pem);
    return made;
  };
}
