import { posix } from 'node:path';
import * as z from 'zod';

const CONTROL = /[\u0000-\u001f\u007f]/;

const absolutePath = z.string().superRefine((p, ctx) => {
  let message: string | null = null;
  if (!posix.isAbsolute(p)) message = `must be an absolute path, got "${p}"`;
  else if (CONTROL.test(p)) message = 'must not contain control characters or newlines';
  else if (posix.normalize(p) !== p || p.endsWith('/')) message = `must be a normalised path to a file (no //, . or .., no trailing /), e.g. ${posix.normalize(p).replace(/\/$/, '')}`;
  if (message !== null) ctx.addIssue({ code: 'custom', message });
});

/** A domain of letters, digits and hyphens in dot-separated labels, lower case (map keys are compared in lower case by both MTAs). */
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
/** A list's local part: no `+` (the recipient delimiter), no quoting, room for the longest Mailman suffix. */
const LIST_LOCAL = /^[a-z0-9](?:[a-z0-9._-]{0,50}[a-z0-9])?$/;

/**
 * A list address such as announce@example.org, in lower case: it is a key
 * of the access map, which Postfix and the Exim ACL below look up in lower
 * case, so `Announce@` would never match.
 */
export const listAddressSchema = z.string().superRefine((s, ctx) => {
  const at = s.lastIndexOf('@');
  if (s !== s.toLowerCase()) ctx.addIssue({ code: 'custom', message: `must be written in lower case (${s.toLowerCase()}): the MTA looks list addresses up in lower case` });
  else if (at < 1 || !LIST_LOCAL.test(s.slice(0, at)) || !DOMAIN.test(s.slice(at + 1))) {
    ctx.addIssue({ code: 'custom', message: 'must be a list address such as announce@example.org (letters, digits, . _ - before the @, no +)' });
  }
});

/** Any mailbox address Roster writes into a reply text: printable ASCII without spaces or angle brackets. */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const emailSchema = z.string().regex(EMAIL, { error: 'must be an e-mail address such as alice@example.org' });

/** The placeholders a refusal text may use. */
export const MESSAGE_PLACEHOLDERS = ['list', 'owner', 'user'] as const;

/**
 * The refusal text: one line of printable ASCII (an SMTP reply, RFC 5321
 * §4.5.3.1.5 limits a reply line to 512 octets with the code and the
 * address Postfix puts before it), with {list}, {owner} and {user}.
 */
const messageSchema = z
  .string()
  .min(1)
  .max(300)
  .regex(/^[\x20-\x7e]+$/, { error: 'must be one line of printable ASCII (it is an SMTP reply)' })
  .superRefine((m, ctx) => {
    for (const [, name] of m.matchAll(/\{([^}]*)\}/g)) {
      if (!(MESSAGE_PLACEHOLDERS as readonly string[]).includes(name ?? '')) {
        ctx.addIssue({ code: 'custom', message: `unknown placeholder {${name ?? ''}} (known: ${MESSAGE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})` });
      }
    }
  });

/** Mailman 3's own addresses beside the posting address (mailman/config/schema.cfg and the MTA alias templates). */
export const MAILMAN_SUFFIXES = ['-bounces', '-confirm', '-join', '-leave', '-owner', '-request', '-subscribe', '-unsubscribe'] as const;

const hostPort = z.string().superRefine((s, ctx) => {
  if (parseHostPort(s) === null) ctx.addIssue({ code: 'custom', message: `must be host:port such as 127.0.0.1:25 or [::1]:25, got "${s}"` });
});

/** `127.0.0.1:25` or `[::1]:25` as host and port; null when it is neither. */
export function parseHostPort(s: string): { readonly host: string; readonly port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(s);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host, port };
}

const mailmanSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http or https URL such as http://127.0.0.1:8001/3.1' })
      .transform((u) => u.replace(/\/+$/, ''))
      .describe("Mailman 3 core's REST root with its API version, e.g. http://127.0.0.1:8001/3.1"),
    user: z.string().min(1).describe('the REST admin user (mailman.cfg [webservice] admin_user)'),
    passwordFile: absolutePath.describe('a file holding the REST admin password (its first line), readable by root only'),
    archiveDir: absolutePath
      .optional()
      .describe('where list archives live, one directory per list named by its address (Mailman 3 prototype archiver: /var/lib/mailman3/archives/prototype); usage reports their sizes'),
  })
  .describe("Mailman 3: lists are also found by their owners' addresses, and usage reports list archive sizes");

/**
 * roster.yaml `hosts.<host>.targets.mail-lists` (issue 12 item 3, seed
 * MemberFreezing 1.5 "temporarily block them at the Exim level … suggesting
 * that the poster complain to the delinquent member"): the access map Roster
 * owns and how a refusal reads.
 */
export const mailListsConfigSchema = z
  .strictObject({
    mta: z.enum(['postfix', 'exim']).describe('postfix: a check_recipient_access map compiled with postmap; exim: an lsearch file read by an ACL'),
    map: absolutePath.describe('the map file Roster owns whole, e.g. /etc/postfix/roster-lists or /etc/exim4/roster-lists'),
    table: z.enum(['hash', 'btree', 'cdb', 'lmdb']).default('hash').describe('Postfix: the map type named in check_recipient_access (type:path)'),
    postmap: z.array(z.string().min(1)).min(1).default(['postmap']).describe('Postfix: the postmap command as an argument list; Roster appends type:path'),
    code: z
      .string()
      .regex(/^5[0-9][0-9] 5\.[0-9]{1,3}\.[0-9]{1,3}$/, { error: "must be a permanent SMTP reply code and enhanced status code such as '550 5.7.1'" })
      .default('550 5.7.1')
      .describe('the reply code and enhanced status code of a refused RCPT TO'),
    message: messageSchema
      .default('this list is suspended; please write to its owner at {owner}')
      .describe("the refusal text, one line: {list} is the list's address, {owner} whom to write to, {user} the owner's username"),
    suffixes: z
      .array(z.string().regex(/^-[a-z0-9]{1,15}$/, { error: 'must be - and letters or digits, such as -request' }))
      .default(() => [...MAILMAN_SUFFIXES])
      .describe("the list's other addresses refused with it, as local-part suffixes (default Mailman 3's: -bounces, -confirm, -join, -leave, -owner, -request, -subscribe, -unsubscribe)"),
    verify: z
      .strictObject({
        smtp: hostPort.describe('the SMTP server to probe, host:port, e.g. 127.0.0.1:25'),
        helo: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/).default('localhost').describe('the name given in EHLO'),
        from: emailSchema.optional().describe('the MAIL FROM address of the probe; default the null sender <>'),
      })
      .optional()
      .describe('after each change, RCPT TO the changed lists on this server: a frozen list must answer the refusal, a thawed one must not'),
    mailman: mailmanSchema.optional(),
  })
  .describe('mailing lists of disabled owners refused at RCPT TO, with a text telling posters whom to write to (an MTA access map Roster owns)');

export type MailListsConfig = z.output<typeof mailListsConfigSchema>;

/** roster.yaml `types.<type>.targets.mail-lists`: the address by which the type's accounts own lists. */
export const mailListsTypeSettingsSchema = z
  .strictObject({
    address: z
      .string()
      .regex(/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]*\{user\}[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]*@[a-z0-9.-]+$/, { error: 'must be an address pattern with {user}, such as {user}@example.org' })
      .optional()
      .describe("the account's own address, a pattern such as {user}@example.org: Mailman lists are found by it, it is whom a refusal names when the list gives no contact, and it is never refused"),
  })
  .describe('the e-mail address of the accounts of this type');

/** What the projection puts in an account's entry: its own address, or null when its type gives none. */
export const mailListsEntrySchema = z.object({ address: emailSchema.nullable() });
export type MailListsEntry = z.output<typeof mailListsEntrySchema>;

/** `roster resource add USER --kind list --name announce@example.org [--set contact=…]`. */
export const listSettingsSchema = z
  .strictObject({
    contact: emailSchema.optional().describe("whom a refused poster is told to write to; default the owner's address (types.<t>.targets.mail-lists.address), else postmaster@ the list's domain"),
  })
  .describe('a mailing list the account owns');
