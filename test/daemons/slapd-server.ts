/**
 * A throwaway OpenLDAP server for a test file or the bench (DESIGN.md §8):
 * a slapd.conf (not cn=config) and an mdb database in a temp dir, `slapd -d`
 * in the foreground as this process's child on a free loopback port, stopped
 * by the PID this module started. It never reads or writes /etc/ldap/slapd.d
 * nor the machine's own slapd; the only files it reads from /etc are the
 * schema files the Debian package ships.
 *
 * The base entry, ou=people and ou=groups exist when it returns. With
 * `ppolicy`, the ppolicy overlay is loaded (OpenLDAP 2.5 builds its schema
 * into the module) with a default policy entry on userPassword, so
 * `pwdAccountLockedTime` locks binds. The `authorizedService` schema (PADL's
 * ldapns, which Debian does not ship) is always loaded, written here from
 * our own text.
 */
import { execFile, spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { freePort } from './free-port.js';
import { stopChild } from './stop-child.js';

/** slapd's clean shutdown: it closes the database and exits. */
const CLEAN_SHUTDOWN = 'SIGTERM';

/** PADL's ldapns attribute and auxiliary class (OIDs from the PADL arc), the ones nslcd's and SSSD's `authorizedService` checks read. */
const LDAPNS_SCHEMA = `# authorizedService (PADL ldapns), for the tests' slapd
attributetype ( 1.3.6.1.4.1.5322.17.2.1 NAME 'authorizedService'
  DESC 'A service this account may use (PADL ldapns)'
  EQUALITY caseIgnoreMatch
  SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{256} )
objectclass ( 1.3.6.1.4.1.5322.17.1.1 NAME 'authorizedServiceObject'
  DESC 'Carries authorizedService (PADL ldapns)'
  SUP top AUXILIARY
  MAY authorizedService )
`;

const DEBIAN_SCHEMA = ['core', 'cosine', 'nis', 'inetorgperson'].map((name) => `/etc/ldap/schema/${name}.schema`);

export interface SlapdOptions {
  /** The database suffix; default dc=example,dc=org (its first RDN must be dc=…). */
  readonly suffix?: string;
  /** Load the ppolicy overlay with a default policy (cn=default,ou=policies,<suffix>) on userPassword. */
  readonly ppolicy?: boolean | { readonly maxFailure?: number };
  /** Log every operation (loglevel stats) to the log file, to count a run's operations. */
  readonly stats?: boolean;
  /** More schema files' texts, included after the standard ones (in this order). */
  readonly extraSchema?: readonly string[];
  /** More slapd.conf lines for the database (indexes, limits, ACLs), appended after the defaults. */
  readonly databaseLines?: readonly string[];
  /** The server's sizelimit (default: slapd's 500; root's binds are never limited). */
  readonly sizeLimit?: number | 'unlimited';
}

export interface SlapdServer {
  /** ldap://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly baseDn: string;
  readonly rootDn: string;
  readonly rootPassword: string;
  readonly peopleDn: string;
  readonly groupsDn: string;
  /** The default ppolicy entry's DN, when ppolicy is on. */
  readonly policyDn: string | undefined;
  /** The temp dir: slapd.conf, the schema, data/, slapd.log. */
  readonly dir: string;
  readonly logFile: string;
  /** A client bound as the root DN; the caller unbinds it. */
  client(): Promise<Client>;
  /** Adds the entries of an LDIF text (ldapadd as the root DN); throws with ldapadd's message on failure. */
  ldif(text: string): Promise<void>;
  /** Applies an LDIF with changetype records (ldapmodify as the root DN). */
  ldapmodify(text: string): Promise<void>;
  /** The entries under `base` matching `filter`, as ldapsearch prints them (LDIF, no wrapping), as the root DN. */
  ldapsearch(base: string, filter?: string, attributes?: readonly string[]): Promise<string>;
  /** The log so far (operation lines with `stats`; errors always). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

function slapdConf(dir: string, suffix: string, rootDn: string, rootPassword: string, options: SlapdOptions, schemaFiles: readonly string[]): string {
  const ppolicy = options.ppolicy !== undefined && options.ppolicy !== false;
  return [
    ...[...DEBIAN_SCHEMA, ...schemaFiles].map((file) => `include ${file}`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    ...(ppolicy ? ['moduleload ppolicy'] : []),
    `loglevel ${options.stats === true ? 'stats' : '0'}`,
    ...(options.sizeLimit === undefined ? [] : [`sizelimit ${String(options.sizeLimit)}`]),
    'database mdb',
    // Room for the bench's 100,000 entries and more.
    'maxsize 4294967296',
    `directory ${join(dir, 'data')}`,
    `suffix "${suffix}"`,
    `rootdn "${rootDn}"`,
    `rootpw ${rootPassword}`,
    // The test daemon's data need not survive a crash.
    'dbnosync',
    'index objectClass eq',
    'index uid,cn,memberUid eq',
    'index uidNumber,gidNumber eq',
    'index member eq',
    ...(options.databaseLines ?? []),
    'access to attrs=userPassword by self write by anonymous auth by * none',
    'access to * by * read',
    ...(ppolicy ? ['overlay ppolicy', `ppolicy_default "cn=default,ou=policies,${suffix}"`] : []),
    '',
  ].join('\n');
}

function tool(file: string, args: readonly string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 600_000, maxBuffer: 1024 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`${file} failed: ${error.message}\n${stderr}`, { cause: error }));
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

async function waitReady(url: string, rootDn: string, rootPassword: string, exited: () => string | undefined, log: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const gone = exited();
    if (gone !== undefined) throw new Error(`slapd exited (${gone}):\n${await log()}`);
    const client = new Client({ url, connectTimeout: 1000, timeout: 2000 });
    try {
      await client.bind(rootDn, rootPassword);
      await client.unbind();
      return;
    } catch (e) {
      await client.unbind().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`slapd did not accept a bind within 30 s: ${String(e)}\n${await log()}`, { cause: e });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The base entry, the two OUs and (with ppolicy) the default policy, as LDIF. */
function baseLdif(suffix: string, ppolicy: SlapdOptions['ppolicy']): string {
  const dc = /^dc=([^,]+)/i.exec(suffix)?.[1];
  if (dc === undefined) throw new Error(`slapd-server: the suffix must start with dc=…, not ${suffix}`);
  const entries = [
    `dn: ${suffix}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: ${dc}\no: ${dc}\n`,
    `dn: ou=people,${suffix}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=groups,${suffix}\nobjectClass: organizationalUnit\nou: groups\n`,
  ];
  if (ppolicy !== undefined && ppolicy !== false) {
    const maxFailure = typeof ppolicy === 'object' ? (ppolicy.maxFailure ?? 5) : 5;
    entries.push(`dn: ou=policies,${suffix}\nobjectClass: organizationalUnit\nou: policies\n`);
    entries.push(
      `dn: cn=default,ou=policies,${suffix}\nobjectClass: device\nobjectClass: pwdPolicy\ncn: default\npwdAttribute: userPassword\n` +
        `pwdLockout: TRUE\npwdMaxFailure: ${maxFailure}\npwdLockoutDuration: 0\npwdFailureCountInterval: 0\npwdAllowUserChange: TRUE\n`,
    );
  }
  return entries.join('\n');
}

/** Starts a fresh server; the caller stops it (afterAll). */
export async function startSlapd(options: SlapdOptions = {}): Promise<SlapdServer> {
  const suffix = options.suffix ?? 'dc=example,dc=org';
  const rootDn = `cn=admin,${suffix}`;
  const rootPassword = 'roster-test-root';
  const dir = await mkdtemp(join(tmpdir(), 'roster-slapd-'));
  await mkdir(join(dir, 'data'), { mode: 0o700 });
  const schemaFiles = [join(dir, 'ldapns.schema')];
  await writeFile(schemaFiles[0] as string, LDAPNS_SCHEMA);
  for (const [i, text] of (options.extraSchema ?? []).entries()) {
    const file = join(dir, `extra-${i}.schema`);
    await writeFile(file, text);
    schemaFiles.push(file);
  }
  const conf = join(dir, 'slapd.conf');
  await writeFile(conf, slapdConf(dir, suffix, rootDn, rootPassword, options, schemaFiles), { mode: 0o600 });
  const logFile = join(dir, 'slapd.log');
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  // -d keeps slapd in the foreground and sends its log to stderr (the file);
  // `-d stats` is the operation log the incremental tests count.
  const logFd = openSync(logFile, 'a');
  const child = spawn('slapd', ['-d', options.stats === true ? 'stats' : '0', '-f', conf, '-h', `${url}/`], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const log = (): Promise<string> => readFile(logFile, 'utf8').catch(() => '');
  const pid = child.pid;
  try {
    if (pid === undefined) throw new Error('slapd did not start');
    await waitReady(url, rootDn, rootPassword, () => (child.exitCode !== null || child.signalCode !== null ? String(child.exitCode ?? child.signalCode) : undefined), log);
    const bindArgs = ['-x', '-H', url, '-D', rootDn, '-w', rootPassword];
    const ldif = async (text: string): Promise<void> => {
      await tool('ldapadd', bindArgs, text);
    };
    await ldif(baseLdif(suffix, options.ppolicy));
    return {
      url,
      port,
      pid,
      baseDn: suffix,
      rootDn,
      rootPassword,
      peopleDn: `ou=people,${suffix}`,
      groupsDn: `ou=groups,${suffix}`,
      policyDn: options.ppolicy !== undefined && options.ppolicy !== false ? `cn=default,ou=policies,${suffix}` : undefined,
      dir,
      logFile,
      async client() {
        const client = new Client({ url, timeout: 30_000 });
        await client.bind(rootDn, rootPassword);
        return client;
      },
      ldif,
      async ldapmodify(text: string) {
        await tool('ldapmodify', bindArgs, text);
      },
      ldapsearch: (base: string, filter = '(objectClass=*)', attributes: readonly string[] = []) => tool('ldapsearch', [...bindArgs, '-LLL', '-o', 'ldif-wrap=no', '-b', base, filter, ...attributes], ''),
      log,
      async stop() {
        await stopChild(child, CLEAN_SHUTDOWN);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await stopChild(child, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
