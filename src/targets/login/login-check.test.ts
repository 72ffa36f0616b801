import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loginConfigSchema } from './login-config.js';
import { doctorTestRoot, type DoctorTestRoot } from '../../doctor/doctor-test-root.js';
import type { DoctorCheck } from '../../doctor/doctor-check.js';
import { loginCheck, pamListfileLine } from './login-check.js';

const LIST = '/etc/security/roster-frozen.users';
const LINE = pamListfileLine(LIST);

// Debian 12's own stacks, cut to the lines that matter here.
const COMMON_ACCOUNT = [
  'account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so',
  'account\trequisite\t\t\tpam_deny.so',
  'account\trequired\t\t\tpam_permit.so',
];
const SSHD = ['@include common-auth', 'account    required     pam_nologin.so', '@include common-account', '@include common-session'];
const LOGIN = ['auth       optional   pam_faildelay.so  delay=3000000', '@include common-auth', '@include common-account', '@include common-session'];
const SU = ['auth       sufficient pam_rootok.so', '@include common-auth', '@include common-account', '@include common-session'];

const YAML = `timeZone: UTC
types: { member: { hosts: { live: [shell] } } }
hosts: { shell: { targets: { login: {} } } }
`;

describe('login check (PAM refuses the login list)', () => {
  let t: DoctorTestRoot;
  beforeEach(async () => {
    t = await doctorTestRoot();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function run(files: Readonly<Record<string, readonly string[]>>, list: { mode: number } | null = { mode: 0o644 }): Promise<DoctorCheck[]> {
    for (const [name, lines] of Object.entries(files)) await t.put(`/etc/pam.d/${name}`, `${lines.join('\n')}\n`);
    if (list !== null) await t.put(LIST, 'frozen1\n', list.mode);
    const loaded = await t.config(YAML);
    return [...(await loginCheck(t.target(loaded, await t.system()), loginConfigSchema.parse({})))];
  }

  const pam = (checks: readonly DoctorCheck[]): DoctorCheck[] => checks.filter((c) => c.check === 'pam');

  it('fails each login service without the pam_listfile line, with the line to add as the fix', async () => {
    const checks = pam(await run({ sshd: SSHD, login: LOGIN, su: SU, 'common-account': COMMON_ACCOUNT }));
    expect(checks.map((c) => c.status)).toEqual(['fail', 'fail', 'fail']);
    expect(checks[0]?.message).toBe(`${t.root}/etc/pam.d/sshd does not refuse the accounts listed in ${LIST}`);
    expect(checks[0]?.fix).toBe(`add this line to ${t.root}/etc/pam.d/sshd before "@include common-account": ${LINE}`);
  });

  it('passes a service with the line before its @include common-account', async () => {
    const checks = pam(await run({ sshd: [...SSHD.slice(0, 2), LINE, ...SSHD.slice(2)], login: LOGIN, 'common-account': COMMON_ACCOUNT }));
    expect(checks.map((c) => [c.status, c.message])).toEqual([
      ['ok', `${t.root}/etc/pam.d/sshd refuses the accounts listed in ${LIST}`],
      ['fail', `${t.root}/etc/pam.d/login does not refuse the accounts listed in ${LIST}`],
    ]);
  });

  it('passes every service through common-account when the line ends that file', async () => {
    const checks = pam(await run({ sshd: SSHD, login: LOGIN, su: SU, 'common-account': [...COMMON_ACCOUNT, LINE] }));
    expect(checks.map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    expect(checks[2]?.message).toBe(`${t.root}/etc/pam.d/su refuses the accounts listed in ${LIST} (through ${t.root}/etc/pam.d/common-account)`);
  });

  it('fails a line that pam_unix success=1 jumps over (between pam_unix and pam_deny)', async () => {
    const account = [COMMON_ACCOUNT[0] ?? '', LINE, ...COMMON_ACCOUNT.slice(1)];
    const [sshd] = pam(await run({ sshd: SSHD, 'common-account': account }));
    expect(sshd?.status).toBe('fail');
    expect(sshd?.message).toContain(`"account [success=1 new_authtok_reqd=done default=ignore] pam_unix.so" in ${t.root}/etc/pam.d/common-account can end the account stack with success or jump over it, so PAM may never run it`);
    expect(sshd?.fix).toBe(`move the pam_listfile line in ${t.root}/etc/pam.d/common-account above that rule`);
  });

  it('fails a line after a sufficient module', async () => {
    const [sshd] = pam(await run({ sshd: ['account sufficient pam_localuser.so', LINE, '@include common-account'], 'common-account': COMMON_ACCOUNT }));
    expect(sshd?.status).toBe('fail');
    expect(sshd?.message).toContain('"account sufficient pam_localuser.so"');
  });

  it('fails sense=allow and a line only in the auth stack, each with its fix', async () => {
    const allow = LINE.replace('sense=deny', 'sense=allow');
    const checks = pam(await run({ sshd: [allow, '@include common-account'], login: [LINE.replace(/^account/, 'auth'), '@include common-account'], 'common-account': COMMON_ACCOUNT }));
    expect(checks[0]).toMatchObject({ status: 'fail', fix: `replace that line in ${t.root}/etc/pam.d/sshd with: ${LINE}` });
    expect(checks[0]?.message).toContain('sense=allow');
    expect(checks[1]).toMatchObject({ status: 'fail' });
    expect(checks[1]?.message).toContain('only in the auth stack');
  });

  it('fails when no login service is there at all', async () => {
    const checks = pam(await run({}));
    expect(checks).toHaveLength(1);
    expect(checks[0]?.status).toBe('fail');
    expect(checks[0]?.message).toContain(`none of the PAM services sshd, login, su is in ${t.root}/etc/pam.d`);
  });

  it('checks the list file: 0644 passes, world-writable fails, missing warns', async () => {
    const good = (await run({ sshd: [LINE, '@include common-account'], 'common-account': COMMON_ACCOUNT })).find((c) => c.check === 'login list');
    expect(good).toMatchObject({ status: 'ok' });
    await t.cleanup();
    t = await doctorTestRoot();
    const writable = (await run({ sshd: [LINE] }, { mode: 0o666 })).find((c) => c.check === 'login list');
    expect(writable).toMatchObject({ status: 'fail', fix: `chmod 0644 ${t.root}${LIST}` });
    await t.cleanup();
    t = await doctorTestRoot();
    const missing = (await run({ sshd: [LINE] }, null)).find((c) => c.check === 'login list');
    expect(missing).toMatchObject({ status: 'warn', fix: `roster apply --host shell --root ${t.root}` });
  });
});
