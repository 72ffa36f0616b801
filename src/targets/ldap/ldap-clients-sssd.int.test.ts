import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREEZE_BILLING, RETIRED, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import { startDirectoryClient, type DirectoryClient } from '../../../test/directory-client.js';
import { startSlapd, type SlapdServer } from '../../../test/daemons/slapd-server.js';
import type { DoctorCheck } from '../../doctor/doctor-check.js';
import type { DesiredAccount, DesiredHost } from '../../desired/desired-host.js';
import type { Hold } from '../../domain/account.js';
import { fixedClock } from '../../domain/clock.js';
import { applyPrepared } from '../../reconcile/apply-host-plan.js';
import { planDesired } from '../../reconcile/host-plan.js';
import type { TargetContext } from '../target.js';
import { ldapClientChecks } from './ldap-client-check.js';
import { ldapConfigSchema, type LdapConfig } from './ldap-config.js';
import { ldapTarget } from './ldap-target.js';
import { SSSD_ACCOUNT_LINE } from './sssd-client-check.js';

/**
 * SSSD's side of the ldap target: the settings sssd-ldap(5) names for each
 * lock, held against a real SSSD 2.8 (sssd-ldap) in a private mount
 * namespace reading a real slapd (ppolicy on), the entries written by the
 * target. Two SSSDs, one after the other, over the same directory: one with
 * `ldap_access_order = expire, ppolicy, authorized_service`, and one with
 * only `expire`, whose missing authorized_service the doctor reports and
 * pamtester shows as a way in. The PAM stacks ask pam_sss alone, with
 * Debian's own pam_sss account line: Debian's full stack puts pam_unix
 * first, which knows a directory account only through libnss-sss, and that
 * package's postinst edits the machine's /etc/nsswitch.conf, so the test
 * does without it (pam_sss asks SSSD's PAM responder directly).
 */

const PASSWORD = 'c0rrect horse';
const HASH = execFileSync('openssl', ['passwd', '-6', PASSWORD], { encoding: 'utf8' }).trim();

const COMMON_AUTH = `auth\t[success=1 default=ignore]\tpam_sss.so
auth\trequisite\t\t\tpam_deny.so
auth\trequired\t\t\tpam_permit.so
`;
const COMMON_ACCOUNT = `${SSSD_ACCOUNT_LINE}\naccount\trequired\t\t\tpam_permit.so\n`;
const SERVICE = '@include common-auth\n@include common-account\n';

const cleanups: Array<() => Promise<unknown>> = [];
let slapd: SlapdServer;
let dir: string;
let ctx: TargetContext;
let config: LdapConfig;

beforeAll(async () => {
  slapd = await startSlapd({ ppolicy: true });
  cleanups.push(() => slapd.stop());
  dir = await mkdtemp(join(tmpdir(), 'roster-ldap-sssd-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'ldap.password'), `${slapd.rootPassword}\n`, { mode: 0o600 });
  ctx = { root: dir, host: 'mail', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
  config = ldapConfigSchema.parse({
    url: slapd.url,
    bindDn: slapd.rootDn,
    bindPasswordFile: '/ldap.password',
    usersDn: slapd.peopleDn,
    groupsDn: slapd.groupsDn,
    ppolicy: true,
    authorizedService: { sshd: 'login', imap: 'mail' },
  });
}, 60_000);

afterAll(async () => {
  for (const undo of cleanups.reverse()) await undo();
});

/** A client root for SSSD whose [domain/LDAP] has these access settings; started, and stopped by afterAll. */
async function sssd(name: string, access: string): Promise<{ readonly root: string; readonly client: DirectoryClient }> {
  const root = join(dir, name);
  await mkdir(join(root, 'etc/pam.d'), { recursive: true });
  await mkdir(join(root, 'etc/sssd'), { recursive: true });
  await writeFile(join(root, 'etc/nsswitch.conf'), 'passwd: files sss\ngroup: files sss\nshadow: files\n');
  // ldap:// on loopback: SSSD refuses password binds without TLS unless told (the option is hidden, hence its name).
  // entry_cache_timeout = 0: SSSD judges a PAM request by the entry it fetched for an earlier one less than
  // pam_id_timeout (5 s) ago, so a freeze applied a moment before still let sshd in; with the defaults a
  // deployment sees a freeze take effect within those 5 s (tried by hand), and the test need not sleep.
  await writeFile(
    join(root, 'etc/sssd/sssd.conf'),
    `[sssd]\nservices = nss, pam\ndomains = LDAP\n\n[nss]\nmemcache_timeout = 0\n\n[domain/LDAP]\nid_provider = ldap\nauth_provider = ldap\nldap_uri = ${slapd.url}/\nldap_search_base = ${slapd.baseDn}\nldap_auth_disable_tls_never_use_in_production = true\nentry_cache_timeout = 0\ncache_credentials = false\n${access}`,
    { mode: 0o600 },
  );
  for (const [file, text] of Object.entries({ 'common-auth': COMMON_AUTH, 'common-account': COMMON_ACCOUNT, sshd: SERVICE, imap: SERVICE })) await writeFile(join(root, 'etc/pam.d', file), text);
  const client = await startDirectoryClient({ daemon: 'sssd', root, scratch: dir });
  cleanups.push(() => client.stop());
  return { root, client };
}

function host(accounts: readonly DesiredAccount[]): DesiredHost {
  return { ...fixtureHost(accounts), host: 'mail', groups: accounts.map((a) => ({ name: a.username, gid: a.gid, members: [] })) };
}

async function converge(accounts: readonly DesiredAccount[]): Promise<void> {
  const { outcomes } = await applyPrepared(ctx, await planDesired([{ target: ldapTarget, config }], host(accounts), ctx));
  expect(outcomes.filter((o) => o.status !== 'ok')).toEqual([]);
}

async function services(client: DirectoryClient, user: string, ...ops: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of ['sshd', 'imap']) out.push(`${name} ${(await client.pam(name, user, PASSWORD, ...ops)) ? 'ok' : 'refused'}`);
  return out;
}

const statuses = (checks: readonly DoctorCheck[]): string[] => checks.map((c) => `${c.status} ${c.message.replace(/ \(.*$/, '').replace(/^.* of \S+ /, '')}`);

describe('SSSD honours what the ldap target writes, with the access order the doctor asks for', () => {
  const erin = fixtureAccount('erin', 3201, { passwordField: HASH, gecos: 'Erin Example' });
  const held = (hold: Hold): DesiredAccount => ({ ...erin, holds: [hold], disabled: true });

  it('expire, ppolicy and authorized_service: a billing freeze refuses sshd and keeps imap, a retirement refuses both, and the doctor passes every lock', async () => {
    const access = `access_provider = ldap\nldap_access_order = expire, ppolicy, authorized_service\nldap_account_expire_policy = shadow\nldap_pwdlockout_dn = ${slapd.policyDn ?? ''}\n`;
    const { root, client } = await sssd('full', access);
    await converge([erin]);
    expect(await services(client, 'erin', 'authenticate', 'acct_mgmt')).toEqual(['sshd ok', 'imap ok']);

    await converge([held(FREEZE_BILLING)]);
    expect(await services(client, 'erin', 'authenticate', 'acct_mgmt')).toEqual(['sshd refused', 'imap ok']);

    await converge([held(RETIRED)]);
    expect(await services(client, 'erin', 'acct_mgmt')).toEqual(['sshd refused', 'imap refused']);

    await converge([erin]);
    expect(await services(client, 'erin', 'authenticate', 'acct_mgmt')).toEqual(['sshd ok', 'imap ok']);

    expect(statuses(await ldapClientChecks({ host: 'mail', root }, config))).toEqual([
      'ok checks shadowExpire',
      'ok checks pwdAccountLockedTime',
      'ok checks authorizedService',
      `ok ${root}/etc/pam.d/sshd refuses a directory account with a lock SSSD refuses`,
      `ok ${root}/etc/pam.d/imap refuses a directory account with a lock SSSD refuses`,
    ]);
    await client.stop();
  });

  it('expire alone: a retirement is refused by shadowExpire; the doctor fails authorized_service and ppolicy, and indeed sshd lets a billing-frozen account in', async () => {
    const { root, client } = await sssd('expire-only', 'access_provider = ldap\nldap_access_order = expire\nldap_account_expire_policy = shadow\n');
    await converge([held(FREEZE_BILLING)]);
    expect(await services(client, 'erin', 'authenticate', 'acct_mgmt')).toEqual(['sshd ok', 'imap ok']);
    await converge([held(RETIRED)]);
    expect(await services(client, 'erin', 'acct_mgmt')).toEqual(['sshd refused', 'imap refused']);
    await converge([erin]);

    const checks = await ldapClientChecks({ host: 'mail', root }, config);
    const failures = checks.filter((c) => c.status !== 'ok');
    expect(failures).toHaveLength(1);
    expect(failures[0]?.message).toBe(`[domain/LDAP] of ${root}/etc/sssd/sssd.conf does not check pwdAccountLockedTime (ppolicy), authorizedService (authorized_service): ldap_access_order is expire`);
    expect(failures[0]?.fix).toBe(`add \`ppolicy\` and \`authorized_service\` to ldap_access_order in [domain/LDAP] of ${root}/etc/sssd/sssd.conf: ldap_access_order = expire, ppolicy, authorized_service`);
    await client.stop();
  });

  it('ppolicy alone: a retirement is refused by pwdAccountLockedTime (the policy entry named); the doctor fails expire and authorized_service', async () => {
    const { root, client } = await sssd('ppolicy-only', `access_provider = ldap\nldap_access_order = ppolicy\nldap_pwdlockout_dn = ${slapd.policyDn ?? ''}\n`);
    await converge([held(FREEZE_BILLING)]);
    expect(await services(client, 'erin', 'acct_mgmt')).toEqual(['sshd ok', 'imap ok']);
    await converge([held(RETIRED)]);
    expect(await services(client, 'erin', 'acct_mgmt')).toEqual(['sshd refused', 'imap refused']);
    await converge([erin]);
    expect(await services(client, 'erin', 'acct_mgmt')).toEqual(['sshd ok', 'imap ok']);

    const failures = (await ldapClientChecks({ host: 'mail', root }, config)).filter((c) => c.status !== 'ok');
    expect(failures.map((c) => c.fix)).toEqual([`add \`expire\` and \`authorized_service\` to ldap_access_order in [domain/LDAP] of ${root}/etc/sssd/sssd.conf: ldap_access_order = ppolicy, expire, authorized_service, and ldap_account_expire_policy = shadow`]);
    await client.stop();
  });
});
