import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPerson } from '../src/app/people.js';
import { createAccount } from '../src/app/accounts.js';
import { createApiToken, revokeApiToken } from '../src/app/api-tokens.js';
import { fixedClock } from '../src/domain/clock.js';
import { SCIM_CLIENTS } from '../src/server/permissions.js';
import type { TokenRole } from '../src/store/queries/token-queries.js';
import { serverFixture, type ServerFixture } from './server-fixture.js';

/**
 * The authorization matrix (roles × endpoints × own/other object): every
 * denial is 401, 403 or 404 and changes nothing; every admitted role gets
 * past authentication and authorization.
 */

type Caller = 'none' | 'bogus' | 'revoked' | 'expired' | TokenRole | 'agentOther';
const CALLERS: readonly Caller[] = ['none', 'bogus', 'revoked', 'expired', 'admin', 'operator', 'auditor', 'scim', 'agent', 'agentOther'];

interface Endpoint {
  readonly method: string;
  readonly path: string;
  readonly roles: readonly TokenRole[];
  readonly hostParam: boolean;
  readonly body?: unknown;
}

let f: ServerFixture;
let extra: Record<'revoked' | 'expired' | 'throwaway', { token: string; id: number }>;
let scimUserId: string;
let scimGroupId: string;
let resourceId: number;

function expectation(e: Endpoint, caller: Caller): 401 | 403 | 'allowed' {
  if (caller === 'none' || caller === 'bogus' || caller === 'revoked' || caller === 'expired') return 401;
  const role: TokenRole = caller === 'agentOther' ? 'agent' : caller;
  if (!e.roles.includes(role)) return 403;
  // The agent token is for host shell; paths name shell, so agentOther (web's agent) is the other object.
  if (e.hostParam && caller === 'agentOther') return 403;
  return 'allowed';
}

function tokenOf(caller: Caller): string | null {
  switch (caller) {
    case 'none': return null;
    case 'bogus': return `roster_${'A'.repeat(43)}`;
    case 'revoked': return extra.revoked.token;
    case 'expired': return extra.expired.token;
    case 'agentOther': return f.tokens.agentWeb;
    default: return f.tokens[caller];
  }
}

/** Everything a request could change: every change is audited, and the tables the server adds are checked besides. */
async function snapshot(): Promise<string> {
  const q = f.store.read;
  return JSON.stringify([
    await q.auditHead(),
    await q.listApiTokens(),
    await q.listMassChanges(),
    await q.listHostReports({ host: 'shell' }),
    await q.listAccounts({ includePurged: true }),
    await q.listPeople(),
    await q.listGroups(),
    await q.getScimUsers([Number(scimUserId)]),
    await q.listResources(),
    await q.listUsage(),
  ]);
}

function fill(path: string): string {
  return path
    .replace('{id}', path.startsWith('/tokens') ? String(extra.throwaway.id) : path.startsWith('/mass-changes') ? 'nope' : path.startsWith('/resources') ? String(resourceId) : 'P1')
    .replace('{username}', 'alice')
    .replace('{name}', 'members')
    .replace('{source}', 'school')
    .replace('{host}', 'shell');
}

function endpoints(): Endpoint[] {
  const rest = f.server.routes.map((r) => ({ method: r.method.toUpperCase(), path: `/api/v1${fill(r.path)}`, roles: r.roles, hostParam: r.hostParam !== undefined, body: r.body === undefined ? undefined : r.body === 'csv' ? 'id,first,last\n' : {} }));
  const scim = [
    ['GET', '/scim/v2/Users'],
    ['POST', '/scim/v2/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'matrix' }],
    ['GET', `/scim/v2/Users/${scimUserId}`],
    ['PUT', `/scim/v2/Users/${scimUserId}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'dora@example.org' }],
    ['PATCH', `/scim/v2/Users/${scimUserId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: true }] }],
    ['DELETE', '/scim/v2/Users/999999'],
    ['GET', '/scim/v2/Groups'],
    ['POST', '/scim/v2/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Matrix' }],
    ['GET', `/scim/v2/Groups/${scimGroupId}`],
    ['PUT', `/scim/v2/Groups/${scimGroupId}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Ops' }],
    ['PATCH', `/scim/v2/Groups/${scimGroupId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Ops' }] }],
    ['DELETE', '/scim/v2/Groups/999999'],
  ] as const;
  return [...rest, ...scim.map(([method, path, body]) => ({ method, path, roles: SCIM_CLIENTS, hostParam: false, body }))];
}

beforeAll(async () => {
  f = await serverFixture();
  const earlier = { ...f.ctx, clock: fixedClock(new Date('2026-02-01T00:00:00Z')) };
  const revoked = await createApiToken(f.ctx, { role: 'admin' });
  await revokeApiToken(f.ctx, revoked.record.id);
  const expired = await createApiToken(earlier, { role: 'admin', expires: '1h' });
  const throwaway = await createApiToken(f.ctx, { role: 'auditor' });
  extra = {
    revoked: { token: revoked.token, id: revoked.record.id },
    expired: { token: expired.token, id: expired.record.id },
    throwaway: { token: throwaway.token, id: throwaway.record.id },
  };
  await addPerson(f.ctx, { id: 'P1', firstName: 'Alice', lastName: 'Liddell', roles: ['MEMBER'] });
  const alice = await createAccount(f.ctx, { personId: 'P1', type: 'member', username: 'alice' });
  // A resource for the resource endpoints to find (the registered targets declare no kind yet, so it cannot be added through them).
  resourceId = (await f.store.transaction((tx) => tx.insertResource({ accountId: alice.id, kind: 'database', name: 'alice_main', host: 'shell', settings: {}, createdAt: '2026-03-01T12:00:00.000Z', updatedAt: '2026-03-01T12:00:00.000Z' }))).id;
  const u = await f.request('POST', '/scim/v2/Users', { token: f.tokens.scim, body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'Dora@example.org' } });
  scimUserId = String(((await u.json()) as { id: string | number }).id);
  const g = await f.request('POST', '/scim/v2/Groups', { token: f.tokens.scim, body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Ops' } });
  scimGroupId = String(((await g.json()) as { id: string | number }).id);
});

afterAll(async () => {
  await f.cleanup();
});

describe('authorization matrix', () => {
  it('covers every REST route and the SCIM resource endpoints', () => {
    expect(f.server.routes.length).toBeGreaterThanOrEqual(35);
  });

  it('refuses without side effects, and admits the roles each endpoint names', async () => {
    const problems: string[] = [];
    let denials = 0;
    let admissions = 0;
    for (const e of endpoints()) {
      // Denials first: an admitted call may change what later calls find.
      const ordered = [...CALLERS].sort((a, b) => Number(expectation(e, a) === 'allowed') - Number(expectation(e, b) === 'allowed'));
      for (const caller of ordered) {
        const want = expectation(e, caller);
        const before = want === 'allowed' ? '' : await snapshot();
        const res = await f.request(e.method, e.path, { token: tokenOf(caller), ...(e.body === undefined ? {} : { body: e.body }) });
        const label = `${e.method} ${e.path} as ${caller}: ${res.status}`;
        if (want === 'allowed') {
          admissions++;
          if (res.status === 401 || res.status === 403 || res.status === 429) problems.push(`${label}, expected to be admitted`);
          continue;
        }
        denials++;
        if (res.status !== want) problems.push(`${label}, expected ${want}`);
        const text = await res.text();
        const isScim = e.path.startsWith('/scim/');
        const shaped = isScim ? text.includes('urn:ietf:params:scim:api:messages:2.0:Error') : res.headers.get('content-type') === 'application/problem+json';
        if (!shaped) problems.push(`${label}: not a ${isScim ? 'SCIM Error' : 'problem+json'} body`);
        if (want === 401 && res.headers.get('www-authenticate') === null) problems.push(`${label}: no WWW-Authenticate`);
        if ((await snapshot()) !== before) problems.push(`${label}: the refused request changed something`);
      }
    }
    expect(problems).toEqual([]);
    expect(denials).toBeGreaterThan(300);
    expect(admissions).toBeGreaterThan(80);
  }, 120_000);

  it('answers SCIM discovery without a token', async () => {
    for (const path of ['/scim/v2/ServiceProviderConfig', '/scim/v2/ResourceTypes', '/scim/v2/Schemas', '/api/v1/openapi.json']) {
      expect((await f.request('GET', path, { token: null })).status, path).toBe(200);
    }
  });
});
