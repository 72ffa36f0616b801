import { describe, expect, it } from 'vitest';
import { dnWithin } from './client-locks.js';
import { checksAuthorizedService, parseNslcdConf } from './nslcd-conf.js';
import { nsswitchSources } from './nsswitch-sources.js';
import { parseSssdConf, sssdList } from './sssd-conf.js';

describe('the client configuration parsers', () => {
  it('reads an nsswitch database: actions left out, comments ignored, the first line wins, a missing one is null', () => {
    const text = '# passwd: ldap\npasswd: files [NOTFOUND=return] ldap # ours\npasswd: sss\nshadow:files\n';
    expect(nsswitchSources(text, 'passwd')).toEqual(['files', 'ldap']);
    expect(nsswitchSources(text, 'shadow')).toEqual(['files']);
    expect(nsswitchSources(text, 'group')).toBeNull();
  });

  it('reads nslcd.conf: uris, bases with or without a map, filters with # inside, maps', () => {
    const conf = parseNslcdConf('# base dc=commented\nuri ldap://a/ ldaps://b/\nbase dc=example,dc=org\nbase passwd ou=people,dc=example,dc=org\nbindpw s#cret\npam_authz_search (&(uid=$username)(authorizedService=${service}))\nmap passwd userPassword "x"\nMAP Shadow shadowExpire "${shadowExpire:-0}"\n');
    expect(conf.uris).toEqual(['ldap://a/', 'ldaps://b/']);
    expect(conf.bases).toEqual(['dc=example,dc=org', 'ou=people,dc=example,dc=org']);
    expect(conf.authzSearches).toEqual(['(&(uid=$username)(authorizedService=${service}))']);
    expect([...conf.maps]).toEqual([['passwd userPassword', '"x"'], ['shadow shadowExpire', '"${shadowExpire:-0}"']]);
    expect(conf.authzSearches.every(checksAuthorizedService)).toBe(true);
    expect(checksAuthorizedService('(&(uid=$username)(authorizedService=sshd))')).toBe(false);
    expect(checksAuthorizedService('(&(uid=$username)(host=$hostname))')).toBe(false);
  });

  it('reads sssd.conf sections, a later value replacing an earlier one', () => {
    const conf = parseSssdConf('; comment\n[sssd]\ndomains = LDAP, files\n[domain/LDAP]\nldap_access_order = filter\n# x = y\n');
    parseSssdConf('[domain/LDAP]\nldap_access_order = expire , ppolicy\n', conf);
    expect(sssdList(conf.get('sssd')?.get('domains'))).toEqual(['LDAP', 'files']);
    expect(sssdList(conf.get('domain/LDAP')?.get('ldap_access_order'))).toEqual(['expire', 'ppolicy']);
  });

  it('compares DNs without case and spaces around separators', () => {
    expect(dnWithin('uid=a,OU=People, dc=Example,dc=org', 'dc=example, dc=org')).toBe(true);
    expect(dnWithin('ou=people,dc=example,dc=org', 'dc=example,dc=net')).toBe(false);
    expect(dnWithin('ou=people,dc=notexample,dc=org', 'dc=example,dc=org')).toBe(false);
  });
});
