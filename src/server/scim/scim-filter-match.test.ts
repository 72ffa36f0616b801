import SCIMMY from 'scimmy';
import { describe, expect, it } from 'vitest';
import { matchesFilter } from './scim-filter-match.js';

const jane = {
  id: '7',
  externalId: 'Ext-1',
  userName: 'Jane.Doe@Example.edu',
  active: false,
  name: { givenName: 'Jane', familyName: 'Employee' },
  emails: [
    { value: 'jane@gmail.com', type: 'home' },
    { value: 'jane@example.com', type: 'work', primary: true },
  ],
  meta: { created: '2026-01-02T03:04:05.000Z', lastModified: '2026-02-03T04:05:06.000Z' },
  'urn:ietf:params:scim:schemas:extension:roster:2.0:User': { username: 'janedoe', uidNumber: 10001, holds: ['freeze:scim'] },
};

function matches(filter: string): boolean {
  return matchesFilter(new SCIMMY.Types.Filter(filter), jane);
}

describe('matchesFilter', () => {
  it.each([
    ['userName eq "jane.doe@example.EDU"', true],
    ['UserName eq "jane.doe@example.edu"', true],
    ['userName sw "jane"', true],
    ['userName ew "@example.edu"', true],
    ['userName co "DOE"', true],
    ['userName eq "jane"', false],
    ['externalId eq "ext-1"', false],
    ['externalId eq "Ext-1"', true],
    ['id eq "7"', true],
    ['active eq false', true],
    ['active eq "False"', true],
    ['active eq true', false],
    ['name.familyName eq Employee and (emails.value co example.com or emails.value co example.org)', true],
    ['name.familyName eq Employee and emails.value co example.org', false],
    ['emails[type eq "work" and value co "example.com"]', true],
    ['emails[type eq "home" and value co "example.com"]', false],
    ['meta.created gt 2015-10-10T14:38:21.8617979-07:00', true],
    ['meta.lastModified lt "2026-01-01T00:00:00Z"', false],
    ['title pr', false],
    ['name pr', true],
    ['not (userName eq "x")', true],
    ['urn:ietf:params:scim:schemas:extension:roster:2.0:User:username eq "janedoe"', true],
    ['urn:ietf:params:scim:schemas:extension:roster:2.0:User:uidNumber gt 10000', true],
    ['urn:ietf:params:scim:schemas:extension:roster:2.0:User:holds eq "freeze:scim"', true],
  ])('%s → %s', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });
});
