import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import { addPerson } from '../src/app/people.js';
import { orderedTargets, targetRegistry } from '../src/targets/registry.js';
import { stampsTarget } from './sample-target/stamps-target.js';
import { SERVER_TEST_CONFIG, serverFixture, type ServerFixture } from './server-fixture.js';

interface ResourceOut {
  readonly id: number;
  readonly user: string;
  readonly kind: string;
  readonly name: string;
  readonly host: string;
  readonly settings: Record<string, unknown>;
}

interface Problem {
  readonly status: number;
  readonly detail: string;
  readonly issues?: ReadonlyArray<{ readonly where: string; readonly message: string }>;
}

/** /api/v1/resources, with the test folder's stamps target (which declares the kind `stamp`) enabled on host shell. */
describe('/api/v1/resources', () => {
  let f: ServerFixture;

  beforeEach(async () => {
    f = await serverFixture({ yaml: SERVER_TEST_CONFIG.replace('  shell: {}', '  shell: { targets: { stamps: {} } }'), targets: orderedTargets([stampsTarget, ...targetRegistry]) });
    await addPerson(f.ctx, { id: 'P1', firstName: 'Alice', lastName: 'Liddell', roles: ['MEMBER'] });
    await createAccount(f.ctx, { personId: 'P1', type: 'member', username: 'alice' });
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('adds, lists, shows and removes resources, audited as the token', async () => {
    const added = await f.request('POST', '/api/v1/resources', { token: f.tokens.operator, body: { user: 'alice', kind: 'stamp', name: 'red', host: 'shell', settings: { color: 'red' } } });
    expect(added.status).toBe(201);
    const red = (await added.json()) as ResourceOut;
    expect(red).toMatchObject({ user: 'alice', kind: 'stamp', name: 'red', host: 'shell', settings: { color: 'red' } });

    const list = await f.request('GET', '/api/v1/resources?user=alice&kind=stamp', { token: f.tokens.auditor });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: ResourceOut[] }).items).toEqual([red]);
    expect(((await (await f.request('GET', '/api/v1/resources?kind=database')).json()) as { items: unknown[] }).items).toEqual([]);
    const one = await f.request('GET', `/api/v1/resources/${red.id}`, { token: f.tokens.auditor });
    expect(await one.json()).toEqual(red);

    const removed = await f.request('DELETE', `/api/v1/resources/${red.id}`, { token: f.tokens.operator });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toEqual(red);
    expect((await f.request('GET', `/api/v1/resources/${red.id}`)).status).toBe(404);
    const audit = (await f.store.read.listAudit()).filter((r) => r.action.startsWith('resource.'));
    expect(audit.map((r) => [r.action, r.target, r.actor.startsWith('token:')])).toEqual([
      ['resource.add', 'resource:shell/stamp/red', true],
      ['resource.remove', 'resource:shell/stamp/red', true],
    ]);
  });

  it('refuses what the kind, host or settings do not allow as a problem naming the field, and writes nothing', async () => {
    const good = { user: 'alice', kind: 'stamp', name: 'red', host: 'shell', settings: { color: 'red' } };
    const head = await f.store.read.auditHead();
    const cases: Array<[unknown, number, string]> = [
      [{ ...good, kind: 'database' }, 422, 'kind'],
      [{ ...good, host: 'web' }, 422, 'host'],
      [{ ...good, host: 'nowhere' }, 422, 'host'],
      [{ ...good, settings: { color: 'green' } }, 422, 'settings.color'],
      [{ ...good, user: 'nobody' }, 404, 'user'],
    ];
    for (const [body, status, where] of cases) {
      const res = await f.request('POST', '/api/v1/resources', { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const problem = (await res.json()) as Problem;
      expect(problem.issues?.map((e) => e.where), JSON.stringify(problem)).toEqual([where]);
    }
    const extra = await f.request('POST', '/api/v1/resources', { body: { ...good, owner: 'alice' } });
    expect(extra.status).toBe(422);
    expect(await f.store.read.auditHead()).toEqual(head);
    expect(await f.store.read.listResources()).toEqual([]);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await (await f.request('GET', '/api/v1/openapi.json', { token: null })).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(Object.entries(doc.paths['/api/v1/resources'] ?? {}).map(([m, o]) => [m, o.operationId])).toEqual([
      ['get', 'listResources'],
      ['post', 'addResource'],
    ]);
    expect(Object.entries(doc.paths['/api/v1/resources/{id}'] ?? {}).map(([m, o]) => [m, o.operationId])).toEqual([
      ['get', 'getResource'],
      ['delete', 'removeResource'],
    ]);
  });
});
