import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readiness } from '../src/server/ops-routes.js';
import { openStore } from '../src/store/open-store.js';
import { createPostgresDatabase } from '../src/store/test-stores.js';
import { rosterSandbox, type RosterSandbox, type RunResult } from './roster-cli.js';
import { startServe, stopChild, type ServeProcess } from './serve-process.js';

/**
 * GET /metrics, /healthz and /readyz of a real `roster serve`, after real
 * requests, the scheduled jobs it ran and real `roster agent --once` turns,
 * read with a Prometheus text-format parser; and its JSON log lines.
 */

interface Sample {
  readonly value?: string;
  readonly labels?: Readonly<Record<string, string>>;
}
interface Family {
  readonly name: string;
  readonly type: string;
  readonly metrics: readonly Sample[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

/**
 * The families of an exposition, by name. Histograms are read as their
 * plain _bucket, _sum and _count samples (the parser folds a labelled
 * histogram's series into one, losing the labels); those come series by
 * series, so the parser sees each name many times and they are merged.
 */
function parseMetrics(text: string): Map<string, Family> {
  const plain = text.replace(/^# TYPE \S+ histogram\n/gm, '');
  const families = new Map<string, Family>();
  for (const f of parsePrometheus(plain)) {
    const seen = families.get(f.name);
    families.set(f.name, seen === undefined ? f : { ...seen, metrics: [...seen.metrics, ...f.metrics] });
  }
  return families;
}

/** The value of the sample of `name` with exactly these labels; undefined when absent. */
function valueOf(families: Map<string, Family>, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const sample = families.get(name)?.metrics.find((m) => JSON.stringify(Object.entries(m.labels ?? {}).sort()) === JSON.stringify(Object.entries(labels).sort()));
  return sample?.value === undefined ? undefined : Number(sample.value);
}

const UID_BASE = 2_110_000_000;
const HOSTS = `hosts:
  shell:
    description: login host
    targets:
      login: { path: /etc/security/roster-frozen.users }
      unix: {}
  web:
    description: web host
    targets:
      unix: {}

`;

function makeRoot(dir: string): string {
  mkdirSync(join(dir, 'etc/skel'), { recursive: true });
  mkdirSync(join(dir, 'home'), { recursive: true });
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(dir, 'etc/shadow'), 'root:*:20000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(dir, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
  return dir;
}

describe('roster serve: /metrics, /healthz, /readyz and its logs', () => {
  let sb: RosterSandbox;
  let server: ServeProcess | undefined;
  let root = '';
  let tokenFile = '';
  const tokens = { admin: '', auditor: '', scim: '' };

  const cli = async (args: string[]): Promise<string> => {
    const r = await sb.run(args);
    if (r.code !== 0) throw new Error(`roster ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const url = (path: string): string => `${server?.url ?? ''}${path}`;
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(url(path), { method, headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const agentOnce = (): Promise<RunResult> => sb.run(['agent', '--once', '--server', server?.url ?? '', '--token-file', tokenFile, '--host', 'shell', '--root', root]);
  const scrape = async (token: string | null = tokens.auditor): Promise<Response> => fetch(url('/metrics'), token === null ? {} : { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    sb = await rosterSandbox();
    const path = join(sb.dir, 'roster.yaml');
    const yaml = readFileSync(path, 'utf8')
      .replace('uids: { min: 10000, max: 59999 }', `uids: { min: ${UID_BASE}, max: ${UID_BASE + 999_999} }`)
      .replace('gids: { min: 10000, max: 59999 }', `gids: { min: ${UID_BASE}, max: ${UID_BASE + 999_999} }`)
      .replace(/^hosts:\n[\s\S]*?(?=^# Roster sources)/m, HOSTS)
      // Removing even one account is a mass change: the agent's second turn is refused.
      .replace(/^breaker:\n  count: 50\n  percent: 5\n/m, 'breaker:\n  count: 0\n  percent: 0\n');
    writeFileSync(path, yaml);
    expect((await sb.run(['config', 'check'])).code).toBe(0);
    root = makeRoot(join(sb.dir, 'root-shell'));
    tokenFile = join(sb.dir, 'shell.token');
    writeFileSync(tokenFile, await cli(['token', 'create', '--role', 'agent', '--host', 'shell']), { mode: 0o600 });
    for (const role of ['admin', 'auditor', 'scim'] as const) tokens[role] = (await cli(['token', 'create', '--role', role])).trim();
    // With the scheduler: the slots it finds missed (purge, billing, apply, notify) run at start.
    server = await startServe(sb);
    const deadline = Date.now() + 30_000;
    while (!server.stderr().includes('job notify')) {
      if (Date.now() > deadline) throw new Error(`the jobs did not run: ${server.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);
  afterAll(async () => {
    await stopChild(server?.child);
    await sb.cleanup();
  });

  it('counts requests, job runs, agent reports, outcomes and refusals, and reads host and outbox state at scrape time', async () => {
    expect((await call('POST', '/api/v1/people', { id: 'C1', firstName: 'Carol', lastName: 'Danvers', roles: ['MEMBER'], emails: { MEMBER: 'carol@example.org' } })).status).toBe(201);
    expect((await call('POST', '/api/v1/accounts', { personId: 'C1', type: 'member', username: 'carol' })).status).toBe(201);
    expect((await call('GET', '/api/v1/people/C1')).status).toBe(200);
    expect((await call('GET', '/api/v1/people/NOBODY-1', undefined, { 'x-request-id': 'metrics-test-404' })).status).toBe(404);
    expect((await call('GET', '/api/v1/people/NOBODY-2')).status).toBe(404);
    expect((await call('GET', '/no/such/endpoint')).status).toBe(404);

    // A real agent applies the account, then is refused by the circuit breaker once it is purged.
    const applied = await agentOnce();
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const retired = await call('POST', '/api/v1/accounts/carol/retire', { deactivateAfter: 0, deleteAfter: 0 });
    expect(retired.status, await retired.clone().text()).toBe(200);
    const refused = await agentOnce();
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/applied nothing/);

    const reports = (await (await call('GET', '/api/v1/hosts/shell/reports?limit=5')).json()) as { items: Array<{ receivedAt: string; ok: boolean; report: { targetTotals?: Record<string, { ok: number; failed: number; skipped: number }>; error?: { code: string } } }> };
    const [last, first] = reports.items;
    expect(last?.report.error?.code).toBe('mass_change');
    const perTarget = first?.report.targetTotals ?? {};
    expect(perTarget.unix?.ok).toBeGreaterThan(0);
    expect(perTarget.login?.ok).toBeGreaterThan(0);

    const jobs = JSON.parse(await cli(['jobs', 'list', '--json'])) as { runs: Array<{ job: string; result: string; finishedAt: string | null; startedBy: string }> };
    const outbox = (JSON.parse(await cli(['notify', 'list', '--json'])) as { counts: Record<string, number> }).counts;
    expect(outbox.queued).toBeGreaterThan(0);

    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const scrapedAt = Date.now();
    const m = parseMetrics(text);

    // Requests by route pattern and status; the paths themselves never become labels.
    expect(valueOf(m, 'roster_http_requests_total', { method: 'POST', route: '/api/v1/people', status: '201' })).toBe(1);
    expect(valueOf(m, 'roster_http_requests_total', { method: 'GET', route: '/api/v1/people/:id', status: '200' })).toBe(1);
    expect(valueOf(m, 'roster_http_requests_total', { method: 'GET', route: '/api/v1/people/:id', status: '404' })).toBe(2);
    expect(valueOf(m, 'roster_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(valueOf(m, 'roster_http_requests_total', { method: 'POST', route: '/api/v1/hosts/:host/reports', status: '201' })).toBe(2);
    expect(valueOf(m, 'roster_http_requests_total', { method: 'GET', route: '/api/v1/hosts/:host/desired', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toMatch(/NOBODY|no\/such|route="\/api\/v1\/people\/C1"/);
    // Latency: a histogram per route and status, whose count is the number of requests.
    expect(text).toMatch(/^# TYPE roster_http_request_duration_seconds histogram$/m);
    const latency = { method: 'GET', route: '/api/v1/people/:id', status: '404' };
    expect(valueOf(m, 'roster_http_request_duration_seconds_count', latency)).toBe(2);
    expect(valueOf(m, 'roster_http_request_duration_seconds_bucket', { ...latency, le: '+Inf' })).toBe(2);
    expect(valueOf(m, 'roster_http_request_duration_seconds_sum', latency)).toBeGreaterThan(0);

    // The jobs serve's scheduler ran, and each job's last run as the store has it.
    for (const job of ['purge', 'billing', 'apply', 'notify']) {
      const run = jobs.runs.find((r) => r.job === job);
      expect(run?.startedBy).toBe('serve');
      if (job === 'apply') {
        // Its slot is every minute: a test that crosses a minute sees it run again between the two reads.
        expect(valueOf(m, 'roster_job_runs_total', { job, result: 'ok' }), job).toBeGreaterThanOrEqual(1);
        continue;
      }
      expect(valueOf(m, 'roster_job_runs_total', { job, result: 'ok' }), job).toBe(1);
      expect(valueOf(m, 'roster_job_last_finished_timestamp_seconds', { job, result: run?.result ?? '?' })).toBe(Date.parse(run?.finishedAt ?? '') / 1000);
    }

    // Agent reports, outcomes per host and target as the agent counted them, and the breaker's refusal.
    expect(valueOf(m, 'roster_agent_reports_total', { host: 'shell', result: 'ok' })).toBe(1);
    expect(valueOf(m, 'roster_agent_reports_total', { host: 'shell', result: 'error' })).toBe(1);
    for (const [target, t] of Object.entries(perTarget)) {
      for (const status of ['ok', 'failed', 'skipped'] as const) expect(valueOf(m, 'roster_agent_apply_outcomes_total', { host: 'shell', target, status }) ?? 0, `${target} ${status}`).toBe(t[status]);
    }
    expect(valueOf(m, 'roster_breaker_refusals_total', { operation: 'apply', host: 'shell' })).toBe(1);

    // The last report's age and state per host; a host that never reported has none.
    const age = valueOf(m, 'roster_host_last_report_age_seconds', { host: 'shell' });
    const sinceReport = (scrapedAt - Date.parse(last?.receivedAt ?? '')) / 1000;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual(sinceReport + 1);
    expect(valueOf(m, 'roster_host_last_report_ok', { host: 'shell' })).toBe(0);
    expect(valueOf(m, 'roster_host_last_report_age_seconds', { host: 'web' })).toBeUndefined();

    // The outbox as `roster notify list` counts it.
    for (const [status, n] of Object.entries(outbox)) expect(valueOf(m, 'roster_outbox_messages', { status }), status).toBe(n);

    // Node's own process metrics come along.
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
  }, 90_000);

  it('wants an admin, operator or auditor token for /metrics; /healthz and /readyz answer anyone', async () => {
    const none = await scrape(null);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await scrape('not-a-token')).status).toBe(401);
    expect((await scrape(tokens.scim)).status).toBe(403);
    expect((await scrape(tokens.admin)).status).toBe(200);
    const health = await fetch(url('/healthz'));
    expect([health.status, await health.json()]).toEqual([200, { status: 'up' }]);
    expect(health.headers.get('x-request-id')).toBeTruthy();
    const ready = await fetch(url('/readyz'));
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('logs JSON lines on stderr, each line of a request carrying its X-Request-Id', () => {
    const lines = (server?.stderr() ?? '').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.every((l) => typeof l.time === 'string' && typeof l.level === 'string' && l.name === 'roster-serve')).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', msg: 'job purge ok', job: 'purge', result: 'ok' }));
    const request = lines.filter((l) => l.reqId === 'metrics-test-404');
    expect(request).toEqual([expect.objectContaining({ level: 'info', method: 'GET', route: '/api/v1/people/:id', path: '/api/v1/people/NOBODY-1', status: 404, msg: expect.stringMatching(/^GET \/api\/v1\/people\/NOBODY-1 404 [\d.]+ ms$/) })]);
    // Refusals are logged inside their request.
    const refusal = lines.find((l) => l.msg === 'refused GET /metrics: unauthorized');
    expect(refusal?.reqId).toEqual(expect.any(String));
    expect(lines.filter((l) => l.reqId === refusal?.reqId).map((l) => l.status)).toContain(401);
  });

  it('serves /metrics without a token when server.metrics.public is set; /readyz is 503 while the schema is not this Roster’s', async () => {
    await stopChild(server?.child);
    const path = join(sb.dir, 'roster.yaml');
    writeFileSync(path, `${readFileSync(path, 'utf8')}\nserver:\n  metrics: { public: true }\n`);
    server = await startServe(sb, { args: ['--no-jobs'] });
    const open = await scrape(null);
    expect(open.status).toBe(200);
    expect(parseMetrics(await open.text()).has('roster_http_requests_total')).toBe(true);

    const db = new Database(join(sb.dir, 'roster.db'));
    try {
      // A newer Roster migrated the database.
      db.prepare("insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2099-01-01T00:00:00.000Z')").run();
      const newer = await fetch(url('/readyz'));
      expect(newer.status).toBe(503);
      expect(await newer.json()).toEqual({ status: 'not ready', reason: 'the database schema is newer than this Roster (migration 9999-from-the-future); upgrade Roster' });
      // A migration of this Roster is missing (the database was replaced by an older one).
      db.prepare("delete from kysely_migration where name in ('9999-from-the-future', '0003-server')").run();
      const older = await fetch(url('/readyz'));
      expect(older.status).toBe(503);
      expect(((await older.json()) as { reason: string }).reason).toMatch(/lacks migration 0003-server/);
      // The process is still up.
      expect((await fetch(url('/healthz'))).status).toBe(200);
      db.prepare("insert into kysely_migration (name, timestamp) values ('0003-server', '2026-01-01T00:00:00.000Z')").run();
      expect((await fetch(url('/readyz'))).status).toBe(200);
    } finally {
      db.close();
    }
    const warned = (server.stderr().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)).filter((l) => l.level === 'warn' && String(l.msg).startsWith('not ready'));
    expect(warned).toHaveLength(2);
    expect(warned[0]?.reqId).toEqual(expect.any(String));
  }, 60_000);
});

describe('readiness on PostgreSQL', () => {
  it('is not ready, with a reason, once the database cannot be reached', async () => {
    const db = await createPostgresDatabase();
    const store = await openStore(db.url);
    try {
      expect(await readiness(store)).toEqual({ ready: true });
      await db.drop();
      const r = await readiness(store);
      expect(r).toMatchObject({ ready: false, reason: 'the database cannot be reached' });
      expect(r.ready ? '' : r.detail).toMatch(/\S/);
    } finally {
      await store.close();
      await db.drop();
    }
  }, 30_000);
});
