import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePamService, pamListfileLine } from '../src/targets/login/login-check.js';
import { doctorTestRoot, type DoctorTestRoot } from '../src/doctor/doctor-test-root.js';
import { readPamService } from '../src/doctor/read-pam-service.js';
import { inMountNamespace, userLines } from './in-mount-namespace.js';

const LIST = '/etc/security/roster-frozen.users';
const LINE = pamListfileLine(LIST);
const UNIX = 'account [success=1 new_authtok_reqd=done default=ignore] pam_unix.so';
const DENY = 'account requisite pam_deny.so';
const PERMIT = 'account required pam_permit.so';

/**
 * The doctor's verdict on a PAM stack against real PAM's (DESIGN.md §8):
 * pamtester runs the account stack for a listed user in a mount namespace
 * where the stack, the list and the user are bound into /etc. "ok" must
 * mean PAM refuses the user; "fail" that it lets the user in.
 */
describe('the PAM check agrees with pamtester', () => {
  let t: DoctorTestRoot;
  beforeAll(async () => {
    t = await doctorTestRoot();
    await t.put(LIST, 'rdoctor-frozen\n');
    const users = userLines([{ name: 'rdoctor-frozen', uid: 61531 }]);
    await t.put('/etc/passwd', users.passwd);
    await t.put('/etc/shadow', users.shadow, 0o640);
    await t.put('/etc/group', users.group);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const layouts: ReadonlyArray<readonly [string, readonly string[], readonly string[], 'ok' | 'fail']> = [
    ['before the include', [LINE, '@include roster-doctor-common'], [UNIX, DENY, PERMIT], 'ok'],
    ['at the end of the included file', ['@include roster-doctor-common'], [UNIX, DENY, PERMIT, LINE], 'ok'],
    ['where a success=2 jump passes it', ['@include roster-doctor-common'], ['account [success=2 default=ignore] pam_unix.so', DENY, LINE, PERMIT], 'fail'],
    ['after a sufficient module', ['account sufficient pam_permit.so', LINE, '@include roster-doctor-common'], [UNIX, DENY, PERMIT], 'fail'],
  ];

  it.each(layouts)('line %s', async (_name, service, common, verdict) => {
    await t.put('/etc/pam.d/roster-doctor-test', `${service.join('\n')}\n`);
    await t.put('/etc/pam.d/roster-doctor-common', `${common.join('\n')}\n`);
    const read = await readPamService(t.root, 'roster-doctor-test');
    if (read === null) throw new Error('the test service is missing');
    expect(evaluatePamService({ check: 'pam' }, t.root, read, LIST).status).toBe(verdict);

    const binds = ['/etc/pam.d/roster-doctor-test', '/etc/pam.d/roster-doctor-common', LIST, '/etc/passwd', '/etc/shadow', '/etc/group'].map((p) => ({ from: join(t.root, p), to: p }));
    const r = await inMountNamespace(t.dir, binds, ['pamtester', 'roster-doctor-test', 'rdoctor-frozen', 'acct_mgmt']);
    if (verdict === 'ok') expect(r.code, r.stderr).not.toBe(0);
    else expect(r.code, r.stderr).toBe(0);
  });
});
