/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- response bodies are `Json` (any): tests read them field by field and expect() checks each */
import Database from 'better-sqlite3';
import { copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';
import { startServe, stopChild, type ServeProcess } from './serve-process.js';

/**
 * SCIM as identity providers send it (RFC 7643/7644), against a real
 * `roster serve`: each request is the one Microsoft Entra ID, Okta or an
 * RFC reader sends, headers included (Entra ID and Okta send
 * application/scim+json; Microsoft's SCIM test collection plain JSON).
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ROSTER_USER = 'urn:ietf:params:scim:schemas:extension:roster:2.0:User';
const ROSTER_GROUP = 'urn:ietf:params:scim:schemas:extension:roster:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SCIM_JSON = 'application/scim+json';

let sb: RosterSandbox;
let serve: ServeProcess;
let token: string;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Json;
}

async function call(method: string, path: string, o: { readonly body?: unknown; readonly contentType?: string; readonly accept?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (o.accept !== undefined) headers.accept = o.accept;
  if (o.body !== undefined) headers['content-type'] = o.contentType ?? SCIM_JSON;
  const url = path.startsWith('http') ? path : `${serve.url}/scim/v2${path}`;
  const res = await fetch(url, { method, headers, ...(o.body === undefined ? {} : { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Json) };
}

/** Entra ID's POST /Users (its provisioning documentation); a user with no app role assigned sends an empty roles list. */
function entraUser(userName: string, more: Json = {}): Json {
  return {
    schemas: [USER, ENTERPRISE],
    externalId: `ext-${userName}`,
    userName,
    active: true,
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Ada Lovelace', familyName: 'Lovelace', givenName: 'Ada' },
    roles: [],
    ...more,
  };
}

async function createUser(userName: string, more: Json = {}): Promise<Json> {
  const r = await call('POST', '/Users', { body: entraUser(userName, more) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

beforeAll(async () => {
  sb = await rosterSandbox();
  await copyFile(resolve(import.meta.dirname, 'fixtures/scim-conformance.roster.yaml'), join(sb.dir, 'roster.yaml'));
  const created = await sb.run(['token', 'create', '--role', 'scim', '--expires', '1h']);
  expect(created.code, created.stderr).toBe(0);
  token = created.stdout.trim();
  serve = await startServe(sb);
}, 60_000);

afterAll(async () => {
  /* eslint-disable @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed before starting them */
  await stopChild(serve?.child);
  await sb?.cleanup();
  /* eslint-enable @typescript-eslint/no-unnecessary-condition */
});

describe('SCIM discovery', () => {
  it('answers GET /ResourceTypes/User and /ResourceTypes/Group, and every meta.location is an address that answers with that resource', async () => {
    const user = await call('GET', '/ResourceTypes/User', { accept: SCIM_JSON });
    expect(user.status).toBe(200);
    expect(user.body).toMatchObject({ id: 'User', name: 'User', endpoint: '/Users', schema: USER, meta: { resourceType: 'ResourceType', location: `${serve.url}/scim/v2/ResourceTypes/User` } });
    expect(user.body.schemaExtensions.map((e: Json) => e.schema)).toEqual([ROSTER_USER, ENTERPRISE]);
    const group = await call('GET', '/ResourceTypes/Group');
    expect(group.status).toBe(200);
    expect(group.body).toMatchObject({ id: 'Group', endpoint: '/Groups', schema: GROUP, meta: { location: `${serve.url}/scim/v2/ResourceTypes/Group` } });

    const resources = [
      ...(await call('GET', '/ResourceTypes')).body.Resources,
      ...(await call('GET', '/Schemas')).body.Resources,
      (await call('GET', '/ServiceProviderConfig')).body,
    ] as Json[];
    expect(resources).toHaveLength(2 + 5 + 1);
    for (const r of resources) {
      const location = r.meta.location as string;
      expect(location.startsWith(`${serve.url}/scim/v2/`), location).toBe(true);
      const fetched = await call('GET', location);
      expect(fetched.status, location).toBe(200);
      expect(fetched.body).toEqual(r);
    }
  });

  it("says readOnly for what Roster computes, and stores every attribute of its extensions it calls writable", async () => {
    const schema = (await call('GET', `/Schemas/${ROSTER_USER}`)).body;
    const mutability = Object.fromEntries((schema.attributes as Json[]).map((a) => [a.name, a.mutability]));
    for (const computed of ['uidNumber', 'gidNumber', 'homeDirectory', 'loginShell', 'state', 'holds', 'expiresAt', 'purgeAt', 'personId']) expect(mutability[computed], computed).toBe('readOnly');
    // Every other attribute is written by a client and must come back as sent.
    const sent: Json = { username: 'lovelace', accountType: 'staff', roles: ['STAFF'], classes: ['1a'], campuses: ['north'], majors: ['maths'] };
    expect(Object.keys(mutability).filter((n) => mutability[n] !== 'readOnly').sort()).toEqual(Object.keys(sent).sort());
    const created = await createUser('writable@example.org', { [ROSTER_USER]: sent });
    expect(created[ROSTER_USER]).toMatchObject(sent);
    expect((await call('GET', `/Users/${created.id as string}`)).body[ROSTER_USER]).toMatchObject(sent);

    // The person fields are a SCIM person's: for a person another source owns, a change is refused, not dropped.
    expect((await sb.run(['person', 'add', '--id', 'M1', '--first', 'Mary', '--last', 'Somerville', '--role', 'STAFF'])).code).toBe(0);
    expect((await sb.run(['account', 'create', 'M1', '--type', 'staff', '--username', 'msomer'])).code).toBe(0);
    const manual = (await call('GET', `/Users?filter=${encodeURIComponent('userName eq "msomer"')}`)).body.Resources[0] as Json;
    const foreign = await call('PUT', `/Users/${manual.id as string}`, { body: { schemas: [USER, ROSTER_USER], userName: 'msomer', [ROSTER_USER]: { roles: ['STUDENT'] } } });
    expect(foreign).toMatchObject({ status: 400, body: { scimType: 'mutability', detail: expect.stringContaining('roster source manual') } });
    const same = await call('PUT', `/Users/${manual.id as string}`, { body: { schemas: [USER, ROSTER_USER], userName: 'msomer', [ROSTER_USER]: { roles: ['STAFF'] } } });
    expect(same.status, JSON.stringify(same.body)).toBe(200);

    const groupSchema = (await call('GET', `/Schemas/${ROSTER_GROUP}`)).body;
    expect(Object.fromEntries((groupSchema.attributes as Json[]).map((a) => [a.name, a.mutability]))).toEqual({ groupName: 'immutable', gidNumber: 'readOnly' });

    // A read-only attribute a client tries to change is refused, not dropped: holds as the others.
    const holds = await call('PATCH', `/Users/${created.id as string}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: `${ROSTER_USER}:holds`, value: ['freeze:none'] }] } });
    expect(holds).toMatchObject({ status: 400, body: { schemas: [ERROR], scimType: 'mutability' } });
    const uid = await call('PATCH', `/Users/${created.id as string}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${ROSTER_USER}:uidNumber`, value: 1 }] } });
    expect(uid).toMatchObject({ status: 400, body: { scimType: 'mutability' } });
  });
});

describe('attributes and excludedAttributes', () => {
  it('accept sub-attributes and fully qualified names, core and extension, on a single resource and on a list', async () => {
    const u = await createUser('Ada.Attr@example.org', { [ENTERPRISE]: { department: 'Engines', employeeNumber: '1815' } });
    const id = u.id as string;
    const wanted = ['emails.value', 'name.givenName', `${USER}:userName`, `${ROSTER_USER}:uidNumber`, `${ENTERPRISE}:department`].join(',');
    const one = await call('GET', `/Users/${id}?attributes=${encodeURIComponent(wanted)}`);
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body).toEqual({
      schemas: [USER, ROSTER_USER, ENTERPRISE],
      id,
      userName: 'Ada.Attr@example.org',
      name: { givenName: 'Ada' },
      emails: [{ value: 'Ada.Attr@example.org' }],
      [ROSTER_USER]: { uidNumber: u[ROSTER_USER].uidNumber },
      [ENTERPRISE]: { department: 'Engines' },
    });
    // Okta's look-up before a create, projected.
    const list = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "Ada.Attr@example.org"')}&startIndex=1&count=100&attributes=${encodeURIComponent(`${USER}:name.givenName,emails.value`)}`);
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.Resources).toEqual([{ schemas: [USER, ROSTER_USER, ENTERPRISE], id, name: { givenName: 'Ada' }, emails: [{ value: 'Ada.Attr@example.org' }] }]);

    const unwanted = ['emails.value', 'name.givenName', `${USER}:displayName`, `${ROSTER_USER}:holds`, `${ENTERPRISE}:employeeNumber`].join(',');
    const rest = await call('GET', `/Users/${id}?excludedAttributes=${encodeURIComponent(unwanted)}`);
    expect(rest.status, JSON.stringify(rest.body)).toBe(200);
    expect(rest.body.emails).toEqual([{ type: 'work', primary: true }]);
    expect(rest.body.name).toEqual({ formatted: 'Ada Lovelace', familyName: 'Lovelace' });
    expect(rest.body).not.toHaveProperty('displayName');
    expect(rest.body[ROSTER_USER]).not.toHaveProperty('holds');
    expect(rest.body[ROSTER_USER]).toHaveProperty('uidNumber');
    expect(rest.body[ENTERPRISE]).toEqual({ department: 'Engines' });
    const listed = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "Ada.Attr@example.org"')}&excludedAttributes=${encodeURIComponent(unwanted)}`);
    expect(listed.body.Resources[0]).toEqual(rest.body);

    // Entra's group look-up without members, and a group's members by sub-attribute.
    const g = await call('POST', '/Groups', { body: { schemas: [GROUP], displayName: 'Attribute Group', members: [{ value: id }] } });
    const groups = await call('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Attribute Group"')}`);
    expect(groups.body.Resources).toEqual([expect.not.objectContaining({ members: expect.anything() })]);
    expect((await call('GET', `/Groups/${g.body.id as string}?attributes=members.value,${encodeURIComponent(`${ROSTER_GROUP}:groupName`)}`)).body).toEqual({
      schemas: [GROUP, ROSTER_GROUP],
      id: g.body.id,
      members: [{ value: id }],
      [ROSTER_GROUP]: { groupName: 'attribute-group' },
    });
    // A name that is not an attribute path is a SCIM error, not a JavaScript one.
    const bad = await call('GET', `/Users/${id}?attributes=${encodeURIComponent('emails..value')}`);
    expect(bad).toMatchObject({ status: 400, body: { schemas: [ERROR], scimType: 'invalidSyntax', detail: 'attributes: "emails..value" is not an attribute name' } });
    // A value filter picks the values shown (Microsoft's test collection asks so); excluding by one is refused, not guessed at.
    const work = await call('GET', `/Users/${id}?attributes=${encodeURIComponent('emails[type eq "work"]')}`);
    expect(work.body.emails).toEqual([{ value: 'Ada.Attr@example.org', type: 'work', primary: true }]);
    expect((await call('GET', `/Users/${id}?attributes=${encodeURIComponent('emails[type eq "home"]')}`)).body).not.toHaveProperty('emails');
    const filtered = await call('GET', `/Users?excludedAttributes=${encodeURIComponent('emails[type eq "work"].value')}`);
    expect(filtered).toMatchObject({ status: 400, body: { scimType: 'invalidSyntax', detail: 'excludedAttributes: "emails[type eq "work"].value" is not an attribute name' } });
  });
});

describe('values identity providers really send', () => {
  it("accepts Entra's roles (booleans as strings, any type) and any type on x509Certificates", async () => {
    const u = await createUser('roles@example.org', { roles: [{ primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }] });
    expect(u.roles).toEqual([{ value: 'Admin', type: 'WindowsAzureActiveDirectoryRole', primary: true }]);
    const id = u.id as string;
    const patched = await call('PATCH', `/Users/${id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'roles', value: [{ primary: 'False', type: 'WindowsAzureActiveDirectoryRole', value: 'Reader' }] }] },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.roles).toEqual([
      { value: 'Admin', type: 'WindowsAzureActiveDirectoryRole', primary: true },
      { value: 'Reader', type: 'WindowsAzureActiveDirectoryRole', primary: false },
    ]);
    const put = await call('PUT', `/Users/${id}`, {
      body: { ...entraUser('roles@example.org'), x509Certificates: [{ value: 'MIIBIjANBgkq', type: 'signing', primary: 'True' }], roles: [{ value: 'Owner', type: 'AppRole', primary: 'false' }] },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.x509Certificates).toEqual([{ value: 'MIIBIjANBgkq', type: 'signing', primary: true }]);
    expect((await call('GET', `/Users/${id}`)).body.roles).toEqual([{ value: 'Owner', type: 'AppRole', primary: false }]);
    // A boolean that is no boolean is still refused.
    expect((await call('POST', '/Users', { body: entraUser('maybe@example.org', { active: 'maybe' }) })).body).toMatchObject({ status: '400', scimType: 'invalidValue' });
  });

  it('accepts an extension object carrying its own schemas member, in a PATCH value and a PUT body', async () => {
    const u = await createUser('ext@example.org');
    const id = u.id as string;
    const patched = await call('PATCH', `/Users/${id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: ENTERPRISE, value: { schemas: [ENTERPRISE], department: 'Research', costCenter: 'R1' } }, { op: 'replace', value: { [ENTERPRISE]: { schemas: [ENTERPRISE], division: 'Labs' } } }] },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body[ENTERPRISE]).toEqual({ department: 'Research', costCenter: 'R1', division: 'Labs' });
    const put = await call('PUT', `/Users/${id}`, { body: entraUser('ext@example.org', { [ENTERPRISE]: { schemas: [ENTERPRISE], department: 'Archive' }, [ROSTER_USER]: { schemas: [ROSTER_USER], roles: ['STAFF'] } }) });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body[ENTERPRISE]).toEqual({ department: 'Archive' });
    expect(put.body[ROSTER_USER].roles).toEqual(['STAFF']);
  });
});

describe('PATCH', () => {
  it('answers 200 with the resource, to which attributes applies', async () => {
    const u = await createUser('patch@example.org');
    const id = u.id as string;
    // Okta deactivates with a replace of the whole value.
    const off = await call('PATCH', `/Users/${id}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] } });
    expect(off.status).toBe(200);
    expect(off.headers.get('content-type')).toBe(SCIM_JSON);
    expect(off.body).toMatchObject({ id, userName: 'patch@example.org', active: false, meta: { location: `${serve.url}/scim/v2/Users/${id}` } });
    expect(off.body[ROSTER_USER].holds).toEqual(['freeze:scim']);
    // Entra ID's PATCH, its booleans as strings.
    const on = await call('PATCH', `/Users/${id}?attributes=active,${encodeURIComponent(`${ROSTER_USER}:holds`)}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'True' }, { op: 'Replace', path: 'name.givenName', value: 'Augusta' }] },
    });
    // Active again, the account has no holds: nothing of the extension is left to show.
    expect(on).toMatchObject({ status: 200, body: { schemas: [USER], id, active: true } });
    expect(Object.keys(on.body).sort()).toEqual(['active', 'id', 'schemas']);
    expect((await call('GET', `/Users/${id}`)).body.name.givenName).toBe('Augusta');
    // Okta renames a group by replacing its value.
    const g = await call('POST', '/Groups', { body: { schemas: [GROUP], displayName: 'Patch Group', members: [] } });
    const renamed = await call('PATCH', `/Groups/${g.body.id as string}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: g.body.id, displayName: 'Patch Group Renamed' } }] } });
    expect(renamed).toMatchObject({ status: 200, body: { id: g.body.id, displayName: 'Patch Group Renamed', [ROSTER_GROUP]: { groupName: 'patch-group' } } });
    const members = await call('PATCH', `/Groups/${g.body.id as string}?excludedAttributes=members`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: id }] }] } });
    expect(members.status).toBe(200);
    expect(members.body).not.toHaveProperty('members');
    // Microsoft's test collection sends plain JSON and checks for the reference implementation's 204; asked for attributes, it gets them.
    const plain = await call('PATCH', `/Users/${id}`, { contentType: 'application/json', body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Ada' }] } });
    expect(plain.status).toBe(204);
    expect((await call('PATCH', `/Users/${id}`, { contentType: 'application/json', accept: SCIM_JSON, body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Ada L.' }] } })).status).toBe(200);
    const projected = await call('PATCH', `/Users/${id}?attributes=displayName`, { contentType: 'application/json', body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'A. Lovelace' }] } });
    expect(projected).toMatchObject({ status: 200, body: { id, displayName: 'A. Lovelace' } });
  });
});

describe('Groups', () => {
  it('keep displayName as the identity provider sent it, and derive a unique Unix name unless the extension names one', async () => {
    const names: Array<[string, string]> = [
      ['Engineering Team - Platform Reliability (EMEA)', 'engineering-team-platform-relia'],
      ['8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', 'g8aa1a0c0-c4c3-4bc0-b4a5-2ef676'],
      ['Sales Team', 'sales-team'],
      ['sales team', 'sales-team-2'],
      ['SALES_TEAM', 'sales-team-3'],
      ['Équipe Développement', 'equipe-developpement'],
      ['!!!', 'group'],
    ];
    for (const [displayName, groupName] of names) {
      // Entra ID's POST /Groups: its own schema URN next to the core one.
      const r = await call('POST', '/Groups', {
        body: { schemas: [GROUP, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'], externalId: `ext-${groupName}`, displayName, meta: { resourceType: 'Group' } },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.displayName).toBe(displayName);
      expect(r.body[ROSTER_GROUP].groupName).toBe(groupName);
      expect(r.body.meta.lastModified >= r.body.meta.created).toBe(true);
      const back = await call('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${displayName}"`)}`);
      expect(back.body.Resources.map((g: Json) => g.displayName)).toContain(displayName);
    }
    const named = await call('POST', '/Groups', { body: { schemas: [GROUP, ROSTER_GROUP], displayName: 'Sales Team (named)', [ROSTER_GROUP]: { groupName: 'sales' } } });
    expect(named).toMatchObject({ status: 201, body: { displayName: 'Sales Team (named)', [ROSTER_GROUP]: { groupName: 'sales' } } });
    const taken = await call('POST', '/Groups', { body: { schemas: [GROUP, ROSTER_GROUP], displayName: 'Again', [ROSTER_GROUP]: { groupName: 'sales' } } });
    expect(taken.status).toBe(409);
    // A rename keeps the Unix name; the display name is taken as sent.
    const id = named.body.id as string;
    const renamed = await call('PUT', `/Groups/${id}`, { body: { schemas: [GROUP], displayName: 'Vertrieb & Marketing — DACH Region 2026', members: [] } });
    expect(renamed).toMatchObject({ status: 200, body: { displayName: 'Vertrieb & Marketing — DACH Region 2026', [ROSTER_GROUP]: { groupName: 'sales' } } });
  });
});

describe('unexpected failures', () => {
  it('answer a clean 500 naming the request, whose exception is logged under that id', async () => {
    const u = await createUser('fault@example.org');
    const db = new Database(join(sb.dir, 'roster.db'));
    try {
      // A store that fails under the server: its table gone.
      db.exec('ALTER TABLE scim_users RENAME TO scim_users_away');
      const r = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "fault@example.org"')}&startIndex=1&count=100`);
      expect(r.status).toBe(500);
      const requestId = r.headers.get('x-request-id') ?? '';
      expect(requestId).not.toBe('');
      expect(r.body).toEqual({ schemas: [ERROR], status: '500', detail: `an unexpected error occurred; it has been logged as request ${requestId}` });
      // Wherever the server logs (JSON lines or readable ones), the exception is there under the request's id.
      const log = (): string => `${serve.stdout()}${serve.stderr()}`;
      await expect.poll(log).toContain(requestId);
      const logged = log().slice(log().indexOf(requestId));
      expect(logged).toContain('scim_users');
    } finally {
      db.exec('ALTER TABLE scim_users_away RENAME TO scim_users');
      db.close();
    }
    expect((await call('GET', `/Users/${u.id as string}`)).status).toBe(200);
    // Malformed requests are the client's: 400, in words that are not JavaScript's.
    const broken = await call('POST', '/Users', { body: '{"userName": "x",' });
    expect(broken).toMatchObject({ status: 400, body: { scimType: 'invalidSyntax', detail: expect.stringMatching(/^the request body is not valid JSON/) } });
    expect(broken.headers.get('x-request-id')).not.toBeNull();
    const nullOp = await call('PATCH', `/Users/${u.id as string}`, { body: { schemas: [PATCH_OP], Operations: [null] } });
    expect(nullOp).toMatchObject({ status: 400, body: { scimType: 'invalidSyntax' } });
    const nullValue = await call('PATCH', `/Users/${u.id as string}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'add', value: null }] } });
    expect(nullValue).toMatchObject({ status: 400, body: { scimType: 'invalidValue' } });
    for (const detail of [broken, nullOp, nullValue].map((a) => a.body.detail as string)) expect(detail).not.toMatch(/Cannot |undefined|null to object|JSON at position|Unexpected/);
  });
});
