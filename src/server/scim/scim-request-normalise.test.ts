import SCIMMY from 'scimmy';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalisePatch, normaliseResource } from './scim-request-normalise.js';
import { configureScimmy, ENTERPRISE_USER_SCHEMA } from './scim-setup.js';

beforeAll(() => configureScimmy(1000));

describe('SCIM requests as identity providers send them', () => {
  it('reads booleans sent as strings wherever the schema has a boolean, and leaves other strings alone', () => {
    const body = {
      userName: 'x',
      active: 'True',
      roles: [{ primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }],
      emails: [{ value: 'a@b.org', primary: 'false' }],
      title: 'True',
    };
    expect(normaliseResource(body, SCIMMY.Schemas.User.definition)).toEqual({
      userName: 'x',
      active: true,
      roles: [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }],
      emails: [{ value: 'a@b.org', primary: false }],
      title: 'True',
    });
    expect(normaliseResource({ active: 'maybe' }, SCIMMY.Schemas.User.definition)).toEqual({ active: 'maybe' });
  });

  it('drops the schemas member of an extension object, and reads a manager sent as its id', () => {
    const body = { userName: 'x', [ENTERPRISE_USER_SCHEMA]: { schemas: [ENTERPRISE_USER_SCHEMA], department: 'IT', manager: '26118915' } };
    expect(normaliseResource(body, SCIMMY.Schemas.User.definition)).toEqual({ userName: 'x', [ENTERPRISE_USER_SCHEMA]: { department: 'IT', manager: { value: '26118915' } } });
  });

  it('reads PatchOp values by the attribute their path names', () => {
    const body = {
      Operations: [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'add', path: 'members', value: 'id-1' },
        { op: 'add', path: 'members', value: [{ value: '2', displayName: 'Bea' }] },
        { op: 'replace', value: { active: 'true' } },
      ],
    };
    expect(normalisePatch(body, SCIMMY.Schemas.Group.definition)).toEqual({
      Operations: [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'add', path: 'members', value: [{ value: 'id-1' }] },
        { op: 'add', path: 'members', value: [{ value: '2', display: 'Bea' }] },
        { op: 'replace', value: { active: 'true' } },
      ],
    });
    const user = {
      Operations: [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'replace', value: { active: 'true' } },
        { op: 'Add', path: 'roles', value: [{ primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }] },
        { op: 'Replace', path: 'emails[type eq "work"].primary', value: 'True' },
        { op: 'Add', path: `${ENTERPRISE_USER_SCHEMA}:manager`, value: '26118915' },
        { op: 'add', path: ENTERPRISE_USER_SCHEMA, value: { schemas: [ENTERPRISE_USER_SCHEMA], department: 'Ops' } },
        { op: 'add', path: 'noSuchAttribute', value: 'True' },
      ],
    };
    expect(normalisePatch(user, SCIMMY.Schemas.User.definition)).toEqual({
      Operations: [
        { op: 'Replace', path: 'active', value: false },
        { op: 'replace', value: { active: true } },
        { op: 'Add', path: 'roles', value: [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }] },
        { op: 'Replace', path: 'emails[type eq "work"].primary', value: true },
        { op: 'Add', path: `${ENTERPRISE_USER_SCHEMA}:manager`, value: { value: '26118915' } },
        { op: 'add', path: ENTERPRISE_USER_SCHEMA, value: { department: 'Ops' } },
        { op: 'add', path: 'noSuchAttribute', value: 'True' },
      ],
    });
  });

  it('refuses, in the words scimmy uses, the operations scimmy would trip over', () => {
    const P = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
    expect(() => normalisePatch({ schemas: [P], Operations: [{ op: 'add', path: 'nickName', value: 'x' }, null] }, SCIMMY.Schemas.User.definition)).toThrow(
      expect.objectContaining({ status: 400, scimType: 'invalidSyntax', message: "PatchOp request body expected value type 'complex' for operation 2 but found type 'null'" }),
    );
    expect(() => normalisePatch({ schemas: [P], Operations: [{ op: 'Replace', value: null }] }, SCIMMY.Schemas.User.definition)).toThrow(expect.objectContaining({ status: 400, scimType: 'invalidValue' }));
    // A null value with a path clears the attribute (RFC 7644 §3.5.2.3): not refused.
    expect(normalisePatch({ schemas: [P], Operations: [{ op: 'replace', path: 'nickName', value: null }] }, SCIMMY.Schemas.User.definition)).toEqual({ schemas: [P], Operations: [{ op: 'replace', path: 'nickName', value: null }] });
  });
});
