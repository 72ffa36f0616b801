/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- response bodies are `Json` (any): tests read them field by field and expect() checks each */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SERVER_TEST_CONFIG, serverFixture, type ServerFixture } from './server-fixture.js';

/** The SCIM mapping of DESIGN.md §5, end to end through /scim/v2. */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const EXT = 'urn:ietf:params:scim:schemas:extension:roster:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

let f: ServerFixture;

async function scim(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await f.request(method, `/scim/v2${path}`, { token: token ?? f.tokens.scim, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Json), headers: res.headers };
}

async function rest(method: string, path: string, body?: unknown): Promise<Json> {
  const res = await f.request(method, `/api/v1${path}`, body === undefined ? {} : { body });
  return (await res.json()) as Json;
}

function user(userName: string, more: Json = {}): Json {
  return { schemas: [USER], userName, name: { givenName: 'Jane', familyName: 'Doe' }, emails: [{ value: 'jane@example.edu', type: 'work', primary: true }], ...more };
}

async function create(userName: string, more: Json = {}): Promise<Json> {
  const r = await scim('POST', '/Users', user(userName, more));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

beforeEach(async () => {
  f = await serverFixture();
});
afterEach(async () => {
  await f.cleanup();
});

describe('SCIM Users', () => {
  it('creates one account per user, its person from name and emails, its username from userName', async () => {
    const r = await scim('POST', '/Users', user('Jane.Doe@Example.edu', { externalId: 'ext-1', displayName: 'Jane D.', phoneNumbers: [{ value: '555', type: 'work' }] }));
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toBe('application/scim+json');
    expect(r.headers.get('location')).toBe(`http://127.0.0.1/scim/v2/Users/${r.body.id as string}`);
    expect(r.body).toMatchObject({ userName: 'Jane.Doe@Example.edu', externalId: 'ext-1', active: true, displayName: 'Jane D.', phoneNumbers: [{ value: '555', type: 'work' }] });
    expect(r.body[EXT]).toMatchObject({ username: 'janedoe', accountType: 'staff', uidNumber: 10000, gidNumber: 10000, homeDirectory: '/home/janedoe', loginShell: '/bin/bash', state: 'active', holds: [] });
    const account = await rest('GET', '/accounts/janedoe');
    expect(account).toMatchObject({ type: 'staff', gecos: 'Jane Doe' });
    const person = await rest('GET', `/people/${encodeURIComponent(account.personId as string)}`);
    expect(person).toMatchObject({ source: 'scim', firstName: 'Jane', lastName: 'Doe', emails: { WORK: 'jane@example.edu' } });
    // The extension may name the username and the type; an e-mail-less userName that is not a valid name falls back to a suggestion.
    expect((await create('x', { name: { givenName: 'Søren', familyName: 'Vette' }, [EXT]: { username: 'soren-v', accountType: 'member' } }))[EXT]).toMatchObject({ username: 'soren-v', accountType: 'member' });
    expect((await create('emp1', { name: { givenName: 'Darl', familyName: 'Employee' } }))[EXT].username).toBe('demployee');
  });

  it('keeps userName unique without regard to case: 409 in the SCIM error shape', async () => {
    await create('UserName123');
    const dup = await scim('POST', '/Users', user('username123'));
    expect(dup).toMatchObject({ status: 409, body: { schemas: [ERROR], status: '409', scimType: 'uniqueness' } });
    expect(dup.body.detail).toContain('already in use');
    const missing = await scim('GET', '/Users/999');
    expect(missing).toMatchObject({ status: 404, body: { schemas: [ERROR], status: '404' } });
    expect((await scim('POST', '/Users', { schemas: [USER], displayName: 'no userName' })).body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    expect((await scim('POST', '/Users', '{"userName": tru')).body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
  });

  it('maps active to the freeze:scim hold only: an admin freeze stays, and shows in the extension', async () => {
    const u = await create('jane');
    const off = await scim('PATCH', `/Users/${u.id as string}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    // A plain-JSON PATCH answers 204 (as Microsoft's reference implementation); SCIM clients get the resource (test/scim-idp.int.test.ts).
    expect(off.status).toBe(204);
    expect((await rest('GET', '/accounts/jane')).holds.map((h: Json) => `${h.kind}:${h.reason}`)).toEqual(['freeze:scim']);
    await rest('POST', '/accounts/jane/freeze', { reason: 'security' });
    const on = await scim('PUT', `/Users/${u.id as string}`, user('jane', { active: true }));
    expect(on.body).toMatchObject({ active: true, [EXT]: { state: 'disabled', holds: ['freeze:security'] } });
    const withAdminFreeze = await scim('GET', `/Users/${u.id as string}`);
    expect(withAdminFreeze.body.active).toBe(true);
    // Billing or admin freezes never show as active=false, so an IdP does not fight them.
    await rest('POST', '/accounts/jane/unfreeze', { reason: 'security' });
    expect((await scim('GET', `/Users/${u.id as string}`)).body[EXT].state).toBe('active');
  });

  it('retires on DELETE (404 afterwards), and a POST with the same userName before the purge brings the same account back', async () => {
    const u = await create('Returning@example.org');
    expect((await scim('DELETE', `/Users/${u.id as string}`)).status).toBe(204);
    expect((await scim('GET', `/Users/${u.id as string}`)).status).toBe(404);
    expect((await scim('DELETE', `/Users/${u.id as string}`)).status).toBe(404);
    expect((await scim('GET', '/Users')).body.totalResults).toBe(0);
    expect(await rest('GET', '/accounts/returning')).toMatchObject({ state: 'disabled', purgeAt: '2026-03-31T00:00:00.000Z', holds: [{ kind: 'retired' }] });
    f.clock.advanceDays(10);
    const back = await scim('POST', '/Users', user('RETURNING@example.org'));
    expect(back.status).toBe(201);
    expect(back.body).toMatchObject({ id: u.id, userName: 'RETURNING@example.org', [EXT]: { uidNumber: u[EXT].uidNumber, state: 'active' } });
    expect(await rest('GET', '/accounts/returning')).toMatchObject({ state: 'active', purgeAt: null, holds: [] });
  });

  it('comes back from the tombstone with the same username and UID after a purge', async () => {
    const u = await create('gone@example.org');
    await scim('DELETE', `/Users/${u.id as string}`);
    f.clock.advanceDays(31);
    await rest('POST', '/purge', {});
    expect((await rest('GET', '/accounts/gone')).state).toBe('purged');
    const back = await scim('POST', '/Users', user('gone@example.org'));
    expect(back.body).toMatchObject({ id: u.id, [EXT]: { username: 'gone', uidNumber: u[EXT].uidNumber, state: 'active' } });
  });

  it('purges on DELETE when scim.onDelete is purge', async () => {
    await f.cleanup();
    f = await serverFixture({ yaml: SERVER_TEST_CONFIG.replace('scim: { accountType: staff }', 'scim: { accountType: staff, onDelete: purge }') });
    const u = await create('quick');
    expect((await scim('DELETE', `/Users/${u.id as string}`)).status).toBe(204);
    expect((await rest('GET', '/accounts/quick')).state).toBe('purged');
  });

  it('applies PATCH add, replace and remove, updating the person and GECOS', async () => {
    const u = await create('pat', { displayName: 'Pat' });
    const r = await scim('PATCH', `/Users/${u.id as string}?attributes=userName,name,displayName,emails`, {
      schemas: [PATCH],
      Operations: [
        { op: 'replace', path: 'name.givenName', value: 'Patricia' },
        { op: 'add', path: 'emails', value: [{ value: 'pat@home.example', type: 'home' }] },
        { op: 'remove', path: 'displayName' },
        { op: 'replace', value: { userName: 'Patricia@example.org' } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ userName: 'Patricia@example.org', name: { givenName: 'Patricia', familyName: 'Doe' } });
    expect(r.body.emails).toHaveLength(2);
    expect(r.body.displayName).toBe('Patricia Doe');
    const account = await rest('GET', '/accounts/pat');
    expect(account.gecos).toBe('Patricia Doe');
    expect((await rest('GET', `/people/${encodeURIComponent(account.personId as string)}`)).emails).toEqual({ WORK: 'jane@example.edu', HOME: 'pat@home.example' });
    const renamed = await scim('PATCH', `/Users/${u.id as string}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: `${EXT}:username`, value: 'other' }] });
    expect(renamed.body).toMatchObject({ status: '400', scimType: 'mutability' });
  });

  it('filters with eq, co, sw, and/or and gt on meta dates, pages and projects attributes', async () => {
    await create('Alpha@example.com', { name: { givenName: 'A', familyName: 'Employee' }, externalId: 'e-1' });
    f.clock.advanceDays(1);
    await create('beta@example.org', { name: { givenName: 'B', familyName: 'Employee' } });
    await create('gamma@example.net', { name: { givenName: 'G', familyName: 'Other' } });
    const total = async (filter: string): Promise<number> => (await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`)).body.totalResults as number;
    expect(await total('userName eq "ALPHA@example.com"')).toBe(1);
    expect(await total('externalId eq "e-1"')).toBe(1);
    expect(await total('externalId eq "E-1"')).toBe(0);
    expect(await total('userName sw "b"')).toBe(1);
    expect(await total('userName co "example"')).toBe(3);
    expect(await total('name.familyName eq "Employee" and (userName co ".com" or userName co ".org")')).toBe(2);
    expect(await total('meta.created gt "2026-03-01T18:00:00Z"')).toBe(2);
    expect(await total(`${EXT}:username eq "beta"`)).toBe(1);
    expect((await scim('GET', '/Users?filter=%28userName%20eq%20%22x%22')).body).toMatchObject({ status: '400', scimType: 'invalidFilter' });
    const page = await scim('GET', '/Users?startIndex=2&count=1&attributes=userName');
    expect(page.body).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    // schemas and id are always returned (RFC 7643 §3.1).
    expect(page.body.Resources[0]).toEqual({ schemas: [USER, EXT], id: expect.any(String), userName: 'beta@example.org' });
    expect((await scim('GET', '/Users?count=0')).body).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
    expect(Object.keys((await scim('GET', '/Users?excludedAttributes=emails,name')).body.Resources[0])).not.toContain('emails');
  });

  it('shows accounts made outside SCIM with their username as userName', async () => {
    await rest('POST', '/people', { id: 'P1', firstName: 'Ann', lastName: 'Lee', roles: ['MEMBER'] });
    await rest('POST', '/accounts', { personId: 'P1', type: 'member', username: 'annlee' });
    const list = await scim('GET', '/Users?filter=userName%20eq%20%22ANNLEE%22');
    expect(list.body.Resources[0]).toMatchObject({ userName: 'annlee', active: true, [EXT]: { accountType: 'member' } });
    expect((await scim('POST', '/Users', user('annlee'))).status).toBe(409);
  });
});

describe('SCIM Groups', () => {
  it('are Roster groups: members are accounts, the GID is the id, and deletion spares what roster.yaml declares', async () => {
    const a = await create('a@example.org');
    const b = await create('b@example.org');
    const g = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Ops Team', members: [{ value: a.id, display: 'Ann' }] });
    expect(g.status).toBe(201);
    expect(g.body).toMatchObject({ displayName: 'Ops Team', members: [{ value: a.id, display: 'Ann' }], 'urn:ietf:params:scim:schemas:extension:roster:2.0:Group': { groupName: 'ops-team' } });
    expect(g.body.id).toBe(String(g.body['urn:ietf:params:scim:schemas:extension:roster:2.0:Group'].gidNumber));
    const id = g.body.id as string;
    await scim('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: b.id, displayName: 'Bea' }, { value: 'no-such-user' }] }] });
    expect((await rest('GET', '/groups/ops-team')).members).toEqual(['a', 'b']);
    const shown = await scim('GET', `/Groups/${id}`);
    expect(shown.body.members.map((m: Json) => m.display)).toEqual(['Ann', 'Bea']);
    await scim('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${a.id as string}"]` }] });
    expect((await rest('GET', '/groups/ops-team')).members).toEqual(['b']);
    expect((await scim('PUT', `/Groups/${id}`, { schemas: [GROUP], displayName: 'Operations', members: [] })).body).toMatchObject({ displayName: 'Operations', members: [] });
    expect((await scim('GET', '/Groups?filter=displayName%20eq%20%22operations%22')).body.totalResults).toBe(1);
    expect((await scim('GET', `/Groups/${id}?excludedAttributes=members`)).body).not.toHaveProperty('members');
    expect((await scim('DELETE', `/Groups/${id}`)).status).toBe(204);
    expect((await scim('GET', `/Groups/${id}`)).status).toBe(404);
    // members is declared in roster.yaml (and used by the member type): not SCIM's to delete.
    await rest('POST', '/people', { id: 'P1', firstName: 'Ann', lastName: 'Lee', roles: ['MEMBER'] });
    await rest('POST', '/accounts', { personId: 'P1', type: 'member' });
    const members = (await scim('GET', '/Groups?filter=displayName%20eq%20%22members%22')).body.Resources[0] as Json;
    expect((await scim('DELETE', `/Groups/${members.id as string}`)).status).toBe(409);
  });
});

describe('SCIM discovery and limits', () => {
  it('describes Users and Groups with the Roster extensions', async () => {
    const types = await scim('GET', '/ResourceTypes', undefined, '');
    expect(types.body.Resources.map((r: Json) => r.endpoint)).toEqual(['/Users', '/Groups']);
    expect(types.body.Resources[0].schemaExtensions.map((e: Json) => e.schema)).toContain(EXT);
    expect((await scim('GET', '/ServiceProviderConfig')).body).toMatchObject({ patch: { supported: true }, filter: { supported: true }, bulk: { supported: false } });
    const schemas = await scim('GET', '/Schemas');
    expect(schemas.body.Resources.map((s: Json) => s.id)).toEqual(expect.arrayContaining([USER, GROUP, EXT]));
  });

  it('refuses bodies over the limit with 413 in the SCIM shape, and unknown endpoints with 404', async () => {
    const big = await scim('POST', '/Users', user('big', { displayName: 'x'.repeat(2_000_000) }));
    expect(big).toMatchObject({ status: 413, body: { schemas: [ERROR], status: '413' } });
    expect((await scim('GET', '/Bulk')).body).toMatchObject({ status: '404' });
    expect((await scim('GET', '/Users', undefined, f.tokens.operator)).body).toMatchObject({ status: '403' });
  });
});
