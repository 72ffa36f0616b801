import SCIMMY from 'scimmy';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../domain/account.js';
import type { Person } from '../../domain/person.js';
import { configureScimmy, ROSTER_USER_SCHEMA } from './scim-setup.js';
import { userInputFrom, userJsonText, userResource } from './scim-user-mapping.js';

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
  const now = new Date('2026-01-05T00:00:00Z');
  const resource = userResource({ account, person, scim }, now);

  it('shows active as the freeze:scim hold only, and the Unix account in the Roster extension, never the hash', () => {
    expect(resource).toMatchObject({ id: '7', userName: 'Jane.Doe@Example.edu', externalId: 'ext-7', active: false, meta: { lastModified: '2026-01-03T00:00:00.000Z' } });
    expect(resource[ROSTER_USER_SCHEMA]).toMatchObject({ username: 'janedoe', uidNumber: 10_007, state: 'disabled', holds: ['freeze:scim'], purgeAt: '2026-02-01T00:00:00.000Z' });
    expect(JSON.stringify(resource)).not.toContain('$y$');
  });

  it('writes the same body as scimmy makes without a projection', () => {
    const viaScimmy = JSON.parse(JSON.stringify(new SCIMMY.Schemas.User(resource, 'out', 'http://h/scim/v2/Users'))) as unknown;
    expect(JSON.parse(userJsonText({ account, person, scim }, now, 'http://h/scim/v2/Users'))).toEqual(viaScimmy);
  });

  it('writes the members in the order the body has always had', () => {
    expect(userJsonText({ account, person, scim }, now, 'http://h/scim/v2/Users')).toBe(
      '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:roster:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"7","externalId":"ext-7",' +
        '"meta":{"resourceType":"User","created":"2026-01-02T03:04:05.000Z","lastModified":"2026-01-03T00:00:00.000Z","location":"http://h/scim/v2/Users/7"},' +
        '"displayName":"Jane","name":{"formatted":"Jane Doe","givenName":"Jane","familyName":"Doe"},"addresses":[{"country":"Germany","type":"work"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"IT"},' +
        '"userName":"Jane.Doe@Example.edu","active":false,"emails":[{"value":"jane@example.edu","type":"work","primary":true}],' +
        '"urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"username":"janedoe","accountType":"staff","uidNumber":10007,"gidNumber":10007,"homeDirectory":"/home/janedoe","loginShell":"/bin/bash","state":"disabled","holds":["freeze:scim"],"purgeAt":"2026-02-01T00:00:00.000Z","personId":"scim:1","roles":["STAFF"],"classes":[],"campuses":[],"majors":[]}}',
    );
    expect(userJsonText({ account: { ...account, holds: [] }, person: undefined, scim: undefined }, now, 'http://h/scim/v2/Users')).toBe(
      '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:roster:2.0:User"],"id":"7",' +
        '"meta":{"resourceType":"User","created":"2026-01-02T03:04:05.000Z","lastModified":"2026-01-02T03:04:05.000Z","location":"http://h/scim/v2/Users/7"},' +
        '"userName":"janedoe","active":true,"name":{},"displayName":"Jane Doe","emails":[],' +
        '"urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"username":"janedoe","accountType":"staff","uidNumber":10007,"gidNumber":10007,"homeDirectory":"/home/janedoe","loginShell":"/bin/bash","state":"active","holds":[],"purgeAt":"2026-02-01T00:00:00.000Z","personId":"scim:1"}}',
    );
  });

  it('keeps what the IdP sent under array-index names and Roster\'s names where an object would have them', () => {
    const sent = { ...scim, externalId: null, attributes: { title: 'Boss', '7': 'seven', externalId: 'sent', userName: 'sent' } };
    const text = userJsonText({ account, person, scim: sent }, now, 'http://h/scim/v2/Users');
    expect(text).toMatch(/^\{"7":"seven","schemas":\[[^\]]*\],"id":"7","externalId":"sent","meta":\{[^}]*\},"title":"Boss","userName":"Jane.Doe@Example.edu","active":false,"name":/);
  });

  it('reads a request: extension fields, what the IdP sent besides, and active by default', () => {
    const input = userInputFrom({ userName: 'x', name: { givenName: 'A' }, emails: [{ value: 'a@b.org', type: 'work', primary: true }], title: 'Boss', id: '9', meta: {}, [ROSTER_USER_SCHEMA]: { username: 'ax', uidNumber: 5, roles: ['STAFF'] } });
    expect(input).toMatchObject({ userName: 'x', active: true, givenName: 'A', username: 'ax', roles: ['STAFF'], emails: [{ value: 'a@b.org', type: 'work', primary: true }] });
    expect(input.attributes).toEqual({ name: { givenName: 'A' }, emails: [{ value: 'a@b.org', type: 'work', primary: true }], title: 'Boss' });
  });
});
