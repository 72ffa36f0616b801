import { chown, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { doctorTestRoot, type DoctorTestRoot } from '../doctor-test-root.js';
import type { DoctorCheck } from '../doctor-check.js';
import { hmacKeyCheck } from './hmac-key-check.js';

const KEY = `${'ab'.repeat(32)}\n`;

describe('HMAC key check (mode and owner)', () => {
  let t: DoctorTestRoot;
  let keyPath: string;
  beforeEach(async () => {
    t = await doctorTestRoot();
    keyPath = `${t.dir}/roster.hmac-key`;
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function run(env: NodeJS.ProcessEnv = {}, yaml = 'timeZone: UTC\ntypes: { member: {} }\n'): Promise<DoctorCheck[]> {
    return [...(await hmacKeyCheck(t.global(await t.config(yaml), await t.system({ env }))))];
  }

  it('passes a 0600 key owned by the running user', async () => {
    await writeFile(keyPath, KEY, { mode: 0o600 });
    expect(await run()).toEqual([{ check: 'hmac key', status: 'ok', message: `${keyPath} is readable by its owner only (mode 0600, uid ${process.getuid?.() ?? -1})` }]);
  });

  it('fails a 0644 key with the chmod to run', async () => {
    await writeFile(keyPath, KEY, { mode: 0o644 });
    expect(await run()).toEqual([{ check: 'hmac key', status: 'fail', message: `${keyPath} is readable or writable by others than its owner (mode 0644)`, fix: `chmod 0600 ${keyPath}` }]);
  });

  it.runIf(process.getuid?.() === 0)('passes, for root, a private key owned by the user the server runs as', async () => {
    await writeFile(keyPath, KEY, { mode: 0o600 });
    await chown(keyPath, 65534, 65534);
    expect(await run()).toEqual([{ check: 'hmac key', status: 'ok', message: `${keyPath} is readable by its owner only (mode 0600, uid 65534)` }]);
  });

  it.runIf(process.getuid?.() === 0)('fails a key owned by another user for a user other than root', async () => {
    await writeFile(keyPath, KEY, { mode: 0o600 });
    await chown(keyPath, 65534, 65534);
    const checks = [...(await hmacKeyCheck(t.global(await t.config('timeZone: UTC\ntypes: { member: {} }\n'), { ...(await t.system({ env: {} })), uid: 1234 })))];
    expect(checks).toMatchObject([{ status: 'fail', message: `${keyPath} belongs to uid 65534, not to the user running Roster (uid 1234)`, fix: `chown 1234 ${keyPath}` }]);
  });

  it('fails a key too short to be one', async () => {
    await writeFile(keyPath, 'abc\n', { mode: 0o600 });
    expect((await run())[0]).toMatchObject({ status: 'fail', message: `${keyPath} does not hold a key of at least 32 hex characters` });
  });

  it('warns on a missing key, fails it when a source imports verification attributes, and skips the file with ROSTER_HMAC_KEY', async () => {
    expect(await run()).toMatchObject([{ status: 'warn', fix: `(umask 077 && openssl rand -hex 32 > ${keyPath})` }]);
    const verifying = `timeZone: UTC
types: { student: {} }
sources:
  school:
    columns: { id: id, firstName: first, lastName: last, verification: { birth_date: born } }
    types: { STUDENT: [student] }
`;
    expect(await run({}, verifying)).toMatchObject([{ status: 'fail', message: `${keyPath} does not exist, and sources school import verification attributes, which need it` }]);
    expect(await run({ ROSTER_HMAC_KEY: 'x'.repeat(40) })).toMatchObject([{ status: 'ok', message: 'the key comes from ROSTER_HMAC_KEY (the key file is not read)' }]);
  });
});
