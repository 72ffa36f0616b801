import { describe, expect, it } from 'vitest';
import { routingPath } from './routing-path.js';

const at = (url: string): string => routingPath(new Request(`http://127.0.0.1${url}`));

describe('routingPath', () => {
  it('ignores a trailing slash and keeps the root', () => {
    expect(at('/scim/v2/Users/?filter=x')).toBe('/scim/v2/Users');
    expect(at('/api/v1/people/')).toBe('/api/v1/people');
    expect(at('/')).toBe('/');
  });

  it('matches SCIM endpoint names without regard to case, and nothing else', () => {
    expect(at('/scim/v2/users')).toBe('/scim/v2/Users');
    expect(at('/scim/v2/GROUPS/10001')).toBe('/scim/v2/Groups/10001');
    expect(at('/scim/v2/serviceproviderconfig')).toBe('/scim/v2/ServiceProviderConfig');
    expect(at('/scim/v2/Bogus')).toBe('/scim/v2/Bogus');
    expect(at('/api/v1/People')).toBe('/api/v1/People');
  });
});
