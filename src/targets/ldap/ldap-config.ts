import * as z from 'zod';
import { normalisedPath } from '../normalised-path.js';

const url = z.string().regex(/^ldaps?:\/\/[^/\s]+\/?$/, { error: 'must be an ldap:// or ldaps:// URL with a host (and port), e.g. ldap://127.0.0.1:389' });

/** A DN as the configuration writes it: not empty, one line; slapd judges the rest at bind time. */
const dn = z.string().regex(/^[A-Za-z][\w-]*=[^\n\r]+$/, { error: 'must be a DN such as ou=people,dc=example,dc=org' });

/** An authorizedService value (`sshd`, `imap`, `pop3`): the PAM service name the clients compare. */
const pamService = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.*-]{0,63}$/, { error: 'must be a PAM service name such as sshd or imap' });

/** A Roster service as freeze.keep writes it. */
const rosterService = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'must be a lower-case service name as freeze.keep writes it (login, mail, portal …)' });

/**
 * roster.yaml `hosts.<host>.targets.ldap` (issue 13 item 1): the directory
 * whose account and group entries Roster writes from this host, and as
 * whom. The bind DN needs write access to `usersDn` and `groupsDn` (and to
 * `pwdAccountLockedTime` with ppolicy). Roster never reads or writes
 * outside these two bases.
 */
export const ldapConfigSchema = z
  .strictObject({
    url: url.describe('the directory server, ldap://host:389 (with startTLS) or ldaps://host:636'),
    bindDn: dn.describe('the DN Roster binds as; it must be able to add, modify and delete entries under usersDn and groupsDn'),
    bindPasswordFile: normalisedPath.describe("a root-only file whose first line is bindDn's password (read at each run; kept out of roster.yaml)"),
    usersDn: dn.describe('where account entries go: uid=<username>,<usersDn> (posixAccount, shadowAccount, inetOrgPerson)'),
    groupsDn: dn.describe('where group entries go: cn=<group>,<groupsDn>'),
    groups: z.enum(['posixGroup', 'groupOfNames']).default('posixGroup').describe('posixGroup: cn, gidNumber and memberUid (RFC 2307, what nslcd and SSSD read by default); groupOfNames: cn and member DNs (an empty group gets the empty DN as its one member)'),
    ppolicy: z.boolean().default(false).describe('the ppolicy overlay is in use: a disabled account also gets pwdAccountLockedTime 000001010000Z, so even a plain LDAP bind (IMAP, a portal) is refused'),
    authorizedService: z
      .record(pamService, rosterService)
      .optional()
      .describe('the authorizedService values a live account gets, each with the Roster service it stands for (sshd: login, imap: mail): a freeze removes the values whose service freeze.keep does not keep; the clients must check authorizedService (nslcd pam_authz_search, SSSD access_provider=ldap with ldap_access_order authorized_service)'),
    startTLS: z.boolean().default(false).describe('upgrade an ldap:// connection with StartTLS before binding'),
    caFile: normalisedPath.optional().describe("a PEM file of the CA that signed the server's certificate (default: the system's CAs)"),
    timeoutSeconds: z.int().min(1).max(600).default(30).describe('how long one connection attempt or operation may take before the run fails it'),
    archive: z.boolean().optional().describe("write a purged account's entries (LDIF) into the archive before deleting them; default purge.archive"),
    archiveDir: normalisedPath.optional().describe('where the LDIF files and their manifests go; default purge.archiveDir'),
  })
  .superRefine((c, ctx) => {
    if (c.startTLS && c.url.startsWith('ldaps:')) ctx.addIssue({ code: 'custom', path: ['startTLS'], message: 'an ldaps:// URL is already TLS; startTLS is for ldap:// URLs' });
    if (c.authorizedService !== undefined && Object.keys(c.authorizedService).length === 0) ctx.addIssue({ code: 'custom', path: ['authorizedService'], message: 'name at least one service (sshd: login), or leave authorizedService out' });
  })
  .describe('LDAP account and group entries (posixAccount, shadowAccount, inetOrgPerson; posixGroup or groupOfNames) under the configured bases; a hold sets shadowExpire 1, with ppolicy pwdAccountLockedTime, and removes the authorizedService values of the services it disables; purge writes the LDIF to the archive, then deletes');

export type LdapConfig = z.output<typeof ldapConfigSchema>;
