import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { stopChild } from './stop-child.js';

/**
 * A throwaway MIT Kerberos realm for a test file (DESIGN.md §8): a krb5.conf
 * and kdc.conf in a temp dir, a database made by `kdb5_util create -s`, an
 * admin principal `roster/admin` with a keytab, and `krb5kdc -n` plus
 * `kadmind -nofork` as children on free loopback ports, stopped by the PIDs
 * this module started. Every tool gets KRB5_CONFIG and KRB5_KDC_PROFILE
 * pointing into the temp dir, so nothing in /etc (nor the machine's own KDC,
 * if any) is read or touched.
 */

export const TEST_REALM = 'TEST.ROSTER';
export const ADMIN_PRINCIPAL = 'roster/admin';

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface MitKdc {
  readonly realm: string;
  readonly dir: string;
  readonly kdcPort: number;
  readonly kadminPort: number;
  /** `127.0.0.1:<kadmind port>`, kadmin's `-s`. */
  readonly adminServer: string;
  /** The keytab of `roster/admin`, which kadm5.acl lets do everything. */
  readonly keytab: string;
  readonly krb5Config: string;
  readonly kdcProfile: string;
  /** The environment of a client tool (KRB5_CONFIG, KRB5_KDC_PROFILE, a ticket cache in the temp dir). */
  readonly env: NodeJS.ProcessEnv;
  /** `kinit principal` with the password on stdin, into a cache of its own (so nothing lingers between calls). */
  kinit(principal: string, password: string): Promise<Ran>;
  /** `kadmin.local -q <query>` on the realm's database. */
  local(query: string, input?: string): Promise<Ran>;
  /** `getprinc` as kadmin.local prints it; stdout empty when the principal does not exist. */
  getprinc(principal: string): Promise<string>;
  /** `getprinc -terse` fields (expiration epoch, attributes as a number …), null when the principal does not exist. */
  terse(principal: string): Promise<{ readonly expiration: number; readonly attributes: number; readonly lastPasswordChange: number; readonly kvno: number } | null>;
  /** `getstrs` as name → value. */
  strings(principal: string): Promise<Readonly<Record<string, string>>>;
  /** Stops both daemons by their PIDs and removes the temp dir. */
  stop(): Promise<void>;
}

function runTool(file: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(file, [...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : null;
      resolve({ code, stdout, stderr });
    });
    // A tool that exits before reading its input (kinit of an unknown principal) closes the pipe: its exit says what happened.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

async function waitListening(port: number, child: ChildProcess, log: () => Promise<string>): Promise<void> {
  const { createConnection } = await import('node:net');
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`a KDC daemon exited (${String(child.exitCode ?? child.signalCode)}): ${await log()}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after 20 s: ${await log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a fresh realm; the caller stops it (afterAll). */
export async function startMitKdc(): Promise<MitKdc> {
  const realm = TEST_REALM;
  const dir = await mkdtemp(join(tmpdir(), 'roster-krb5-'));
  const children: ChildProcess[] = [];
  try {
    const kdcPort = await freePort();
    let kadminPort = await freePort();
    while (kadminPort === kdcPort) kadminPort = await freePort();
    const krb5Config = join(dir, 'krb5.conf');
    const kdcProfile = join(dir, 'kdc.conf');
    const keytab = join(dir, 'roster-admin.keytab');
    await writeFile(
      krb5Config,
      [
        '[libdefaults]',
        ` default_realm = ${realm}`,
        ' dns_lookup_kdc = false',
        ' dns_lookup_realm = false',
        ' rdns = false',
        ' udp_preference_limit = 1',
        '[realms]',
        ` ${realm} = {`,
        `  kdc = 127.0.0.1:${kdcPort}`,
        `  admin_server = 127.0.0.1:${kadminPort}`,
        ' }',
        '',
      ].join('\n'),
    );
    await writeFile(
      kdcProfile,
      [
        '[kdcdefaults]',
        ` kdc_ports = ${kdcPort}`,
        ` kdc_tcp_ports = ${kdcPort}`,
        '[realms]',
        ` ${realm} = {`,
        `  database_name = ${join(dir, 'principal')}`,
        `  key_stash_file = ${join(dir, 'stash')}`,
        `  acl_file = ${join(dir, 'kadm5.acl')}`,
        `  kdc_ports = ${kdcPort}`,
        `  kdc_tcp_ports = ${kdcPort}`,
        `  kadmind_port = ${kadminPort}`,
        // kadmind also opens kpasswd; port 0 would be refused, so it gets one next to nothing in use.
        `  kpasswd_port = ${await freePort()}`,
        ' }',
        '[logging]',
        ` kdc = FILE:${join(dir, 'kdc.log')}`,
        ` admin_server = FILE:${join(dir, 'kadmind.log')}`,
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'kadm5.acl'), `${ADMIN_PRINCIPAL}@${realm} *\n`);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin:/usr/sbin:/sbin', LC_ALL: 'C', TZ: 'UTC', KRB5_CONFIG: krb5Config, KRB5_KDC_PROFILE: kdcProfile, KRB5CCNAME: `FILE:${join(dir, 'ccache')}` };
    const must = async (file: string, args: readonly string[], input?: string): Promise<Ran> => {
      const r = await runTool(file, args, env, input);
      if (r.code !== 0 || /while|error/i.test(r.stderr.replace(/No policy specified[^\n]*\n?/g, ''))) throw new Error(`${file} ${args.join(' ')}: exit ${String(r.code)}: ${r.stderr}${r.stdout}`);
      return r;
    };
    // The master password is this test realm's alone: the database lives and dies with the temp dir.
    await must('kdb5_util', ['create', '-s', '-r', realm, '-P', 'roster-test-master-key']);
    await must('kadmin.local', ['-r', realm, '-q', `addprinc -randkey ${ADMIN_PRINCIPAL}`]);
    await must('kadmin.local', ['-r', realm, '-q', `ktadd -k ${keytab} ${ADMIN_PRINCIPAL}`]);
    const log = async (): Promise<string> => `${await readFile(join(dir, 'kdc.log'), 'utf8').catch(() => '')}${await readFile(join(dir, 'kadmind.log'), 'utf8').catch(() => '')}`;
    const kdc = spawn('krb5kdc', ['-n', '-r', realm], { env, stdio: 'ignore' });
    children.push(kdc);
    const kadmind = spawn('kadmind', ['-nofork', '-r', realm], { env, stdio: 'ignore' });
    children.push(kadmind);
    await waitListening(kdcPort, kdc, log);
    await waitListening(kadminPort, kadmind, log);
    const local = (query: string, input?: string): Promise<Ran> => runTool('kadmin.local', ['-r', realm, '-q', query], env, input);
    let caches = 0;
    return {
      realm,
      dir,
      kdcPort,
      kadminPort,
      adminServer: `127.0.0.1:${kadminPort}`,
      keytab,
      krb5Config,
      kdcProfile,
      env,
      kinit: (principal, password) => runTool('kinit', [principal], { ...env, KRB5CCNAME: `FILE:${join(dir, `ccache-${++caches}`)}` }, `${password}\n`),
      local,
      async getprinc(principal) {
        return (await local(`getprinc ${principal}`)).stdout.split('\n').filter((l) => !l.startsWith('Authenticating as')).join('\n').trim();
      },
      async terse(principal) {
        const line = (await local(`getprinc -terse ${principal}`)).stdout.split('\n').find((l) => l.startsWith('"'));
        if (line === undefined) return null;
        const f = line.split('\t');
        return { expiration: Number(f[1]), lastPasswordChange: Number(f[2]), attributes: Number(f[7]), kvno: Number(f[8]) };
      },
      async strings(principal) {
        const out: Record<string, string> = {};
        for (const l of (await local(`getstrs ${principal}`)).stdout.split('\n')) {
          const m = /^([^\s:]+): (.*)$/.exec(l);
          if (m?.[1] !== undefined && m[2] !== undefined && !l.startsWith('Authenticating')) out[m[1]] = m[2];
        }
        return out;
      },
      async stop() {
        for (const c of children) await stopChild(c, 'SIGTERM');
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    for (const c of children) await stopChild(c, 'SIGTERM');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
