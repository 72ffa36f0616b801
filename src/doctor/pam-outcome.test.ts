import { describe, expect, it } from 'vitest';
import { pamOutcome } from './pam-outcome.js';
import { moduleName, parsePamFile, type PamRule } from './pam-rules.js';

function stack(text: string): PamRule[] {
  return parsePamFile('/etc/pam.d/test', text).flatMap((l) => (l.kind === 'rule' ? [l.rule] : []));
}

/** Each module's return by file name; modules not named return success. */
function by(codes: Readonly<Record<string, string>>): (rule: PamRule) => string {
  return (rule) => codes[moduleName(rule).replace(/\.so$/, '')] ?? 'success';
}

// A common-account with pam_ldap's account line of the Primary kind (PADL's libpam-ldap profile): pam_unix's success jumps over it.
const PRIMARY_LDAP = stack(`account [success=2 new_authtok_reqd=done default=ignore] pam_unix.so
account [success=1 default=ignore] pam_ldap.so minimum_uid=1000
account requisite pam_deny.so
account required pam_permit.so
`);

describe('pamOutcome (libpam dispatch of one stack)', () => {
  it('grants through a jump over pam_deny and refuses when every jump fails', () => {
    expect(pamOutcome(PRIMARY_LDAP, by({ pam_deny: 'auth_err' })).granted).toBe(true);
    const refused = pamOutcome(PRIMARY_LDAP, by({ pam_deny: 'auth_err', pam_unix: 'acct_expired', pam_ldap: 'acct_expired' }));
    expect(refused).toMatchObject({ granted: false, code: 'auth_err' });
    expect(refused.decidedBy?.module).toBe('pam_deny.so');
  });

  it('never asks pam_ldap when pam_unix succeeds first: its refusal does not count', () => {
    const r = pamOutcome(PRIMARY_LDAP, by({ pam_deny: 'auth_err', pam_ldap: 'perm_denied' }));
    expect(r.granted).toBe(true);
    expect(r.decidedBy?.module).toBe('pam_permit.so');
  });

  it('keeps the first failure of a required module although later ones succeed', () => {
    const s = stack('account required pam_ldap.so\naccount required pam_unix.so\naccount required pam_permit.so\n');
    expect(pamOutcome(s, by({ pam_ldap: 'perm_denied' }))).toMatchObject({ granted: false, code: 'perm_denied' });
  });

  it('ends at a sufficient success and ignores its failure', () => {
    const s = stack('account sufficient pam_localuser.so\naccount required pam_ldap.so\n');
    expect(pamOutcome(s, by({ pam_ldap: 'perm_denied' })).granted).toBe(true);
    expect(pamOutcome(s, by({ pam_localuser: 'perm_denied', pam_ldap: 'perm_denied' })).granted).toBe(false);
  });

  it('lets a requisite failure end the stack at once (die)', () => {
    const s = stack('account requisite pam_ldap.so\naccount sufficient pam_permit.so\n');
    expect(pamOutcome(s, by({ pam_ldap: 'acct_expired' }))).toMatchObject({ granted: false, code: 'acct_expired' });
  });

  it('refuses a stack where nothing decided (only ignored or optional failures)', () => {
    expect(pamOutcome(stack('account optional pam_ldap.so\n'), by({ pam_ldap: 'perm_denied' })).granted).toBe(false);
    expect(pamOutcome([], by({})).granted).toBe(false);
    expect(pamOutcome(stack('account required pam_ldap.so\n'), by({ pam_ldap: 'ignore' })).granted).toBe(false);
  });

  it('treats a code the control list does not name, with no default, as bad', () => {
    const s = stack('account [success=ok] pam_ldap.so\naccount required pam_permit.so\n');
    expect(pamOutcome(s, by({ pam_ldap: 'perm_denied' })).granted).toBe(false);
  });

  it('forgets an earlier failure on reset', () => {
    const s = stack('account required pam_ldap.so\naccount [success=reset default=reset] pam_env.so\naccount required pam_permit.so\n');
    expect(pamOutcome(s, by({ pam_ldap: 'perm_denied' })).granted).toBe(true);
  });

  it('refuses, on Debian 12\'s libpam-ldapd stack (pam_ldap last, Additional), an account pam_unix passes and nslcd refuses', () => {
    const debian = stack(`account [success=1 new_authtok_reqd=done default=ignore] pam_unix.so
account requisite pam_deny.so
account required pam_permit.so
account [success=ok new_authtok_reqd=done ignore=ignore user_unknown=ignore authinfo_unavail=ignore default=bad] pam_ldap.so minimum_uid=1000
`);
    expect(pamOutcome(debian, by({ pam_deny: 'auth_err', pam_ldap: 'perm_denied' }))).toMatchObject({ granted: false, code: 'perm_denied' });
    // A local account: nslcd does not know it; nslcd down: pam_unix decides.
    expect(pamOutcome(debian, by({ pam_deny: 'auth_err', pam_ldap: 'user_unknown' })).granted).toBe(true);
    expect(pamOutcome(debian, by({ pam_deny: 'auth_err', pam_ldap: 'authinfo_unavail' })).granted).toBe(true);
    expect(pamOutcome(debian, by({ pam_deny: 'auth_err' })).granted).toBe(true);
  });
});
