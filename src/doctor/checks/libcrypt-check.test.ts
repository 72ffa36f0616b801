import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { doctorTestRoot, type DoctorTestRoot } from '../doctor-test-root.js';
import { libcryptCheck } from './libcrypt-check.js';

describe("libcrypt check (this machine's libcrypt)", () => {
  let t: DoctorTestRoot;
  beforeEach(async () => {
    t = await doctorTestRoot();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('hashes and verifies each scheme the crypt types configure', async () => {
    const loaded = await t.config(`timeZone: UTC
types:
  member: {}
  staff: { password: { scheme: sha512crypt } }
  robot: { auth: locked, password: { scheme: sha512crypt } }
`);
    expect(await libcryptCheck(t.global(loaded, await t.system()))).toEqual([
      { check: 'libcrypt', status: 'ok', message: 'libcrypt hashes and verifies yescrypt (types member)' },
      { check: 'libcrypt', status: 'ok', message: 'libcrypt hashes and verifies sha512crypt (types staff)' },
    ]);
  });

  it('needs nothing without crypt types', async () => {
    const loaded = await t.config('timeZone: UTC\ntypes: { robot: { auth: locked } }\n');
    expect(await libcryptCheck(t.global(loaded, await t.system()))).toMatchObject([{ status: 'ok', message: 'no account type has crypt passwords, so no hashing is needed' }]);
  });
});
