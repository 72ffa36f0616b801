import * as z from 'zod';
import { normalisedPath } from '../normalised-path.js';

const REALM = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// What kadmin's own parser takes as one word: its -q query is split on blanks and quotes.
const WORD = /^[^\s"'\\\u0000-\u001f\u007f]+$/;

const word = (what: string) => z.string().min(1).regex(WORD, { error: `${what} must be one word: no blanks, quotes, backslashes or control characters` });

/** kadmin over the network (kadmind), authenticated with a keytab: Roster on a server or a host other than the KDC. */
const remote = z
  .strictObject({
    server: word('server').describe('the kadmind to talk to, host or host:port (kadmin -s), e.g. kdc.example.org or 127.0.0.1:749'),
    principal: word('principal').describe("the admin principal Roster authenticates as (kadmin -p), e.g. roster/admin; kadm5.acl must grant it add, delete, modify, inquire and list (and 'c' to change passwords): 'roster/admin@REALM adcilm'"),
    keytab: normalisedPath.describe('the keytab holding that principal\'s keys (kadmin -k -t), readable by root only'),
  })
  .describe('kadmin over the network with a keytab');

/**
 * roster.yaml `hosts.<host>.targets.kerberos` (issue 13 item 2): the realm
 * whose principals Roster manages for this host's accounts of `auth:
 * kerberos` types, and how it reaches the KDC's database: `kadmin` with a
 * keytab (a remote kadmind), or `local: true` (kadmin.local on the KDC
 * itself, as root). Exactly one of the two.
 */
export const kerberosConfigSchema = z
  .strictObject({
    realm: z.string().regex(REALM, { error: 'must be a Kerberos realm such as EXAMPLE.ORG: letters, digits, ., _ and -' }).describe('the realm of the principals, e.g. EXAMPLE.ORG; a principal of another realm is refused'),
    kadmin: remote.optional().describe('reach kadmind over the network with a keytab (one of kadmin and local)'),
    local: z.literal(true).optional().describe('run kadmin.local on this host, the KDC (one of kadmin and local)'),
    krb5Config: normalisedPath.optional().describe('the krb5.conf kadmin reads (KRB5_CONFIG); default the system one'),
    kdcProfile: normalisedPath.optional().describe('with local: the kdc.conf kadmin.local reads (KRB5_KDC_PROFILE); default the system one'),
    keepWith: z
      .array(z.string().min(1))
      .default(() => ['mail', 'portal'])
      .describe('services that authenticate with this realm (IMAP, POP, the portal): while a freeze keeps any of them (freeze.keep), the principal keeps working too, whether or not freeze.keep names kerberos; retirement disables it regardless'),
    timeoutSeconds: z.int().min(1).max(3600).default(60).describe('how long one kadmin run may take before it is stopped and its changes fail'),
    archive: z.boolean().optional().describe('record a purged principal (getprinc and its string attributes) in the archive before deleting it; default purge.archive'),
    archiveDir: normalisedPath.optional().describe('where those records go (mode 0700, root); default purge.archiveDir'),
  })
  .superRefine((c, ctx) => {
    if ((c.kadmin === undefined) === (c.local === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.kadmin === undefined ? 'kadmin' : 'local'], message: 'give exactly one of kadmin: { server, principal, keytab } and local: true' });
    }
    if (c.kdcProfile !== undefined && c.local === undefined) ctx.addIssue({ code: 'custom', path: ['kdcProfile'], message: 'is only read by kadmin.local (local: true)' });
  })
  .describe("MIT Kerberos principals via kadmin for accounts of auth: kerberos types living on the host; a hold that disables `kerberos` sets -allow_tix and retiring with D > 0 sets the principal's expiry, both undone exactly; purge records the principal in the archive, then deletes it");

export type KerberosConfig = z.output<typeof kerberosConfigSchema>;
