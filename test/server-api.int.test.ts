/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- response bodies are `Json` (any): tests read them field by field and expect() checks each */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SERVER_TEST_CONFIG, serverFixture, type ServerFixture } from './server-fixture.js';

/** Every REST endpoint, in-process (DESIGN.md §5 "HTTP", §7 "API"). */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field

let f: ServerFixture;

async function call(method: string, path: string, options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await f.request(method, `/api/v1${path}`, options);
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Json), headers: res.headers };
}

async function person(id: string, roles: string[] = ['MEMBER']): Promise<void> {
  expect((await call('POST', '/people', { body: { id, firstName: 'Ann', lastName: `Lee${id}`, roles } })).status).toBe(201);
}

async function account(personId: string, username: string): Promise<Json> {
  const r = await call('POST', '/accounts', { body: { personId, type: 'member', username } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

beforeEach(async () => {
  f = await serverFixture();
});
afterEach(async () => {
  await f.cleanup();
});

describe('REST API', () => {
  it('describes itself with OpenAPI 3.1 generated from the route schemas', async () => {
    const { status, body } = await call('GET', '/openapi.json', { token: null });
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const ops = Object.values(body.paths as Record<string, Record<string, Json>>).flatMap((p) => Object.values(p));
    // The REST routes, and the operational endpoints outside /api/v1.
    expect(ops).toHaveLength(f.server.routes.length + 3);
    expect(body.paths['/metrics'].get.security).toEqual([{ bearerAuth: [] }]);
    expect(body.paths['/readyz'].get.responses['503'].content['application/json'].schema.required).toEqual(['status', 'reason']);
    expect(body.paths['/healthz'].get.security).toEqual([]);
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
    const create = body.paths['/api/v1/accounts'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual(['personId', 'type']);
    expect(create.responses['201'].content['application/json'].schema.properties.uid.type).toBe('integer');
    expect(create.responses['422'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(body.paths['/api/v1/people/{id}'].get.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 128 } }]);
  });

  it('says who a token is', async () => {
    const { body } = await call('GET', '/whoami', { token: f.tokens.operator });
    expect(body.actor).toMatch(/^token:\d+\(operator\)$/);
    expect(body.token).not.toHaveProperty('hash');
  });

  it('adds, pages, shows and changes people, auditing with the token', async () => {
    await person('P1');
    await person('P2');
    const first = await call('GET', '/people?limit=1');
    expect(first.body.items.map((p: Json) => p.id)).toEqual(['P1']);
    expect(first.body.next).toBe('P1');
    const second = await call('GET', `/people?limit=1&after=${first.body.next as string}`);
    expect(second.body).toMatchObject({ items: [{ id: 'P2' }], next: null });
    const patched = await call('PATCH', '/people/P1', { token: f.tokens.operator, body: { lastName: 'Liddell', emails: { MEMBER: 'ann@example.org' } } });
    expect(patched.body).toMatchObject({ lastName: 'Liddell', firstName: 'Ann', changed: true, emails: { MEMBER: 'ann@example.org' } });
    const audit = await call('GET', '/audit?target=person:P1');
    expect(audit.body.items.map((r: Json) => [r.action, r.actor])).toEqual([
      ['person.add', expect.stringMatching(/^token:\d+\(admin\)$/)],
      ['person.update', expect.stringMatching(/^token:\d+\(operator\)$/)],
    ]);
    expect((await call('GET', '/people/P1')).body).toMatchObject({ id: 'P1', lastName: 'Liddell', accounts: [] });
    expect((await call('GET', '/people/P1/username-suggestions?type=member')).body.suggestions[0]).toBe('aliddell');
    expect((await call('GET', '/people/NOPE')).status).toBe(404);
  });

  it('creates accounts and runs their lifecycle actions', async () => {
    await person('P1');
    await person('P2', []);
    const alice = await account('P1', 'alice');
    expect(alice).toMatchObject({ username: 'alice', uid: 10000, state: 'active', groups: ['members'], passwordSet: false });
    // Eligibility: refused with the unmet requirement, and only an admin may skip it.
    const refused = await call('POST', '/accounts', { body: { personId: 'P2', type: 'member' } });
    expect(refused).toMatchObject({ status: 422, body: { code: 'not_eligible' } });
    expect((await call('POST', '/accounts', { token: f.tokens.operator, body: { personId: 'P2', type: 'member', skipEligibility: true } })).status).toBe(403);
    expect((await call('POST', '/accounts', { body: { personId: 'P2', type: 'member', username: 'bob', skipEligibility: true } })).status).toBe(201);

    expect((await call('PATCH', '/accounts/alice', { body: { gecos: 'Alice L' } })).body).toMatchObject({ changed: true, account: { gecos: 'Alice L' } });
    const weak = await call('PUT', '/accounts/alice/password', { body: { password: 'short' } });
    expect(weak).toMatchObject({ status: 422, body: { code: 'weak_password' } });
    expect(weak.body.issues[0].where).toBe('password');
    expect((await call('PUT', '/accounts/alice/password', { body: { password: 'correct-Horse-battery-9' } })).body).toEqual({ username: 'alice', changed: true, dryRun: false });
    expect((await call('GET', '/accounts/alice')).body.passwordSet).toBe(true);

    const frozen = await call('POST', '/accounts/alice/freeze', { body: { reason: 'security', note: 'leaked key' } });
    expect(frozen.body).toMatchObject({ changed: true, account: { state: 'disabled', holds: [{ kind: 'freeze', reason: 'security', note: 'leaked key' }] } });
    expect((await call('GET', '/accounts?state=disabled')).body.items.map((a: Json) => a.username)).toEqual(['alice']);
    expect((await call('POST', '/accounts/alice/unfreeze', { body: { reason: 'security', dryRun: true } })).body).toMatchObject({ changed: true, dryRun: true });
    expect((await call('GET', '/accounts/alice')).body.state).toBe('disabled');
    expect((await call('POST', '/accounts/alice/unfreeze', { body: { reason: 'security' } })).body.account.state).toBe('active');
    const retired = await call('POST', '/accounts/alice/retire', { body: { deactivateAfter: 0, deleteAfter: 10 } });
    expect(retired.body.account).toMatchObject({ state: 'disabled', purgeAt: '2026-03-11T00:00:00.000Z' });
    expect((await call('POST', '/accounts/alice/reactivate', { body: {} })).body.account).toMatchObject({ state: 'active', purgeAt: null });

    const page = await call('GET', '/accounts?limit=1');
    expect(page.body).toMatchObject({ items: [{ username: 'alice' }], next: expect.any(String) });
    expect((await call('GET', `/accounts?limit=1&after=${page.body.next as string}`)).body).toMatchObject({ items: [{ username: 'bob' }], next: null });
    expect((await call('GET', '/accounts?type=member&personId=P2')).body.items.map((a: Json) => a.username)).toEqual(['bob']);
  });

  it('manages groups and ledgers, and runs billing', async () => {
    await person('P1');
    await account('P1', 'alice');
    expect((await call('POST', '/groups', { body: { name: 'ops', description: 'operations' } })).body).toMatchObject({ name: 'ops', gid: expect.any(Number) });
    expect((await call('GET', '/groups')).body.items.map((g: Json) => g.name)).toEqual(['members', 'ops']);
    expect((await call('GET', '/groups/members')).body.memberAccounts).toEqual(['alice']);
    const paid = await call('POST', '/people/P1/ledger', { token: f.tokens.operator, body: { kind: 'payment', amount: '25.50' } });
    expect(paid).toMatchObject({ status: 201, body: { entry: { kind: 'payment', amountCents: 2550 }, billing: { balanceCents: 2550 } } });
    expect((await call('GET', '/people/P1/ledger', { token: f.tokens.auditor })).body).toMatchObject({ billing: { balanceCents: 2550, monthlyDuesCents: 1000 } });
    const billing = await call('POST', '/billing/run', { body: { dryRun: true } });
    expect(billing.body).toMatchObject({ dryRun: true, people: [{ personId: 'P1', duesPosted: 1000 }] });
    expect((await call('GET', '/people/P1/ledger')).body.entries).toHaveLength(1);
  });

  it('stops a mass purge at the breaker until a second admin approves it', async () => {
    for (const [p, u] of [['P1', 'u1x'], ['P2', 'u2x'], ['P3', 'u3x']] as const) {
      await person(p);
      await account(p, u);
    }
    for (const u of ['u1x', 'u2x', 'u3x']) expect((await call('POST', `/accounts/${u}/retire`, { body: { deleteAfter: 1 } })).status).toBe(200);
    f.clock.advanceDays(2);
    expect((await call('POST', '/purge', { body: { dryRun: true } })).body.candidates).toHaveLength(3);

    const refused = await call('POST', '/purge', { token: f.tokens.operator, body: {} });
    expect(refused).toMatchObject({ status: 409, body: { code: 'mass_change', massChange: { action: 'purge', summary: { affected: 3, total: 3, limit: 2 }, approvedBy: null } } });
    const id = refused.body.massChange.id as string;
    expect((await call('POST', '/purge', { token: f.tokens.operator, body: { approval: id } })).body.code).toBe('conflict');
    expect((await call('POST', `/mass-changes/${id}/approvals`, { token: f.tokens.operator, body: {} })).status).toBe(403);
    const approved = await call('POST', `/mass-changes/${id}/approvals`, { token: f.tokens.admin2, body: {} });
    expect(approved).toMatchObject({ status: 201, body: { approvedBy: expect.stringMatching(/\(admin\)$/) } });
    expect((await call('POST', `/mass-changes/${id}/approvals`, { token: f.tokens.admin, body: {} })).body.code).toBe('conflict');
    const run = await call('POST', '/purge', { token: f.tokens.operator, body: { approval: id } });
    expect(run.body.results.map((r: Json) => [r.username, r.ok])).toEqual([['u1x', true], ['u2x', true], ['u3x', true]]);
    expect((await call('POST', '/purge', { token: f.tokens.operator, body: { approval: id } })).status).toBe(409);
    expect((await call('GET', `/mass-changes/${id}`, { token: f.tokens.auditor })).body.result).toMatchObject({ status: 'done' });
    expect((await call('GET', '/mass-changes')).body.items).toHaveLength(1);
    expect((await call('GET', '/accounts/u1x')).body.state).toBe('purged');
  });

  it('syncs an uploaded roster file and lists the job run', async () => {
    const csv = 'id,first,last,roles\nS1,Ann,Lee,MEMBER\nS2,Bob,Ray,MEMBER\n';
    const dry = await call('POST', '/sync/school?dryRun=true', { body: csv, headers: { 'content-type': 'text/csv' } });
    expect(dry).toMatchObject({ status: 200, body: { dryRun: true, summary: { created: 2, added: 2 } } });
    expect((await call('GET', '/accounts')).body.items).toEqual([]);
    const real = await call('POST', '/sync/school', { token: f.tokens.operator, body: csv, headers: { 'content-type': 'text/csv' } });
    expect(real.body).toMatchObject({ dryRun: false, summary: { created: 2 } });
    expect((await call('GET', '/accounts')).body.items).toHaveLength(2);
    expect((await call('GET', '/jobs?job=sync:school')).body.items[0]).toMatchObject({ job: 'sync:school', result: 'ok', startedBy: expect.stringMatching(/\(operator\)$/) });
    expect((await call('POST', '/sync/nowhere', { body: csv })).status).toBe(404);
  });

  it('serves hosts: desired state by revision and reports, for the own host of an agent', async () => {
    await person('P1');
    await account('P1', 'alice');
    const desired = await call('GET', '/hosts/shell/desired', { token: f.tokens.agent });
    expect(desired.status).toBe(200);
    expect(desired.body.desired.accounts.map((a: Json) => a.username)).toEqual(['alice']);
    const revision = desired.body.revision as string;
    expect(desired.headers.get('etag')).toBe(`"${revision}"`);
    expect((await f.request('GET', '/api/v1/hosts/shell/desired', { token: f.tokens.agent, headers: { 'if-none-match': `"${revision}"` } })).status).toBe(304);
    expect((await call('GET', `/hosts/shell/desired?since=${revision}`, { token: f.tokens.agent })).status).toBe(304);
    // A change to the host's accounts is a new revision.
    await call('POST', '/accounts/alice/freeze', { body: { reason: 'admin' } });
    expect((await call('GET', `/hosts/shell/desired?since=${revision}`, { token: f.tokens.agent })).body.revision).not.toBe(revision);

    const report = await call('POST', '/hosts/shell/reports', { token: f.tokens.agent, body: { revision, outcomes: [{ target: 'unix', action: 'create', subject: 'user:alice', status: 'ok' }, { target: 'homes', action: 'create', subject: 'home:alice', status: 'failed', error: 'disk full' }] } });
    expect(report).toMatchObject({ status: 201, body: { host: 'shell', ok: false, revision, actor: expect.stringMatching(/\(agent\)$/) } });
    expect((await call('GET', '/hosts/shell', { token: f.tokens.agent })).body.lastReport.id).toBe(report.body.id);
    expect((await call('GET', '/hosts')).body.items.map((h: Json) => [h.name, h.lastReport?.ok ?? null])).toEqual([['shell', false], ['web', null]]);
    expect((await call('GET', '/hosts/shell/reports?limit=5', { token: f.tokens.auditor })).body.items).toHaveLength(1);
    expect((await call('GET', '/hosts/mars', { token: f.tokens.admin })).status).toBe(404);
    const audit = await call('GET', '/audit?target=host:shell');
    expect(audit.body.items[0]).toMatchObject({ action: 'host.report', result: 'failed', after: { applied: 1, failed: 1 } });
  });

  it("refuses a host's desired state to its agent when the server applies that host itself; an admin still reads it", async () => {
    await f.cleanup();
    f = await serverFixture({ yaml: SERVER_TEST_CONFIG.replace('  web: {}', '  web: { appliedBy: server }') });
    const refused = await call('GET', '/hosts/web/desired', { token: f.tokens.agentWeb });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toBe('host web is applied by roster serve itself (hosts.web.appliedBy: server); stop its agent, or set appliedBy: agent');
    expect((await call('GET', '/hosts/web/desired', { token: f.tokens.admin })).status).toBe(200);
    expect((await call('GET', '/hosts/shell/desired', { token: f.tokens.agent })).status).toBe(200);
  });

  it('creates, lists and revokes tokens; a revoked token is refused at once', async () => {
    const created = await call('POST', '/tokens', { body: { role: 'agent', host: 'web', expires: '30m', note: 'web agent' } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^roster_[A-Za-z0-9_-]{43}$/);
    expect(created.body.record).toMatchObject({ role: 'agent', host: 'web', expiresAt: '2026-03-01T12:30:00.000Z' });
    const token = created.body.token as string;
    expect((await call('GET', '/hosts/web', { token })).status).toBe(200);
    const list = await call('GET', '/tokens');
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(JSON.stringify(list.body)).not.toMatch(/"hash"/);
    expect((await call('DELETE', `/tokens/${created.body.record.id as number}`)).body.revokedAt).not.toBeNull();
    expect((await call('GET', '/hosts/web', { token })).status).toBe(401);
    expect((await call('POST', '/tokens', { body: { role: 'agent' } })).body.code).toBe('usage');
    f.clock.advanceDays(1);
    expect((await call('GET', '/whoami', { token: f.tokens.admin })).status).toBe(200);
  });

  it('answers malformed requests with problem details naming the field', async () => {
    const notJson = await call('POST', '/people', { body: '{"id": ' });
    expect(notJson).toMatchObject({ status: 400, body: { code: 'usage', type: 'urn:roster:problem:usage', instance: '/api/v1/people' } });
    expect(notJson.headers.get('content-type')).toBe('application/problem+json');
    const unknown = await call('POST', '/people', { body: { id: 'P1', firstName: 'A', lastName: 'B', nickname: 'x' } });
    expect(unknown).toMatchObject({ status: 422, body: { code: 'bad_input' } });
    expect(unknown.body.issues.map((i: Json) => i.where)).toEqual(['body']);
    expect((await call('GET', '/accounts?limit=5000')).body.issues[0].where).toBe('query.limit');
    expect((await call('POST', '/people', { body: { id: 'bad id', firstName: 'A', lastName: 'B' } })).body.issues[0].where).toBe('id');
    expect((await call('GET', '/nowhere')).status).toBe(404);
    const big = await call('POST', '/people', { body: { id: 'P9', firstName: 'x'.repeat(2_000_000), lastName: 'B' } });
    expect(big).toMatchObject({ status: 413, body: { code: 'too_large' } });
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a token has used its burst, per token', async () => {
    const g = await serverFixture({ yaml: SERVER_TEST_CONFIG.replace('server: { rateLimit: { perSecond: 1000, burst: 1000 } }', 'server: { rateLimit: { perSecond: 0.5, burst: 2 } }') });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await g.request('GET', '/api/v1/whoami', { token: g.tokens.auditor })).status);
      expect(statuses).toEqual([200, 200, 429]);
      const limited = await g.request('GET', '/api/v1/whoami', { token: g.tokens.auditor });
      expect(limited.headers.get('retry-after')).toMatch(/^[12]$/);
      expect(((await limited.json()) as Json).code).toBe('rate_limited');
      expect((await g.request('GET', '/api/v1/whoami', { token: g.tokens.operator })).status).toBe(200);
      expect((await g.request('GET', '/scim/v2/Users', { token: g.tokens.scim })).status).toBe(200);
    } finally {
      await g.cleanup();
    }
  });
});
