import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROSTER_MAIN, rosterSandbox, type RosterSandbox } from './roster-cli.js';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.js';

/**
 * NODE_EXTRA_CA_CERTS for commands started from the snapshot
 * (src/cli/deferred-ca-certs.ts): read at the first TLS connection, with
 * the result node itself gives when it reads the file at start. A CA made
 * here signs the test servers' certificates; only the file vouches for it.
 */

const run = promisify(execFile);
const DIST = dirname(ROSTER_MAIN);
let dir: string;
let ca: string;
let otherCa: string;
let key: string;
let cert: string;
let https: Server;
let port: number;

async function openssl(args: readonly string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roster-ca-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Roster Test CA']);
  await openssl(['req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=Another CA']);
  await openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  await writeFile(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.cnf']);
  [ca, otherCa] = [join(dir, 'ca.pem'), join(dir, 'other.pem')];
  [key, cert] = [await readFile(join(dir, 'server.key'), 'utf8'), await readFile(join(dir, 'server.pem'), 'utf8')];
  https = createServer({ key, cert }, (_req, res) => res.end('ok'));
  await new Promise<void>((done) => https.listen(0, '127.0.0.1', done));
  port = (https.address() as AddressInfo).port;
  // A client that connects once (tls.connect, or fetch) and prints its environment and what came of it.
  writeFileSync(
    join(dir, 'probe.mjs'),
    `import { readFileSync } from 'node:fs';
import { beforeRuntimeLoad, deferExtraCaCerts } from ${JSON.stringify(join(DIST, 'cli/deferred-ca-certs.js'))};
const [how, port, ownCa] = process.argv.slice(2);
if (process.env.PROBE_DEFER === '1') deferExtraCaCerts();
const env = [process.env.NODE_EXTRA_CA_CERTS ?? '-', process.env.ROSTER_EXTRA_CA_CERTS ?? '-'];
let outcome;
try {
  if (how === 'fetch') {
    outcome = await (await fetch('https://127.0.0.1:' + port + '/')).text();
  } else {
    beforeRuntimeLoad('node:tls');
    const tls = process.getBuiltinModule('node:tls');
    outcome = await new Promise((done) => {
      const s = tls.connect({ host: '127.0.0.1', port: Number(port), ...(ownCa ? { ca: readFileSync(ownCa) } : {}) }, () => { done(s.authorized ? 'authorized' : 'unauthorized'); s.end(); });
      s.on('error', (e) => done(e.code ?? e.message));
    });
  }
} catch (e) {
  outcome = e.cause?.code ?? e.code ?? e.message;
}
console.log(JSON.stringify({ env, outcome }));
`,
  );
});
afterAll(async () => {
  await new Promise<void>((done) => https.close(() => done()));
  await rm(dir, { recursive: true, force: true });
});

interface Probe {
  readonly env: [string, string];
  readonly outcome: string;
  readonly warning: boolean;
}

async function probe(env: NodeJS.ProcessEnv, how: string, ownCa = ''): Promise<Probe> {
  const r = await run(process.execPath, [join(dir, 'probe.mjs'), how, String(port), ownCa], { env: { PATH: process.env.PATH, ...env } });
  return { ...(JSON.parse(r.stdout) as Omit<Probe, 'warning'>), warning: r.stderr.includes('Ignoring extra certs from') };
}

describe('NODE_EXTRA_CA_CERTS read at the first TLS connection', () => {
  it('gives what node gives reading it at start: the default roots and the file, a ca of its own replacing both', async () => {
    const atStart = { NODE_EXTRA_CA_CERTS: ca };
    const deferred = { ROSTER_EXTRA_CA_CERTS: ca, PROBE_DEFER: '1' };
    for (const [how, own, outcome] of [
      ['connect', '', 'authorized'],
      ['fetch', '', 'ok'],
      ['connect', ca, 'authorized'],
      ['connect', otherCa, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ] as const) {
      const node = await probe(atStart, how, own);
      const ours = await probe(deferred, how, own);
      expect([how, own, ours.outcome]).toEqual([how, own, outcome]);
      expect(ours).toEqual(node);
      // Child processes see the variable as it was given.
      expect(ours.env).toEqual([ca, '-']);
    }
    // Without the file the server is not trusted: the probe can fail.
    expect((await probe({ PROBE_DEFER: '1' }, 'connect')).outcome).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('reports a file it cannot read, as node does, and goes on without it', async () => {
    const missing = join(dir, 'missing.pem');
    const node = await probe({ NODE_EXTRA_CA_CERTS: missing }, 'connect');
    const ours = await probe({ ROSTER_EXTRA_CA_CERTS: missing, PROBE_DEFER: '1' }, 'connect');
    expect(ours).toEqual(node);
    expect(ours).toEqual({ env: [missing, '-'], outcome: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', warning: true });
  });
});

describe('a command run through the roster wrapper, from the snapshot, sending mail over TLS', () => {
  let sb: RosterSandbox;
  let smtp: SmtpCapture;
  const wrapper = (args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> =>
    new Promise((done) => {
      execFile(join(DIST, 'roster'), args, { cwd: sb.dir, env: { ...sb.env, ...env } }, (error, _stdout, stderr) => {
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr });
      });
    });

  beforeAll(async () => {
    smtp = await startSmtpCapture({ tls: { key, cert } });
    sb = await rosterSandbox();
    const path = join(sb.dir, 'roster.yaml');
    const notify = ['notify:', '  transport: smtp', `  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: true }`, "  from: 'Roster <roster@example.org>'", '  adminAddress: admin@example.org', ''];
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^notify:\n(?: .*\n|#.*\n)*/m, notify.join('\n')));
    for (const [id, name] of [
      ['M1', 'alice'],
      ['M2', 'bob'],
    ] as const) {
      await sb.ok(['person', 'add', '--id', id, '--first', name, '--last', 'Member', '--role', 'MEMBER', '--email', `MEMBER=${name}@example.org`]);
      await sb.ok(['account', 'create', id, '--type', 'member', '--username', name]);
    }
  }, 60_000);
  afterAll(async () => {
    await sb.cleanup();
    await smtp.close();
  });

  it('trusts the server through NODE_EXTRA_CA_CERTS, and not without it', async () => {
    const notices = (): string[] => smtp.messages.map((m) => `${m.to.join(',')} ${m.subject}`);
    const retire = (user: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> => wrapper(['account', 'retire', user, '--deactivate-after', '14', '--delete-after', '90'], env);
    const untrusted = await retire('bob', {});
    expect(untrusted.code).toBe(0);
    expect(untrusted.stderr).toMatch(/warning: notification #\d+ \(retirement\) to bob@example.org not sent: .*(certificate|verify)/i);
    expect(notices()).toEqual([]);
    expect(await retire('alice', { NODE_EXTRA_CA_CERTS: ca })).toEqual({ code: 0, stderr: '' });
    expect(notices()).toEqual(['alice@example.org Your account alice will be closed']);
    expect(await wrapper(['notify', 'flush', '--now', new Date(Date.now() + 3_600_000).toISOString()], { NODE_EXTRA_CA_CERTS: ca })).toMatchObject({ code: 0 });
    expect(notices()).toEqual(['alice@example.org Your account alice will be closed', 'bob@example.org Your account bob will be closed']);
  }, 60_000);
});
