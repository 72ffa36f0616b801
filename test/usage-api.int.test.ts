import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import { addPerson } from '../src/app/people.js';
import { measureUsage } from '../src/app/usage.js';
import { orderedTargets, targetRegistry } from '../src/targets/registry.js';
import { stampsTarget } from './sample-target/stamps-target.js';
import { SERVER_TEST_CONFIG, serverFixture, type ServerFixture } from './server-fixture.js';

interface UsageOut {
  readonly user: string;
  readonly host: string;
  readonly target: string;
  readonly subject: string;
  readonly bytes: number;
  readonly measuredAt: string;
}

const targets = orderedTargets([stampsTarget, ...targetRegistry]);

/** GET /api/v1/accounts/{username}/usage, with the test folder's stamps target (whose usage is each stamp file's length) on both hosts. */
describe('/api/v1/accounts/{username}/usage', () => {
  let f: ServerFixture;
  let root: string;

  beforeEach(async () => {
    const yaml = SERVER_TEST_CONFIG.replace('  shell: {}', '  shell: { targets: { stamps: {} } }').replace('  web: {}', '  web: { targets: { stamps: { dir: /srv/stamps } } }');
    f = await serverFixture({ yaml, targets });
    root = await mkdtemp(join(tmpdir(), 'roster-usage-api-'));
    await addPerson(f.ctx, { id: 'P1', firstName: 'Alice', lastName: 'Liddell', roles: ['MEMBER'] });
    await addPerson(f.ctx, { id: 'P2', firstName: 'Bob', lastName: 'Builder', roles: ['MEMBER'] });
    await createAccount(f.ctx, { personId: 'P1', type: 'member', username: 'alice' });
    await createAccount(f.ctx, { personId: 'P2', type: 'member', username: 'bob' });
    await mkdir(join(root, 'var/lib/stamps'), { recursive: true });
    await mkdir(join(root, 'srv/stamps'), { recursive: true });
    await writeFile(join(root, 'var/lib/stamps/alice'), 'x'.repeat(1234));
    await writeFile(join(root, 'srv/stamps/alice'), 'x'.repeat(10));
    await writeFile(join(root, 'var/lib/stamps/bob'), 'x'.repeat(5));
  });
  afterEach(async () => {
    await f.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it("answers an account's figures on every host with the time they were measured, to readers", async () => {
    expect((await f.request('GET', '/api/v1/accounts/alice/usage', { token: f.tokens.auditor })).status).toBe(200);
    expect(await (await f.request('GET', '/api/v1/accounts/alice/usage')).json()).toEqual({ items: [] });

    const outcomes = await measureUsage(f.ctx, targets, { root });
    expect(outcomes).toEqual([
      { host: 'shell', target: 'stamps', ok: true, figures: 2 },
      { host: 'web', target: 'stamps', ok: true, figures: 1 },
    ]);
    const res = await f.request('GET', '/api/v1/accounts/alice/usage', { token: f.tokens.auditor });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: UsageOut[] }).items).toEqual([
      { user: 'alice', host: 'shell', target: 'stamps', subject: 'stamp:/var/lib/stamps/alice', bytes: 1234, measuredAt: '2026-03-01T12:00:00.000Z' },
      { user: 'alice', host: 'web', target: 'stamps', subject: 'stamp:/srv/stamps/alice', bytes: 10, measuredAt: '2026-03-01T12:00:00.000Z' },
    ]);

    // A later measurement of one host replaces that host's figures only.
    f.clock.advanceDays(1);
    await writeFile(join(root, 'var/lib/stamps/alice'), 'x'.repeat(99));
    await measureUsage(f.ctx, targets, { host: 'shell', root });
    const later = ((await (await f.request('GET', '/api/v1/accounts/alice/usage')).json()) as { items: UsageOut[] }).items;
    expect(later.map((u) => [u.host, u.bytes, u.measuredAt])).toEqual([
      ['shell', 99, '2026-03-02T12:00:00.000Z'],
      ['web', 10, '2026-03-01T12:00:00.000Z'],
    ]);
    const bob = ((await (await f.request('GET', '/api/v1/accounts/bob/usage', { token: f.tokens.operator })).json()) as { items: UsageOut[] }).items;
    expect(bob.map((u) => [u.user, u.host, u.bytes])).toEqual([['bob', 'shell', 5]]);
  });

  it('refuses an unknown account with a problem, and agents and SCIM clients altogether', async () => {
    const missing = await f.request('GET', '/api/v1/accounts/nobody/usage');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(((await missing.json()) as { detail: string }).detail).toBe('user: no account "nobody"');
    expect((await f.request('GET', '/api/v1/accounts/alice/usage', { token: f.tokens.agent })).status).toBe(403);
    expect((await f.request('GET', '/api/v1/accounts/alice/usage', { token: f.tokens.scim })).status).toBe(403);
    expect((await f.request('GET', '/api/v1/accounts/alice/usage', { token: null })).status).toBe(401);
  });

  it("takes a host's measurement from its agent: each target's figures replace its earlier ones; a target the host does not run is refused", async () => {
    const body = {
      measuredAt: '2026-03-01T11:00:00+01:00',
      targets: [
        { target: 'stamps', items: [{ account: 'alice', subject: 'stamp:/var/lib/stamps/alice', bytes: 77 }, { account: 'gone', subject: 'stamp:/var/lib/stamps/gone', bytes: 1 }] },
        { target: 'homes', items: [{ account: 'alice', subject: 'home:/home/alice', bytes: 5 }] },
      ],
    };
    const res = await f.request('POST', '/api/v1/hosts/shell/usage', { token: f.tokens.agent, body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      items: [
        { host: 'shell', target: 'homes', ok: false, figures: 0, error: 'the homes target is not enabled on host shell' },
        { host: 'shell', target: 'stamps', ok: true, figures: 1, unknownAccounts: ['gone'] },
      ],
    });
    const items = ((await (await f.request('GET', '/api/v1/accounts/alice/usage')).json()) as { items: UsageOut[] }).items;
    expect(items).toEqual([{ user: 'alice', host: 'shell', target: 'stamps', subject: 'stamp:/var/lib/stamps/alice', bytes: 77, measuredAt: '2026-03-01T10:00:00.000Z' }]);
    const audit = (await f.store.read.listAudit()).filter((r) => r.action === 'usage.measure');
    expect(audit.map((r) => [r.target, r.actor.startsWith('token:')])).toEqual([['host:shell', true]]);

    // The other host's agent may not; figures that cannot be are a problem naming the field.
    expect((await f.request('POST', '/api/v1/hosts/shell/usage', { token: f.tokens.agentWeb, body })).status).toBe(403);
    const bad = await f.request('POST', '/api/v1/hosts/shell/usage', { token: f.tokens.agent, body: { ...body, targets: [{ target: 'stamps', items: [{ account: 'alice', subject: 'x', bytes: -1 }] }] } });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { issues: Array<{ where: string }> }).issues.map((i) => i.where)).toEqual(['body.targets.0.items.0.bytes']);
    expect((await f.request('POST', '/api/v1/hosts/shell/usage', { token: f.tokens.agent, body: { ...body, measuredAt: 'yesterday' } })).status).toBe(422);
    expect((await f.request('POST', '/api/v1/hosts/mail/usage', { body })).status).toBe(404);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await (await f.request('GET', '/api/v1/openapi.json', { token: null })).json()) as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
    };
    const op = doc.paths['/api/v1/accounts/{username}/usage']?.get;
    expect(op?.operationId).toBe('getAccountUsage');
    expect(JSON.stringify(op?.responses['200'])).toContain('measuredAt');
  });
});
