import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROSTER_MAIN, rosterSandbox, type RosterSandbox, type RunResult } from './roster-cli.js';
import { startServe, stopChild, type ServeProcess } from './serve-process.js';

/**
 * `roster agent` against a real `roster serve` (DESIGN.md §5 "Agent"): two
 * hosts, each an agent with its own temp root, converge on changes made
 * through the REST API and SCIM; with the server stopped an agent keeps its
 * host as last applied, from the state it kept on disk.
 */

const UID_BASE = 2_100_000_000;
const HOSTS = `hosts:
  shell:
    description: login host
    targets:
      login: { path: /etc/security/roster-frozen.users }
      cron: { mode: deny }
      homes: { base: [/home] }
      unix: {}
  web:
    description: web host
    targets:
      login: { path: /etc/security/roster-frozen.users }
      unix: {}

`;

function etc(root: string, file: string): string {
  return readFileSync(join(root, 'etc', file), 'utf8');
}

function shadowOf(root: string, user: string): string[] {
  return (etc(root, 'shadow').split('\n').find((l) => l.startsWith(`${user}:`)) ?? '').split(':');
}

function makeRoot(dir: string): string {
  mkdirSync(join(dir, 'etc/skel'), { recursive: true });
  mkdirSync(join(dir, 'home'), { recursive: true });
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(dir, 'etc/shadow'), 'root:*:20000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(dir, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
  writeFileSync(join(dir, 'etc/skel/.bashrc'), '# ~/.bashrc\n');
  writeFileSync(join(dir, 'etc/skel/.profile'), '# ~/.profile\n');
  return dir;
}

async function until(what: () => string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('roster agent: two hosts follow roster serve', () => {
  let sb: RosterSandbox;
  let server: ServeProcess | undefined;
  let daemon: ChildProcess | undefined;
  let daemonLog = '';
  const roots: Record<'shell' | 'web', string> = { shell: '', web: '' };
  const tokenFiles: Record<'shell' | 'web', string> = { shell: '', web: '' };
  let admin = '';
  let scim = '';

  const cli = async (args: string[]): Promise<string> => {
    const r = await sb.run(args);
    if (r.code !== 0) throw new Error(`roster ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const agent = (host: 'shell' | 'web', extra: string[] = []): Promise<RunResult> => sb.run(['agent', '--once', '--server', server?.url ?? 'http://127.0.0.1:9', '--token-file', tokenFiles[host], '--host', host, '--root', roots[host], ...extra]);
  const api = async (method: string, path: string, body?: unknown, token = admin, type = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${server?.url ?? ''}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': type }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };

  beforeAll(async () => {
    sb = await rosterSandbox();
    const path = join(sb.dir, 'roster.yaml');
    const yaml = readFileSync(path, 'utf8')
      .replace('uids: { min: 10000, max: 59999 }', `uids: { min: ${UID_BASE}, max: ${UID_BASE + 999_999} }`)
      .replace('gids: { min: 10000, max: 59999 }', `gids: { min: ${UID_BASE}, max: ${UID_BASE + 999_999} }`)
      .replace(/^hosts:\n[\s\S]*?(?=^# Roster sources)/m, HOSTS);
    writeFileSync(path, yaml);
    expect((await sb.run(['config', 'check'])).code).toBe(0);
    for (const host of ['shell', 'web'] as const) {
      roots[host] = makeRoot(join(sb.dir, `root-${host}`));
      tokenFiles[host] = join(sb.dir, `${host}.token`);
      writeFileSync(tokenFiles[host], await cli(['token', 'create', '--role', 'agent', '--host', host]), { mode: 0o600 });
    }
    admin = (await cli(['token', 'create', '--role', 'admin'])).trim();
    scim = (await cli(['token', 'create', '--role', 'scim'])).trim();
    server = await startServe(sb, { args: ['--no-jobs'] });
  }, 60_000);
  afterAll(async () => {
    await stopChild(daemon);
    await stopChild(server?.child);
    await sb.cleanup();
  });

  it('converge on accounts made through the API, and a second pull costs a 304', async () => {
    expect((await api('POST', '/api/v1/people', { id: 'M1', firstName: 'Alice', lastName: 'Liddell', roles: ['MEMBER'] })).status).toBe(201);
    expect((await api('POST', '/api/v1/accounts', { personId: 'M1', type: 'member', username: 'alice', password: 'Tr0ub4dor&3-horse' })).status).toBe(201);
    for (const host of ['shell', 'web'] as const) {
      const r = await agent(host);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`host ${host}: new revision \\w+; \\d+ applied, 0 failed`));
      expect(etc(roots[host], 'passwd')).toMatch(new RegExp(`^alice:x:${UID_BASE}:${UID_BASE}:Alice Liddell:/home/alice:/bin/bash$`, 'm'));
      expect(shadowOf(roots[host], 'alice')[1]).toMatch(/^\$y\$/);
    }
    // Homes only where the host runs the homes target.
    expect(readFileSync(join(roots.shell, 'home/alice/.bashrc'), 'utf8')).toBe('# ~/.bashrc\n');
    // The state kept on disk is private: it holds password hashes.
    const state = join(roots.shell, 'var/lib/roster/agent-shell.sqlite');
    expect((await import('node:fs')).statSync(state).mode & 0o777).toBe(0o600);

    const again = await sb.run(['agent', '--once', '--json', '--server', server?.url ?? '', '--token-file', tokenFiles.shell, '--host', 'shell', '--root', roots.shell]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ reached: true, changed: false, applied: { applied: 0, failed: 0, drift: 0 }, pendingReports: 0 });

    // The server knows what each host applied.
    const host = await api('GET', '/api/v1/hosts/web');
    expect(host.body).toMatchObject({ name: 'web', lastReport: { ok: true, report: { totals: { failed: 0, skipped: 0 } } } });
    const lastReport = (host.body.lastReport as { report: { outcomes: unknown[]; totals: { ok: number } } }).report;
    expect(lastReport.totals.ok).toBe(lastReport.outcomes.length);
    expect(lastReport.totals.ok).toBeGreaterThan(0);
    // An agent token reads its own host only.
    const shellToken = readFileSync(tokenFiles.shell, 'utf8').trim();
    expect((await api('GET', '/api/v1/hosts/web/desired', undefined, shellToken)).status).toBe(403);
  }, 60_000);

  it('measures usage after the apply and sends it: the server keeps each home per account; --no-usage measures nothing', async () => {
    writeFileSync(join(roots.shell, 'home/alice/data'), Buffer.alloc(200_000, 1));
    const r = await agent('shell');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/; usage: 1 figure\(s\) of 1 target\(s\) sent$/m);
    const items = async (): Promise<Array<{ host: string; target: string; subject: string; bytes: number }>> => (await api('GET', '/api/v1/accounts/alice/usage')).body.items as Array<{ host: string; target: string; subject: string; bytes: number }>;
    const first = await items();
    expect(first.map((i) => [i.host, i.target, i.subject])).toEqual([['shell', 'homes', 'home:/home/alice']]);
    expect(first[0]?.bytes).toBe(Number(execFileSync('du', ['-s', '-x', '-B1', join(roots.shell, 'home/alice')], { encoding: 'utf8' }).split('\t')[0]));
    // web runs no target that measures usage: nothing to say.
    expect((await agent('web')).stdout).not.toMatch(/usage:/);
    writeFileSync(join(roots.shell, 'home/alice/more'), Buffer.alloc(500_000, 1));
    const quiet = await agent('shell', ['--no-usage']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).not.toMatch(/usage:/);
    expect(await items()).toEqual(first);
    // Only the host's own agent (or an admin) reports its usage.
    const shellToken = readFileSync(tokenFiles.shell, 'utf8').trim();
    expect((await api('POST', '/api/v1/hosts/web/usage', { measuredAt: '2026-01-01T00:00:00Z', targets: [] }, shellToken)).status).toBe(403);
  }, 60_000);

  it('a freeze made through SCIM reaches both hosts; the running agent picks up API changes on its own', async () => {
    daemon = spawn(process.execPath, [ROSTER_MAIN, 'agent', '--server', server?.url ?? '', '--token-file', tokenFiles.shell, '--host', 'shell', '--root', roots.shell, '--interval', '0.2', '--max-backoff', '0.5'], { cwd: sb.dir, env: sb.env, stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stderr?.on('data', (d: Buffer) => (daemonLog += d.toString()));
    const log = (): string => daemonLog;

    const user = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'bob@example.org', name: { givenName: 'Bob', familyName: 'Builder' }, emails: [{ value: 'bob@example.org', primary: true }], active: true, password: 'Tr0ub4dor&3-horse' };
    const created = await api('POST', '/scim/v2/Users', user, scim, 'application/scim+json');
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await until(log, () => shadowOf(roots.shell, 'bob')[1]?.startsWith('$y$') === true);
    const r = await agent('web');
    expect(r.code, r.stderr).toBe(0);
    expect(shadowOf(roots.web, 'bob')[1]).toMatch(/^\$y\$/);

    const frozen = await api('PATCH', `/scim/v2/Users/${String(created.body.id)}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] }, scim, 'application/scim+json');
    expect([200, 204]).toContain(frozen.status);
    await until(log, () => shadowOf(roots.shell, 'bob')[1]?.startsWith('!$y$') === true);
    // One revision behind: only what changed comes over the wire, rebuilt and checked against the revision.
    const behind = await agent('web', ['--json']);
    expect(behind.code, behind.stderr).toBe(0);
    expect(JSON.parse(behind.stdout)).toMatchObject({ changed: true, transfer: 'delta', applied: { failed: 0 } });
    for (const host of ['shell', 'web'] as const) {
      const bob = shadowOf(roots[host], 'bob');
      expect(bob[1]).toMatch(/^!\$y\$/);
      expect(bob[7]).toBe('1');
      expect(etc(roots[host], 'security/roster-frozen.users')).toContain('bob\n');
      // Alice is untouched.
      expect(shadowOf(roots[host], 'alice')[1]).toMatch(/^\$y\$/);
    }
    expect(etc(roots.shell, 'cron.deny')).toContain('bob\n');

    // A change through the REST API: the daemon applies it without being asked.
    expect((await api('POST', '/api/v1/accounts/alice/freeze', { reason: 'admin', note: 'abuse report' })).status).toBe(200);
    await until(log, () => shadowOf(roots.shell, 'alice')[1]?.startsWith('!') === true);
    expect(log()).toMatch(/host shell: new revision/);
  }, 90_000);

  it('with the server stopped, an agent keeps its host as last applied from the state on disk', async () => {
    expect((await agent('web')).code).toBe(0);
    const before = { passwd: etc(roots.web, 'passwd'), shadow: etc(roots.web, 'shadow'), group: etc(roots.web, 'group') };
    const url = server?.url ?? '';
    await stopChild(server?.child);

    // Someone edits the host by hand while the server is down: bob unlocked, alice's shell changed.
    writeFileSync(join(roots.web, 'etc/shadow'), before.shadow.replace(/^bob:!/m, 'bob:'));
    writeFileSync(join(roots.web, 'etc/passwd'), before.passwd.replace(/^(alice:.*):\/bin\/bash$/m, '$1:/bin/sh'));
    expect(etc(roots.web, 'passwd')).toMatch(/^alice:.*:\/bin\/sh$/m);
    const down = await sb.run(['agent', '--once', '--server', url, '--token-file', tokenFiles.web, '--host', 'web', '--root', roots.web]);
    expect(down.code).toBe(69);
    expect(down.stdout).toMatch(/server not reached .*using revision \w+ kept on disk/);
    expect(down.stdout).toMatch(/2 drifted/);
    expect({ passwd: etc(roots.web, 'passwd'), shadow: etc(roots.web, 'shadow'), group: etc(roots.web, 'group') }).toEqual(before);

    // The running agent goes on, backing off, and says why; its host stays as it was.
    const shellBefore = etc(roots.shell, 'shadow');
    await until(() => daemonLog, () => daemonLog.includes('server not reached'));
    expect(daemon?.exitCode).toBeNull();
    expect(etc(roots.shell, 'shadow')).toBe(shellBefore);

    // Back on the same address: the report made while it was down arrives.
    server = await startServe(sb, { listen: new URL(url).host, args: ['--no-jobs'] });
    const up = await agent('web');
    expect(up.code, up.stderr).toBe(0);
    const reports = await api('GET', '/api/v1/hosts/web/reports?limit=5');
    const items = reports.body.items as Array<{ report: { drift?: unknown[] } }>;
    expect(items.some((r) => r.report.drift?.length === 2)).toBe(true);
  }, 90_000);

  it('refuses to start without a token and names the flag; a wrong token is exit 1 with the reason', async () => {
    const none = await sb.run(['agent', '--once', '--server', server?.url ?? '', '--host', 'web', '--root', roots.web]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/needs a token/);
    const bad = await sb.run(['agent', '--once', '--server', server?.url ?? '', '--token', 'roster_nope', '--host', 'web', '--root', roots.web]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/refused the agent token/);
  }, 30_000);
});

describe('roster agent and the circuit breaker', () => {
  let sb: RosterSandbox;
  let server: ServeProcess | undefined;
  let root = '';
  let tokenFile = '';
  let admin = '';
  beforeAll(async () => {
    sb = await rosterSandbox();
    const path = join(sb.dir, 'roster.yaml');
    const yaml = readFileSync(path, 'utf8')
      .replace('uids: { min: 10000, max: 59999 }', `uids: { min: ${UID_BASE + 500_000}, max: ${UID_BASE + 999_999} }`)
      .replace('gids: { min: 10000, max: 59999 }', `gids: { min: ${UID_BASE + 500_000}, max: ${UID_BASE + 999_999} }`)
      .replace(/^hosts:\n[\s\S]*?(?=^# Roster sources)/m, HOSTS)
      .replace(/^breaker:\n  count: 50\n  percent: 5\n/m, 'breaker:\n  count: 0\n  percent: 0\n');
    writeFileSync(path, yaml);
    expect((await sb.run(['config', 'check'])).code).toBe(0);
    root = makeRoot(join(sb.dir, 'root-web'));
    tokenFile = join(sb.dir, 'web.token');
    const token = await sb.run(['token', 'create', '--role', 'agent', '--host', 'web']);
    writeFileSync(tokenFile, token.stdout, { mode: 0o600 });
    admin = (await sb.run(['token', 'create', '--role', 'admin'])).stdout.trim();
    server = await startServe(sb, { args: ['--no-jobs'] });
  }, 60_000);
  afterAll(async () => {
    await stopChild(server?.child);
    await sb.cleanup();
  });

  it('refuses to remove more accounts than the breaker allows, reports why, and goes ahead with --allow-mass-change', async () => {
    const call = (method: string, path: string, body: unknown): Promise<Response> => fetch(`${server?.url ?? ''}${path}`, { method, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await call('POST', '/api/v1/people', { id: 'C1', firstName: 'Carol', lastName: 'Danvers', roles: ['MEMBER'] })).status).toBe(201);
    expect((await call('POST', '/api/v1/accounts', { personId: 'C1', type: 'member', username: 'carol' })).status).toBe(201);
    const once = (extra: string[] = []): Promise<RunResult> => sb.run(['agent', '--once', '--server', server?.url ?? '', '--token-file', tokenFile, '--host', 'web', '--root', root, ...extra]);
    expect((await once()).code).toBe(0);
    expect(etc(root, 'passwd')).toMatch(/^carol:/m);

    const purged = await call('POST', '/api/v1/accounts/carol/retire', { deactivateAfter: 0, deleteAfter: 0 });
    expect(purged.status, await purged.clone().text()).toBe(200);
    expect(((await purged.json()) as { purged: boolean }).purged).toBe(true);

    const refused = await once();
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/applied nothing: .*circuit breaker|applied nothing: .*mass/i);
    expect(etc(root, 'passwd')).toMatch(/^carol:/m);
    const reports = await fetch(`${server?.url ?? ''}/api/v1/hosts/web/reports?limit=1`, { headers: { authorization: `Bearer ${admin}` } });
    const [last] = ((await reports.json()) as { items: Array<{ ok: boolean; report: { error?: { code: string } } }> }).items;
    expect(last).toMatchObject({ ok: false, report: { error: { code: 'mass_change' } } });

    const allowed = await once(['--allow-mass-change']);
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
    expect(etc(root, 'passwd')).not.toMatch(/^carol:/m);
  }, 60_000);
});
