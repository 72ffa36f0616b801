import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREEZE_BILLING, RETIRED, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import { startSlapd, type SlapdServer } from '../../../test/daemons/slapd-server.js';
import { startDirectoryClient, type DirectoryClient } from '../../../test/directory-client.js';
import type { DesiredAccount, DesiredHost } from '../../desired/desired-host.js';
import { fixedClock } from '../../domain/clock.js';
import { applyPrepared } from '../../reconcile/apply-host-plan.js';
import { planDesired } from '../../reconcile/host-plan.js';
import type { TargetContext } from '../target.js';
import { ldapClientChecks } from './ldap-client-check.js';
import { ldapConfigSchema, type LdapConfig } from './ldap-config.js';
import { ldapTarget } from './ldap-target.js';
import { NSLCD_ACCOUNT_LINE, NSLCD_AUTHZ_LINE } from './nslcd-client-check.js';

/**
 * The clients' side of the ldap target (issue 13, "How it is verified"):
 * one slapd (ppolicy on) for this file, entries written by the target
 * through the real pipeline, and nslcd (libnss-ldapd, libpam-ldapd) in a
 * private mount namespace reading them, judged by getent and pamtester
 * inside that namespace. The client root holds Debian 12's own PAM stacks
 * as pam-auth-update writes them with libpam-ldapd (pam_ldap's account line
 * last, of the Additional kind), which `sshd` and `imap` include; `ftp` has
 * its pam_ldap account line of the Primary kind (PADL's libpam-ldap profile,
 * and many hand-written stacks), which pam_unix's success jumps over; and
 * `roster-unix` checks the account with pam_unix alone. The doctor's client
 * check then reads the very same files, and its verdicts are held against
 * what PAM did.
 */

const PASSWORD = 'c0rrect horse';
const HASH = execFileSync('openssl', ['passwd', '-6', PASSWORD], { encoding: 'utf8' }).trim();

const COMMON_AUTH = `auth\t[success=2 default=ignore]\tpam_unix.so nullok
auth\t[success=1 default=ignore]\tpam_ldap.so minimum_uid=1000 use_first_pass
auth\trequisite\t\t\tpam_deny.so
auth\trequired\t\t\tpam_permit.so
`;
const COMMON_ACCOUNT = `account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so
account\trequisite\t\t\tpam_deny.so
account\trequired\t\t\tpam_permit.so
${NSLCD_ACCOUNT_LINE.replace(/^account /, 'account\t')}
`;
const PRIMARY_ACCOUNT = `account\t[success=2 new_authtok_reqd=done default=ignore]\tpam_unix.so
account\t[success=1 default=ignore]\tpam_ldap.so minimum_uid=1000
account\trequisite\t\t\tpam_deny.so
account\trequired\t\t\tpam_permit.so
`;
const PAM_D: Readonly<Record<string, string>> = {
  'common-auth': COMMON_AUTH,
  'common-account': COMMON_ACCOUNT,
  sshd: '@include common-auth\n@include common-account\n',
  imap: '@include common-auth\n@include common-account\n',
  ftp: `@include common-auth\n${PRIMARY_ACCOUNT}`,
  'roster-unix': 'auth required pam_ldap.so\naccount required pam_unix.so\n',
};

/** What afterAll undoes: only what beforeAll got as far as making. */
const cleanups: Array<() => Promise<unknown>> = [];
let slapd: SlapdServer;
let dir: string;
let clientRoot: string;
let nslcd: DirectoryClient;
let ctx: TargetContext;
let shellConfig: LdapConfig;
let mailConfig: LdapConfig;

beforeAll(async () => {
  slapd = await startSlapd({ ppolicy: true });
  cleanups.push(() => slapd.stop());
  dir = await mkdtemp(join(tmpdir(), 'roster-ldap-clients-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const roster = join(dir, 'roster');
  await mkdir(join(roster, 'etc'), { recursive: true });
  await writeFile(join(roster, 'etc/ldap.password'), `${slapd.rootPassword}\n`, { mode: 0o600 });
  ctx = { root: roster, host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
  const common = { url: slapd.url, bindDn: slapd.rootDn, bindPasswordFile: '/etc/ldap.password', usersDn: slapd.peopleDn, groupsDn: slapd.groupsDn, ppolicy: true };
  shellConfig = ldapConfigSchema.parse(common);
  mailConfig = ldapConfigSchema.parse({ ...common, authorizedService: { sshd: 'login', imap: 'mail', ftp: 'login' } });

  clientRoot = join(dir, 'client');
  await mkdir(join(clientRoot, 'etc/pam.d'), { recursive: true });
  await writeFile(join(clientRoot, 'etc/nsswitch.conf'), 'passwd: files ldap\ngroup: files ldap\nshadow: files ldap\n');
  // Anonymous reads (the test slapd's ACL lets anyone read all but userPassword); no uid line, so nslcd stays root inside the namespace.
  await writeFile(join(clientRoot, 'etc/nslcd.conf'), `uri ${slapd.url}/\nbase ${slapd.baseDn}\n${NSLCD_AUTHZ_LINE}\n`, { mode: 0o600 });
  for (const [name, text] of Object.entries(PAM_D)) await writeFile(join(clientRoot, 'etc/pam.d', name), text);
  nslcd = await startDirectoryClient({ daemon: 'nslcd', root: clientRoot, scratch: dir });
  cleanups.push(() => nslcd.stop());
}, 60_000);

afterAll(async () => {
  for (const undo of cleanups.reverse()) await undo();
});

function host(name: string, accounts: readonly DesiredAccount[]): DesiredHost {
  return { ...fixtureHost(accounts), host: name, groups: accounts.map((a) => ({ name: a.username, gid: a.gid, members: [] })) };
}

/** Observe, plan, apply and verify through the pipeline, as `roster apply` does; every change must succeed. */
async function converge(desired: DesiredHost, config: LdapConfig): Promise<void> {
  const prepared = await planDesired([{ target: ldapTarget, config }], desired, { ...ctx, host: desired.host });
  const { outcomes } = await applyPrepared({ ...ctx, host: desired.host }, prepared);
  expect(outcomes.filter((o) => o.status !== 'ok')).toEqual([]);
}

/** What each PAM service does with the user: `sshd ok`, `ftp refused`, … */
async function services(user: string, names: readonly string[], ...ops: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) out.push(`${name} ${(await nslcd.pam(name, user, PASSWORD, ...ops)) ? 'ok' : 'refused'}`);
  return out;
}

describe('nslcd and PAM honour what the ldap target writes', () => {
  const alice = fixtureAccount('alice', 3101, { passwordField: HASH, gecos: 'Alice Liddell', shell: '/bin/zsh', home: '/srv/home/alice' });
  const bob = fixtureAccount('bob', 3102, { passwordField: HASH, gecos: 'Bob Dobbs' });
  const held = (a: DesiredAccount, hold: typeof FREEZE_BILLING): DesiredAccount => ({ ...a, holds: [hold], disabled: true });

  it('getent passwd, group and shadow show the entry through nslcd (uid, home, shell from the target)', async () => {
    expect((await nslcd.run(['getent', 'passwd', 'alice'])).code).toBe(2);
    await converge(host('shell', [alice]), shellConfig);
    expect((await nslcd.run(['getent', 'passwd', 'alice'])).stdout).toBe('alice:x:3101:3101:Alice Liddell:/srv/home/alice:/bin/zsh\n');
    expect((await nslcd.run(['getent', 'group', 'alice'])).stdout).toBe('alice:*:3101:\n');
    // shadowLastChange from the account; no shadowExpire while active.
    expect((await nslcd.run(['getent', 'shadow', 'alice'])).stdout).toBe('alice:*:20000::::::0\n');
  });

  it('pam_unix refuses a frozen account by shadowExpire: 1, ppolicy refuses its bind, and the unfreeze lets it in again', async () => {
    await converge(host('shell', [alice]), shellConfig);
    expect(await services('alice', ['roster-unix', 'sshd'], 'authenticate', 'acct_mgmt')).toEqual(['roster-unix ok', 'sshd ok']);
    expect(await nslcd.pam('roster-unix', 'alice', 'wrong password', 'authenticate')).toBe(false);

    await converge(host('shell', [held(alice, FREEZE_BILLING)]), shellConfig);
    expect((await nslcd.run(['getent', 'shadow', 'alice'])).stdout).toBe('alice:*:20000:::::1:0\n');
    // The account phase alone: pam_unix reads shadowExpire through nslcd's shadow map.
    expect(await services('alice', ['roster-unix', 'sshd'], 'acct_mgmt')).toEqual(['roster-unix refused', 'sshd refused']);
    // The password phase: pam_ldap binds as alice with her right password and slapd's ppolicy refuses (pwdAccountLockedTime).
    const mark = (await nslcd.log()).length;
    expect(await services('alice', ['roster-unix'], 'authenticate')).toEqual(['roster-unix refused']);
    expect((await nslcd.log()).slice(mark)).toContain(`<authc="alice"> uid=alice,${slapd.peopleDn}: Invalid credentials`);

    await converge(host('shell', [alice]), shellConfig);
    expect(await services('alice', ['roster-unix', 'sshd'], 'authenticate', 'acct_mgmt')).toEqual(['roster-unix ok', 'sshd ok']);
  });

  it('authorizedService: a billing freeze refuses sshd and keeps imap; a retirement refuses both; a Primary-kind pam_ldap line (ftp) lets the frozen account in', async () => {
    const all = ['sshd', 'imap', 'ftp'];
    await converge(host('mail', [bob]), mailConfig);
    expect(await services('bob', all, 'authenticate', 'acct_mgmt')).toEqual(['sshd ok', 'imap ok', 'ftp ok']);

    await converge(host('mail', [held(bob, FREEZE_BILLING)]), mailConfig);
    // The password still binds (IMAP keeps working), so the authenticate step passes everywhere; the account step decides.
    expect(await services('bob', all, 'authenticate', 'acct_mgmt')).toEqual(['sshd refused', 'imap ok', 'ftp ok']);
    expect(await services('bob', ['sshd'], 'authenticate')).toEqual(['sshd ok']);

    await converge(host('mail', [held(bob, RETIRED)]), mailConfig);
    expect(await services('bob', all, 'acct_mgmt')).toEqual(['sshd refused', 'imap refused', 'ftp refused']);

    await converge(host('mail', [bob]), mailConfig);
    expect(await services('bob', all, 'authenticate', 'acct_mgmt')).toEqual(['sshd ok', 'imap ok', 'ftp ok']);
  });

  it('roster doctor reads the same client files and says what PAM did: sshd refuses without its authorizedService, ftp does not', async () => {
    await converge(host('mail', [held(bob, FREEZE_BILLING)]), mailConfig);
    const observed = await services('bob', ['sshd', 'ftp'], 'acct_mgmt');
    const checks = await ldapClientChecks({ host: 'mail', root: clientRoot }, mailConfig);
    const verdict = (service: string): string | undefined => checks.find((c) => c.message.startsWith(`${clientRoot}/etc/pam.d/${service} `) && c.message.includes('authorizedService'))?.status;
    expect(observed).toEqual(['sshd refused', 'ftp ok']);
    expect([verdict('sshd'), verdict('imap'), verdict('ftp')]).toEqual(['ok', 'ok', 'fail']);
    expect(checks.find((c) => c.status === 'fail')?.fix).toBe(`add as the last account line of ${clientRoot}/etc/pam.d/ftp (or of the common-account it includes), as pam-auth-update does for libpam-ldapd: ${NSLCD_ACCOUNT_LINE}`);
    // Every other lock holds on every service (shadowExpire, the ppolicy bind, nslcd's pam_authz_search).
    expect(checks.filter((c) => c.status !== 'ok')).toHaveLength(1);
    await converge(host('mail', [bob]), mailConfig);
  });
});
