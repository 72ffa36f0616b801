import SCIMMY from 'scimmy';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../domain/account.js';
import type { Person } from '../../domain/person.js';
import { configureScimmy, ROSTER_USER_SCHEMA } from './scim-setup.js';
import { userInputFrom, userJson, userResource } from './scim-user-mapping.js';

const T0 = '2026-01-02T03:04:05.000Z';
const account: Account = {
  id: 7,
  personId: 'scim:1',
  type: 'staff',
  username: 'janedoe',
  uid: 10_007,
  gid: 10_007,
  primaryGroup: 'janedoe',
  gecos: 'Jane Doe',
  shell: '/bin/bash',
  home: '/home/janedoe',
  passwordHash: '$y$secret',
  principal: null,
  groups: [],
  holds: [{ kind: 'freeze', reason: 'scim', since: T0, note: null, setBy: 'token:1(scim)' }],
  expiresAt: null,
  purgeAt: '2026-02-01T00:00:00.000Z',
  purgedAt: null,
  pending: false,
  createdAt: T0,
  updatedAt: T0,
};
const person: Person = { id: 'scim:1', source: 'scim', firstName: 'Jane', lastName: 'Doe', roles: ['STAFF'], classes: [], campuses: [], majors: [], emails: { WORK: 'jane@example.edu' }, verification: {}, createdAt: T0, updatedAt: T0 };

beforeAll(() => configureScimmy(1000));

describe('SCIM User mapping', () => {
  const scim = {
    accountId: 7,
    userName: 'Jane.Doe@Example.edu',
    externalId: 'ext-7',
    deletedAt: null,
    attributes: { displayName: 'Jane', name: { formatted: 'Jane Doe', givenName: 'Jane', familyName: 'Doe' }, addresses: [{ country: 'Germany', type: 'work' }], 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'IT' } },
    createdAt: T0,
    updatedAt: '2026-01-03T00:00:00.000Z',
  };
  const resource = userResource({ account, person, scim }, new Date('2026-01-05T00:00:00Z'));

  it('shows active as the freeze:scim hold only, and the Unix account in the Roster extension, never the hash', () => {
    expect(resource).toMatchObject({ id: '7', userName: 'Jane.Doe@Example.edu', externalId: 'ext-7', active: false, meta: { lastModified: '2026-01-03T00:00:00.000Z' } });
    expect(resource[ROSTER_USER_SCHEMA]).toMatchObject({ username: 'janedoe', uidNumber: 10_007, state: 'disabled', holds: ['freeze:scim'], purgeAt: '2026-02-01T00:00:00.000Z' });
    expect(JSON.stringify(resource)).not.toContain('$y$');
  });

  it('builds the same body as scimmy does without a projection', () => {
    const viaScimmy = JSON.parse(JSON.stringify(new SCIMMY.Schemas.User(resource, 'out', 'http://h/scim/v2/Users'))) as unknown;
    expect(JSON.parse(JSON.stringify(userJson(resource, 'http://h/scim/v2/Users')))).toEqual(viaScimmy);
  });

  it('reads a request: extension fields, what the IdP sent besides, and active by default', () => {
    const input = userInputFrom({ userName: 'x', name: { givenName: 'A' }, emails: [{ value: 'a@b.org', type: 'work', primary: true }], title: 'Boss', id: '9', meta: {}, [ROSTER_USER_SCHEMA]: { username: 'ax', uidNumber: 5, roles: ['STAFF'] } });
    expect(input).toMatchObject({ userName: 'x', active: true, givenName: 'A', username: 'ax', roles: ['STAFF'], emails: [{ value: 'a@b.org', type: 'work', primary: true }] });
    expect(input.attributes).toEqual({ name: { givenName: 'A' }, emails: [{ value: 'a@b.org', type: 'work', primary: true }], title: 'Boss' });
  });
});
