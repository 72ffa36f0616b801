import SCIMMY from 'scimmy';
import { beforeAll, describe, expect, it } from 'vitest';
import { RosterError } from '../../domain/errors.js';
import { scimErrorFrom, scimmy } from './scim-error.js';
import { configureScimmy } from './scim-setup.js';

beforeAll(() => configureScimmy(1000));

function logger(): { warnings: string[]; log: { info: (m: string) => void; warn: (m: string) => void } } {
  const warnings: string[] = [];
  return { warnings, log: { info: () => undefined, warn: (m: string) => warnings.push(m) } };
}

async function body(r: Response): Promise<Record<string, unknown>> {
  return (await r.json()) as Record<string, unknown>;
}

describe('SCIM errors', () => {
  it('answers a fault of the code with a 500 naming the request, and logs the exception under that id', async () => {
    const { warnings, log } = logger();
    let fault: unknown;
    try {
      const nothing = null as unknown as { op: string };
      fault = nothing.op;
    } catch (e) {
      fault = e;
    }
    const r = scimErrorFrom(fault, log, 'req-1');
    expect(r.status).toBe(500);
    const b = await body(r);
    expect(b).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '500', detail: 'an unexpected error occurred; it has been logged as request req-1' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^request req-1: SCIM: TypeError: Cannot read properties of null/);
  });

  it('keeps a fault a fault when scimmy wraps it in its own error type, and a Roster error of the 500 kind unshown', async () => {
    const { warnings, log } = logger();
    const wrapped = new SCIMMY.Types.Error(400, 'invalidValue', "Cannot convert undefined or null to object for 'add' op of operation 1 in PatchOp request body");
    expect(await body(scimErrorFrom(wrapped, log, 'req-2'))).toMatchObject({ status: '500', detail: expect.stringContaining('req-2') });
    const internal = new RosterError('internal', 'audit row 7: SQLITE_CORRUPT: database disk image is malformed');
    const r = scimErrorFrom(internal, log, 'req-3');
    expect(r.status).toBe(500);
    expect(JSON.stringify(await body(r))).not.toContain('SQLITE');
    expect(warnings.map((w) => w.slice(0, 14))).toEqual(['request req-2:', 'request req-3:']);
  });

  it("passes the client's mistakes through as 400 in scimmy's and Roster's words", async () => {
    const { warnings, log } = logger();
    let schemaError: unknown;
    try {
      scimmy(() => new SCIMMY.Schemas.User({ displayName: 'no userName' }, 'in'));
    } catch (e) {
      schemaError = e;
    }
    expect(await body(scimErrorFrom(schemaError, log, 'req-4'))).toMatchObject({ status: '400', scimType: 'invalidValue', detail: expect.stringContaining('userName') });
    const bad = new RosterError('bad_input', 'displayName must be 1 to 256 characters', [{ where: 'displayName', message: 'invalid' }]);
    expect(await body(scimErrorFrom(bad, log, 'req-5'))).toMatchObject({ status: '400', scimType: 'invalidValue', detail: 'displayName must be 1 to 256 characters (displayName: invalid)' });
    expect(warnings).toEqual([]);
  });

  it("takes scimType from the error's field, never from its message or issues", async () => {
    const { log } = logger();
    const taken = new RosterError('conflict', 'userName jdoe is already in use', [], { scimType: 'uniqueness' });
    expect(await body(scimErrorFrom(taken, log, 'req-6'))).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness', detail: 'userName jdoe is already in use' });
    const readOnly = new RosterError('bad_input', 'the account type cannot change', [{ where: 'accountType', message: 'read-only' }], { scimType: 'mutability' });
    expect(await body(scimErrorFrom(readOnly, log, 'req-7'))).toMatchObject({ status: '400', scimType: 'mutability' });
    const worded = new RosterError('conflict', 'uniqueness', [{ where: 'userName', message: 'uniqueness' }]);
    expect(await body(scimErrorFrom(worded, log, 'req-8'))).not.toHaveProperty('scimType');
  });
});
