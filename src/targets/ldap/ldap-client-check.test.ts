import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DoctorCheck } from '../../doctor/doctor-check.js';
import { doctorTestRoot, type DoctorTestRoot } from '../../doctor/doctor-test-root.js';
import { ldapClientChecks, type LdapClientSettings } from './ldap-client-check.js';
import { NSLCD_ACCOUNT_LINE, NSLCD_AUTHZ_LINE } from './nslcd-client-check.js';
import { SSSD_ACCOUNT_LINE } from './sssd-client-check.js';

// Debian 12's stacks as pam-auth-update writes them with libpam-ldapd (its profile's account line is of the Additional kind, last) ...
const LDAPD_ACCOUNT = `account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so
account\trequisite\t\t\tpam_deny.so
account\trequired\t\t\tpam_permit.so
${NSLCD_ACCOUNT_LINE.replace(/^account /, 'account\t')}
`;
const LDAPD_AUTH = `auth\t[success=2 default=ignore]\tpam_unix.so nullok
auth\t[success=1 default=ignore]\tpam_ldap.so minimum_uid=1000 use_first_pass
auth\trequisite\t\t\tpam_deny.so
auth\trequired\t\t\tpam_permit.so
`;
// ... a pam_ldap account line of the Primary kind, as PADL's libpam-ldap profile wrote it: pam_unix's success jumps over it ...
const PRIMARY_ACCOUNT = `account\t[success=2 new_authtok_reqd=done default=ignore]\tpam_unix.so
account\t[success=1 default=ignore]\tpam_ldap.so minimum_uid=1000
account\trequisite\t\t\tpam_deny.so
account\trequired\t\t\tpam_permit.so
`;
// ... and Debian 12's with libpam-sss.
const SSS_ACCOUNT = `account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so
account\trequisite\t\t\tpam_deny.so
account\trequired\t\t\tpam_permit.so
account\tsufficient\t\t\tpam_localuser.so
${SSSD_ACCOUNT_LINE}
`;
const SSHD = '@include common-auth\naccount required pam_nologin.so\n@include common-account\n@include common-session\n';
const NSLCD = 'uid nslcd\ngid nslcd\nuri ldap://ldap.example.org/\nbase dc=example,dc=org\n';
const NSSWITCH = (shadow: string, passwd = 'files ldap'): string => `# /etc/nsswitch.conf\npasswd:         ${passwd}\ngroup:          files ldap\nshadow:         ${shadow}\nhosts: files dns\n`;
const SSSD = (domain: string): string => `[sssd]\nservices = nss, pam\ndomains = LDAP\n\n[domain/LDAP]\nid_provider = ldap\nauth_provider = ldap\nldap_uri = ldap://ldap.example.org\nldap_search_base = dc=example,dc=org\n${domain}`;

const BASE: LdapClientSettings = { usersDn: 'ou=people,dc=example,dc=org' };
const ALL: LdapClientSettings = { ...BASE, ppolicy: true, authorizedService: { sshd: 'login', imap: 'mail' } };

describe('ldap client checks (nslcd, SSSD and PAM honour the ldap target locks)', () => {
  let t: DoctorTestRoot;
  beforeEach(async () => {
    t = await doctorTestRoot();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function run(files: Readonly<Record<string, string>>, settings: LdapClientSettings = BASE): Promise<DoctorCheck[]> {
    for (const [path, text] of Object.entries(files)) await t.put(path, text, path.includes('sssd') || path.includes('nslcd') ? 0o600 : 0o644);
    const loaded = await t.config('timeZone: UTC\ntypes: { member: { hosts: { live: [shell] } } }\nhosts: { shell: { targets: {} } }\n');
    return ldapClientChecks(t.target(loaded, await t.system()), settings);
  }
  const at = (path: string): string => `${t.root}${path}`;
  const brief = (checks: readonly DoctorCheck[]): string[] => checks.map((c) => `${c.status} ${c.message}`);

  it('warns once when neither nslcd nor SSSD is set up, naming the locks nobody checks', async () => {
    const checks = await run({ '/etc/nsswitch.conf': NSSWITCH('files systemd', 'files systemd') }, ALL);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ check: 'ldap clients', host: 'shell', target: 'ldap', status: 'warn' });
    expect(checks[0]?.message).toContain('has passwd: files systemd');
    expect(checks[0]?.message).toContain('nothing here checks shadowExpire, pwdAccountLockedTime and authorizedService');
    expect(checks[0]?.fix).toContain('"shadow: files ldap"');
  });

  describe('nslcd', () => {
    it('fails shadowExpire on a Primary-kind pam_ldap stack when shadow does not ask ldap: pam_unix passes and jumps over pam_ldap', async () => {
      const files = { '/etc/nsswitch.conf': NSSWITCH('files'), '/etc/nslcd.conf': NSLCD, '/etc/pam.d/sshd': SSHD, '/etc/pam.d/common-account': PRIMARY_ACCOUNT };
      const checks = await run(files);
      expect(checks).toHaveLength(1);
      expect(checks[0]?.status).toBe('fail');
      expect(checks[0]?.message).toBe(
        `${at('/etc/pam.d/sshd')} lets a directory account with shadowExpire: 1 in: "account [success=2 new_authtok_reqd=done default=ignore] pam_unix.so" in ${at('/etc/pam.d/common-account')} accepts the account and can jump over pam_ldap.so, so its refusal never counts`,
      );
      expect(checks[0]?.fix).toBe(`set "shadow: files ldap" in ${at('/etc/nsswitch.conf')} (pam_unix then reads shadowExpire from nslcd), or add as the last account line of ${at('/etc/pam.d/sshd')} (or of the common-account it includes), as pam-auth-update does for libpam-ldapd: ${NSLCD_ACCOUNT_LINE}`);
    });

    it('passes shadowExpire with shadow: files ldap (pam_unix sees the expiry), for each installed login service', async () => {
      const files = { '/etc/nsswitch.conf': NSSWITCH('files ldap'), '/etc/nslcd.conf': NSLCD, '/etc/pam.d/sshd': SSHD, '/etc/pam.d/login': SSHD, '/etc/pam.d/common-account': PRIMARY_ACCOUNT };
      expect(brief(await run(files))).toEqual([
        `ok ${at('/etc/pam.d/sshd')} refuses a directory account with shadowExpire: 1 (auth_err from "account requisite pam_deny.so" in ${at('/etc/pam.d/common-account')})`,
        `ok ${at('/etc/pam.d/login')} refuses a directory account with shadowExpire: 1 (auth_err from "account requisite pam_deny.so" in ${at('/etc/pam.d/common-account')})`,
      ]);
    });

    it('passes shadowExpire without shadow: ldap on Debian 12\'s stack: its last line asks nslcd', async () => {
      const files = { '/etc/nsswitch.conf': NSSWITCH('files'), '/etc/nslcd.conf': NSLCD, '/etc/pam.d/common-account': LDAPD_ACCOUNT };
      const [check] = await run(files);
      expect(check?.status).toBe('ok');
      expect(check?.message).toBe(`${at('/etc/pam.d/common-account')} refuses a directory account with shadowExpire: 1 (acct_expired from "${NSLCD_ACCOUNT_LINE}" in ${at('/etc/pam.d/common-account')})`);
    });

    it('fails authorizedService without pam_authz_search, and on a Primary-kind stack even with it; Debian 12\'s stack enforces it', async () => {
      const base = { '/etc/nsswitch.conf': NSSWITCH('files ldap'), '/etc/pam.d/sshd': SSHD, '/etc/pam.d/common-account': PRIMARY_ACCOUNT, '/etc/pam.d/common-auth': LDAPD_AUTH };
      const settings = { ...BASE, authorizedService: { sshd: 'login', imap: 'mail' } };
      const without = (await run({ ...base, '/etc/nslcd.conf': NSLCD }, settings)).filter((c) => c.status !== 'ok');
      expect(without.map((c) => c.fix)).toEqual([`add to /etc/nslcd.conf: ${NSLCD_AUTHZ_LINE}`, `add as the last account line of ${at('/etc/pam.d/sshd')} (or of the common-account it includes), as pam-auth-update does for libpam-ldapd: ${NSLCD_ACCOUNT_LINE}`]);
      expect(without[0]?.message).toBe(`${at('/etc/nslcd.conf')} has no pam_authz_search testing authorizedService=$service, so nslcd lets a directory account into every service`);
      expect(without[1]?.message).toContain(`${at('/etc/pam.d/sshd')} lets a directory account with authorizedService without this service in: "account [success=2`);

      const withSearch = await run({ ...base, '/etc/nslcd.conf': `${NSLCD}${NSLCD_AUTHZ_LINE}\n` }, settings);
      expect(brief(withSearch.filter((c) => c.status !== 'ok'))).toHaveLength(1);
      expect(withSearch.find((c) => c.message.includes('checks authorizedService'))?.status).toBe('ok');

      const debian = await run({ ...base, '/etc/nslcd.conf': `${NSLCD}${NSLCD_AUTHZ_LINE}\n`, '/etc/pam.d/common-account': LDAPD_ACCOUNT }, settings);
      expect(debian.map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
      expect(debian[2]?.message).toBe(`${at('/etc/pam.d/sshd')} refuses a directory account with authorizedService without this service (perm_denied from "${NSLCD_ACCOUNT_LINE}" in ${at('/etc/pam.d/common-account')})`);
    });

    it('checks the ppolicy lock in the auth stack: pam_ldap binds as the user; a shared hash lets pam_unix decide (a warning)', async () => {
      const files = { '/etc/nsswitch.conf': NSSWITCH('files ldap'), '/etc/nslcd.conf': NSLCD, '/etc/pam.d/common-account': LDAPD_ACCOUNT, '/etc/pam.d/common-auth': LDAPD_AUTH };
      const good = (await run(files, { ...BASE, ppolicy: true })).filter((c) => c.message.includes('pwdAccountLockedTime'));
      expect(good.map((c) => c.status)).toEqual(['ok']);
      const shared = (await run({ ...files, '/etc/nslcd.conf': `${NSLCD}map shadow userPassword userPassword\n` }, { ...BASE, ppolicy: true })).filter((c) => c.message.includes('pwdAccountLockedTime'));
      expect(shared).toHaveLength(1);
      expect(shared[0]).toMatchObject({ status: 'warn', fix: `remove "map shadow userPassword …" from ${at('/etc/nslcd.conf')}, so passwords are checked by binding as the user` });
      expect(shared[0]?.message).toContain("the account stack's shadowExpire check still refuses it");
    });

    it('fails a missing nslcd.conf, and a base that does not hold usersDn', async () => {
      const missing = await run({ '/etc/nsswitch.conf': NSSWITCH('files ldap'), '/etc/pam.d/common-account': LDAPD_ACCOUNT });
      expect(brief(missing)).toEqual([`fail ${at('/etc/nsswitch.conf')} asks nslcd for accounts (passwd: … ldap), but ${at('/etc/nslcd.conf')} is missing`]);
      await t.cleanup();
      t = await doctorTestRoot();
      const elsewhere = await run({ '/etc/nsswitch.conf': NSSWITCH('files ldap'), '/etc/nslcd.conf': 'uri ldap://x/\nbase dc=example,dc=net\n', '/etc/pam.d/common-account': LDAPD_ACCOUNT });
      expect(elsewhere[0]).toMatchObject({ status: 'fail', fix: 'set in /etc/nslcd.conf: base ou=people,dc=example,dc=org' });
      expect(elsewhere[0]?.message).toContain('nslcd searches dc=example,dc=net');
    });

    it('warns when the stack refuses directory accounts even while active (nothing to judge)', async () => {
      const [check] = await run({ '/etc/nsswitch.conf': NSSWITCH('files ldap'), '/etc/nslcd.conf': NSLCD, '/etc/pam.d/common-account': 'account required pam_deny.so\n' });
      expect(check?.status).toBe('warn');
      expect(check?.message).toContain('refuses a directory account even while it is active (decided by "account required pam_deny.so"');
    });
  });

  describe('SSSD', () => {
    const pam = { '/etc/nsswitch.conf': NSSWITCH('files', 'files sss'), '/etc/pam.d/common-account': SSS_ACCOUNT };

    it('fails a domain without access_provider = ldap: SSSD then checks none of the locks', async () => {
      const checks = await run({ ...pam, '/etc/sssd/sssd.conf': SSSD('') }, ALL);
      expect(checks[0]).toMatchObject({ status: 'fail', fix: `set access_provider = ldap in [domain/LDAP] of ${at('/etc/sssd/sssd.conf')}` });
      expect(checks[0]?.message).toContain('access_provider = (unset: permit)');
    });

    it('says which ldap_access_order values each lock needs, with the whole line to write', async () => {
      const checks = await run({ ...pam, '/etc/sssd/sssd.conf': SSSD('access_provider = ldap\n') }, ALL);
      const fail = checks.filter((c) => c.status === 'fail');
      expect(fail).toHaveLength(1);
      expect(fail[0]?.message).toBe(`[domain/LDAP] of ${at('/etc/sssd/sssd.conf')} does not check shadowExpire (expire), pwdAccountLockedTime (ppolicy), authorizedService (authorized_service): ldap_access_order is unset (filter)`);
      expect(fail[0]?.fix).toBe(`add \`expire\` and \`ppolicy\` and \`authorized_service\` to ldap_access_order in [domain/LDAP] of ${at('/etc/sssd/sssd.conf')}: ldap_access_order = filter, expire, ppolicy, authorized_service, and ldap_account_expire_policy = shadow`);
    });

    it('passes a complete domain; a conf.d snippet overrides sssd.conf; lockout is a warning; expire needs the shadow policy', async () => {
      const order = 'access_provider = ldap\nldap_access_order = expire, lockout, authorized_service\nldap_account_expire_policy = shadow\n';
      const files = { ...pam, '/etc/sssd/sssd.conf': SSSD(order) };
      expect(brief(await run(files, ALL)).map((s) => s.split(' (')[0])).toEqual([
        `ok [domain/LDAP] of ${at('/etc/sssd/sssd.conf')} checks shadowExpire`,
        `warn [domain/LDAP] of ${at('/etc/sssd/sssd.conf')} checks pwdAccountLockedTime with lockout, which sssd-ldap(5) says ppolicy supersedes and may be removed`,
        `ok [domain/LDAP] of ${at('/etc/sssd/sssd.conf')} checks authorizedService`,
        `ok ${at('/etc/pam.d/common-account')} refuses a directory account with a lock SSSD refuses`,
      ]);
      const snippet = { ...files, '/etc/sssd/conf.d/50-roster.conf': '[domain/LDAP]\nldap_access_order = expire, ppolicy, authorized_service\nldap_account_expire_policy = ad\n' };
      const checks = await run(snippet, ALL);
      expect(checks.map((c) => c.status)).toEqual(['ok', 'fail', 'ok', 'ok', 'ok']);
      expect(checks[1]?.fix).toBe(`set ldap_account_expire_policy = shadow in [domain/LDAP] of ${at('/etc/sssd/sssd.conf')}`);
    });

    it('fails a PAM stack without pam_sss in the account stack', async () => {
      const order = 'access_provider = ldap\nldap_access_order = expire\nldap_account_expire_policy = shadow\n';
      const checks = await run({ ...pam, '/etc/sssd/sssd.conf': SSSD(order), '/etc/pam.d/common-account': SSS_ACCOUNT.replace(/.*pam_sss.*\n/, '') });
      const last = checks.at(-1);
      expect(last?.status).toBe('fail');
      expect(last?.message).toContain('its account stack has no pam_sss.so line');
      expect(last?.fix).toContain(SSSD_ACCOUNT_LINE);
    });

    it('fails an sssd.conf with no ldap domain', async () => {
      const checks = await run({ ...pam, '/etc/sssd/sssd.conf': '[sssd]\ndomains = files\n[domain/files]\nid_provider = files\n' });
      expect(brief(checks)).toEqual([`fail ${at('/etc/sssd/sssd.conf')} has no domain with id_provider = ldap among its domains (files), so SSSD reads no accounts from the directory`]);
    });
  });
});
