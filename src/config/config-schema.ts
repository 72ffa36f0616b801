import { readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import * as z from 'zod';
import { errorMessage } from '../domain/errors.js';
import { isUtc } from '../domain/zoned-time.js';
import { cronProblem } from './cron-problem.js';
import { watchSettingsSchema } from './watch-settings.js';
import type { DeepReadonly } from './deep-freeze.js';

/**
 * roster.yaml (DESIGN.md §3, §9.7): strict objects everywhere, so a typo is
 * an error rather than a silently ignored setting. Cross-references between
 * sections are checked last, at the path of the referring entry.
 */

const NAME = /^[a-z][a-z0-9_-]*$/;
const HOST_NAME = /^[a-z][a-z0-9-]*$/;
// The shadow-utils default NAME_REGEX, and at most 32 characters as in useradd.
const GROUP_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
// One address, bare or with a display name ("Roster <roster@example.org>"); no newlines (header injection).
const ADDRESS = /^(?:[^<>\u0000-\u001f\u007f]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/;
const ROLE = /^[A-Z][A-Z0-9_]{0,31}$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;
const CONTROL = /[\u0000-\u001f\u007f]/;
// One above the highest id is (uid_t)-1, which chown(2) reads as "unchanged".
const MAX_ID = 4_294_967_294;
const MAX_DAYS = 36_500;

const RESERVED_NAMES = [
  'root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy', 'www-data',
  'backup', 'list', 'irc', 'nobody', 'admin', 'postmaster', 'abuse', 'hostmaster', 'webmaster',
];

/**
 * Services Roster itself stands for, which `freeze.keep` may name besides
 * those of the targets: the member portal of `roster serve`, and mail
 * (receiving and reading it), which the default keep list spares, so a
 * frozen member still reads the messages about the freeze.
 */
export const CORE_SERVICES: readonly string[] = ['portal', 'mail'];

/** Person sources Roster itself uses (domain/person.ts); a CSV source must not shadow them. */
const BUILT_IN_SOURCES = ['manual', 'scim'];

/**
 * The host's zone: UTC when `$TZ` or the `/etc/localtime` link names it (many
 * servers), else what ICU says the host uses. Loading ICU costs a command
 * 15 to 25 ms, so it is asked only when the answer is not UTC.
 */
function hostTimeZone(): string {
  const tz = process.env.TZ;
  if (tz !== undefined) {
    if (isUtc(tz)) return tz;
  } else {
    const zone = localtimeZone();
    if (zone !== null && isUtc(zone)) return zone;
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The zone `/etc/localtime` links to (`/usr/share/zoneinfo/Etc/UTC` names Etc/UTC), or null when it is not such a link. */
function localtimeZone(): string | null {
  try {
    const match = /\/zoneinfo\/(.+)$/.exec(readlinkSync('/etc/localtime'));
    return match?.[1] ?? null;
  } catch {
    return null;
  }
}

const text = z.string().min(1);

const timeZone = z.string().superRefine((zone, ctx) => {
  // UTC needs no ICU (which costs a command 15 ms or more to load).
  if (isUtc(zone)) return;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${zone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)` });
  }
});

const regexSource = text.superRefine((source, ctx) => {
  try {
    // 'u' is the stricter syntax: whatever compiles with it also compiles without.
    new RegExp(source, 'u');
  } catch (e) {
    const reason = errorMessage(e).split(': ').pop() ?? 'syntax error';
    ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${reason}` });
  }
});

const cron = z.string().superRefine((expression, ctx) => {
  const problem = cronProblem(expression);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

function absolutePath(options: { readonly passwdField?: boolean } = {}): z.ZodString {
  return z.string().superRefine((p, ctx) => {
    let message: string | null = null;
    if (!posix.isAbsolute(p)) message = `must be an absolute path, got "${p}"`;
    else if (CONTROL.test(p)) message = 'must not contain control characters or newlines';
    // Shells and homes are fields of colon-separated /etc/passwd lines.
    else if (options.passwdField === true && p.includes(':')) message = "must not contain ':'";
    else if (p.split('/').includes('..')) message = "must not contain '..'";
    if (message !== null) ctx.addIssue({ code: 'custom', message });
  });
}

function placeholderProblem(template: string): string | null {
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    if (m[1] !== 'username') return `unknown placeholder {${m[1] ?? ''}}: only {username} is replaced`;
  }
  return null;
}

const homeTemplate = absolutePath({ passwdField: true }).superRefine((home, ctx) => {
  const problem = placeholderProblem(home) ?? (home.includes('{username}') ? null : 'must contain {username}, e.g. /home/{username}');
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

const principalTemplate = text.superRefine((principal, ctx) => {
  const problem =
    placeholderProblem(principal) ??
    (/[\s:]/.test(principal) || CONTROL.test(principal) ? 'must not contain spaces, colons or control characters' : null) ??
    (principal.includes('{username}') ? null : 'must contain {username}, e.g. {username}@EXAMPLE.ORG');
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

const groupName = z.string().regex(GROUP_NAME, { error: 'must be a group name: lower case letters, digits, _ and -, starting with a letter or _, at most 32 characters' });

const days = z.int().min(0).max(MAX_DAYS);

/** Seed 002: D > P > 0 cannot be honoured (the account would be purged while still active). */
function graceOrder(grace: { readonly deactivation: number; readonly deletion: number }, ctx: z.RefinementCtx): void {
  if (grace.deletion > 0 && grace.deactivation > grace.deletion) {
    ctx.addIssue({ code: 'custom', message: `deactivation grace (${grace.deactivation} days) exceeds deletion grace (${grace.deletion} days)` });
  }
}

const typeGrace = z
  .strictObject({
    deactivation: days.default(0).describe('days from retirement until the account is disabled; 0 disables it at once'),
    deletion: days.default(30).describe('days from retirement until the account is purged; 0 purges it at once'),
  })
  .superRefine(graceOrder);
const sourceGrace = z
  .strictObject({
    deactivation: days.describe('days from leaving the source until the account is disabled'),
    deletion: days.describe('days from leaving the source until the account is purged'),
  })
  .superRefine(graceOrder);

const requirement = z
  .strictObject({
    all: z.array(text).default(() => []).describe('every item is needed'),
    some: z.array(text).default(() => []).describe('at least one item is needed'),
  })
  .prefault({});

const eligibility = z.strictObject({
  roles: requirement.describe('roles such as STUDENT or STAFF'),
  classes: requirement.describe('class enrolments'),
  campuses: requirement.describe('campuses'),
  majors: requirement.describe('majors or schools'),
});

const literalPassword = z.string().superRefine((field, ctx) => {
  // An empty shadow password field lets anyone log in without a password.
  if (field === '') ctx.addIssue({ code: 'custom', message: "must not be empty (use '*' or '!' to lock)" });
  else if (field.includes(':') || CONTROL.test(field)) ctx.addIssue({ code: 'custom', message: "must not contain ':' or newlines" });
});

const auth = z.union([z.enum(['crypt', 'kerberos', 'locked']), z.strictObject({ literal: literalPassword })], {
  error: "must be crypt, kerberos, locked or { literal: '*' }",
});

const typeHosts = z
  .strictObject({
    live: z.array(text).default(() => []).describe('hosts where accounts of this type exist'),
    login: z.array(text).default(() => []).describe('hosts where they may log in (others list them in the login target\'s deny list)'),
  })
  .superRefine((hosts, ctx) => {
    hosts.login.forEach((host, i) => {
      if (!hosts.live.includes(host)) {
        ctx.addIssue({ code: 'custom', path: ['login', i], message: `${host} is a login host but not listed in live (accounts only log into hosts they live on)` });
      }
    });
  });

const dues = z
  .number()
  .min(0)
  .refine((amount) => Math.abs(amount * 100 - Math.round(amount * 100)) < 1e-6, { error: 'must have at most 2 decimals (whole cents)' });

const password = z.strictObject({
  minLength: z.int().min(6).max(1024).default(10).describe('the shortest password accepted'),
  minClasses: z.int().min(1).max(4).default(3).describe('how many of lower case, upper case, digits and other characters a password needs'),
  scheme: z.enum(['yescrypt', 'sha512crypt']).default('yescrypt').describe("the hash written to shadow, by the host's libcrypt"),
});

const accountType = z
  .strictObject({
    description: z.string().optional().describe('what this type is for, shown to admins and in the portal'),
    portal: z.boolean().default(false).describe('whether members may ask for an account of this type in the self-service portal'),
    eligibility: eligibility.prefault({}).describe('who may hold an account of this type: requirements on roles, classes, campuses and majors, each with an all list (every item needed) and a some list (at least one)'),
    auth: auth.default('crypt').describe('how the account authenticates: crypt (a password hash in shadow), kerberos (a principal; shadow holds *), locked, or a literal shadow password field such as { literal: "*" }'),
    principal: principalTemplate.optional().describe('the Kerberos principal, with {username} replaced, e.g. {username}@EXAMPLE.ORG; required with auth: kerberos'),
    shell: absolutePath({ passwdField: true }).default('/bin/bash').describe('the login shell'),
    home: homeTemplate.default('/home/{username}').describe('the home directory, with {username} replaced'),
    primaryGroup: z
      .string()
      .refine((group) => group === '{username}' || GROUP_NAME.test(group), { error: 'must be {username} (a user-private group) or a group name' })
      .default('{username}')
      .describe('the primary group: {username} for a user-private group with GID = UID, or the name of a shared group'),
    groups: z.array(groupName).default(() => []).describe('supplementary groups every account of this type joins'),
    hosts: typeHosts.prefault({}).describe('the hosts accounts of this type live on (live) and may log into (login, a subset of live)'),
    // Each target validates its own section (DESIGN.md §10 "Targets are plugins").
    targets: z.record(text, z.unknown()).default(() => ({})).describe("what each target does for accounts of this type, in the target's own settings (see TARGETS below)"),
    dues: dues.default(0).describe('monthly dues charged by the billing job, in the billing currency'),
    grace: typeGrace.prefault({}).describe('retirement grace periods in days: deactivation (until the account is disabled) and deletion (until it is purged)'),
    password: password.prefault({}).describe('password rules and the hash scheme'),
    emailRole: text.optional().describe("the person's role (e.g. STUDENT) whose e-mail address becomes username@emailDomain"),
    emailDomain: z.string().regex(DOMAIN, { error: 'must be a domain name such as example.edu' }).optional().describe('the domain of the address given to emailRole'),
    // `generate`: a roster sync gives new accounts a random password, written only to --password-file (mode 0600).
    initialPassword: z.enum(['none', 'generate']).default('none').describe('generate: roster sync gives new accounts a random password, written only to --password-file'),
  })
  .superRefine((type, ctx) => {
    if (type.initialPassword === 'generate' && type.auth !== 'crypt') {
      ctx.addIssue({ code: 'custom', path: ['initialPassword'], message: 'generate needs auth: crypt (only crypt accounts have a password to set)' });
    }
    if (type.auth === 'kerberos' && type.principal === undefined) {
      ctx.addIssue({ code: 'custom', path: ['principal'], message: 'is required when auth is kerberos, e.g. "{username}@EXAMPLE.ORG"' });
    }
    if (type.emailRole !== undefined && type.emailDomain === undefined) {
      ctx.addIssue({ code: 'custom', path: ['emailDomain'], message: 'is required when emailRole is set (the address is username@emailDomain)' });
    }
  })
  .transform((type) => ({ ...type, duesCents: Math.round(type.dues * 100) }));

const oneCharacter = z.string().refine((c) => [...c].length === 1 && c !== '"' && !CONTROL.test(c), { error: 'must be a single character other than " and newline' });

const column = text;

const source = z
  .strictObject({
    format: z.literal('csv').default('csv').describe('the file format'),
    delimiter: oneCharacter.default(',').describe('the field separator'),
    multiValueSeparator: z
      .string()
      .refine((s) => s !== '' && !CONTROL.test(s), { error: 'must be a non-empty string without newlines' })
      .default(';')
      .describe('separates several values in one field (roles, classes)'),
    columns: z.strictObject({
      id: column.describe("the column of the person's stable id in the source"),
      firstName: column.describe('the column of the first name'),
      lastName: column.describe('the column of the last name'),
      roles: column.optional().describe('the column of roles (STUDENT, STAFF …)'),
      classes: column.optional().describe('the column of class enrolments'),
      campus: column.optional().describe('the column of campuses'),
      major: column.optional().describe('the column of majors or schools'),
      email: column.optional().describe('the column of the e-mail address'),
      verification: z
        .record(z.string().regex(NAME, { error: 'must be an attribute name such as student_number' }), column)
        .optional()
        .describe('identity attributes (e.g. student_number: a column name) kept only as a keyed hash, for portal sign-up'),
    })
    .describe('which column of the file holds what'),
    types: z.record(z.string().regex(ROLE, { error: 'must be a role: upper case letters, digits and _, starting with a letter' }), z.array(text)).describe('the account types a role gives, e.g. STUDENT: [student]'),
    // Roles the file may carry without giving an account type; any other role is an error in the file.
    roles: z.array(z.string().regex(ROLE, { error: 'must be a role: upper case letters, digits and _, starting with a letter' })).default(() => []).describe('roles the file may carry without giving an account type; any other role is an error in the file'),
    grace: sourceGrace.optional().describe("grace periods for people who leave this source, instead of their types' own"),
    // Overrides the top-level breaker for this source's syncs.
    breaker: z
      .strictObject({ count: z.int().min(0).describe('accounts a sync may retire without --allow-mass-change'), percent: z.number().min(0).max(100).describe("the same as a percentage of the source's accounts") })
      .optional().describe("the circuit breaker for this source's syncs, instead of the top-level breaker"),
  })
  .superRefine((s, ctx) => {
    if (s.delimiter === s.multiValueSeparator) {
      ctx.addIssue({ code: 'custom', path: ['multiValueSeparator'], message: `must differ from the delimiter "${s.delimiter}"` });
    }
  });

const address = z.string().regex(ADDRESS, { error: 'must be an e-mail address such as roster@example.org or "Roster <roster@example.org>"' });

const httpUrl = z.string().superRefine((url, ctx) => {
  let ok: boolean;
  try {
    ok = ['http:', 'https:'].includes(new URL(url).protocol) && !CONTROL.test(url);
  } catch {
    ok = false;
  }
  if (!ok) ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
});

/** Member and admin e-mail (src/notify). Relative paths are relative to roster.yaml. */
const notify = z
  .strictObject({
    transport: z.enum(['none', 'smtp', 'sendmail']).default('none').describe('how e-mail leaves: none (kept in the outbox), smtp or sendmail'),
    smtp: z
      .strictObject({
        host: text.describe('the SMTP server'),
        port: z.int().min(1).max(65_535).default(25).describe('its port'),
        // true: TLS from the first byte (port 465); false: STARTTLS when the server offers it.
        secure: z.boolean().default(false).describe('true: TLS from the first byte (port 465); false: STARTTLS when the server offers it'),
        auth: z.strictObject({ user: text.describe('the SMTP user'), passwordFile: text.describe('a file holding its password') }).optional().describe('SMTP authentication'),
      })
      .optional()
      .describe('the SMTP server, with transport: smtp'),
    sendmail: z.strictObject({ path: absolutePath().default('/usr/sbin/sendmail').describe('the sendmail program') }).prefault({}).describe('with transport: sendmail'),
    from: address.default('Roster <roster@localhost>').describe('the sender of every message'),
    // Gets a digest of every job run.
    adminAddress: address.optional().describe('gets a digest of every job run'),
    // Templates found here by file name (e.g. frozen.txt) replace the built-in ones.
    templatesDir: text.optional().describe('templates found here by file name (e.g. frozen.txt) replace the built-in ones'),
    portalUrl: httpUrl.optional().describe('the member portal, named in messages'),
    payUrl: httpUrl.optional().describe('where members pay their dues, named in billing warnings'),
    // How often queued and failed messages are retried by the notify job.
    schedule: cron.default('*/15 * * * *').describe('when queued and failed messages are sent again (cron syntax)'),
    maxAttempts: z.int().min(1).max(100).default(8).describe('how often a message is tried before it is given up'),
  })
  .superRefine((n, ctx) => {
    if (n.transport === 'smtp' && n.smtp === undefined) {
      ctx.addIssue({ code: 'custom', path: ['smtp'], message: 'is required when transport is smtp, e.g. { host: mail.example.org, port: 25 }' });
    }
  });

const host = z.strictObject({
  description: z.string().optional().describe('what the host is for'),
  appliedBy: z
    .enum(['agent', 'server'])
    .default('agent')
    .describe(
      "who applies the host's targets: agent (roster agent on the host pulls its desired state and applies it there) or server (roster serve applies them itself on the apply job's schedule, for services it reaches over the network: a remote LDAP server, a KDC's kadmind)",
    ),
  // Each target validates its own section (DESIGN.md §9.8).
  targets: z.record(text, z.unknown()).default(() => ({})).describe('the targets enabled on this host, each with its own settings (see TARGETS below)'),
  // Present (even `watch: {}`): the host's agent, and roster apply, take watch turns (seed GlobeNet).
  watch: watchSettingsSchema.optional(),
});

const idRange = (what: string) =>
  z
    .strictObject({
      min: z.int().min(1).max(MAX_ID).default(10_000).describe(`the lowest ${what}`),
      max: z.int().min(1).max(MAX_ID).default(59_999).describe(`the highest ${what}`),
    })
    .superRefine((range, ctx) => {
      if (range.min > range.max) ctx.addIssue({ code: 'custom', message: `${what} range min (${range.min}) exceeds max (${range.max})` });
    });

const explicitGroup = z.strictObject({
  name: groupName.describe('the group name'),
  gid: z.int().min(0).max(MAX_ID).optional().describe('a fixed GID inside the gids range; allocated when left out'),
  description: z.string().optional().describe('what the group is for'),
});

const typeName = z.string().regex(NAME, { error: 'must be a name: lower case letters, digits, _ and -, starting with a letter' });

/** SCIM provisioning (DESIGN.md §5 "SCIM mapping"). */
const scim = z.strictObject({
  // The type of accounts SCIM creates; the first declared type when unset (see scimAccountType).
  accountType: typeName.optional().describe('the type of accounts SCIM creates; the first declared type when left out'),
  // What a SCIM DELETE does: retire with the type's grace periods, or purge at once.
  onDelete: z.enum(['retire', 'purge']).default('retire').describe("what a SCIM DELETE does: retire with the type's grace periods, or purge at once"),
});

/** `host:port`, `[v6]:port`; port 0 asks the system for a free one. */
const listen = z.string().superRefine((text, ctx) => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  if (m === null || Number(m[3]) > 65_535) ctx.addIssue({ code: 'custom', message: `must be host:port such as 127.0.0.1:8080 or [::1]:8080, got "${text}"` });
});

/** `roster serve` (DESIGN.md §7 "API": body size, page size and rate limits). */
const server = z
  .strictObject({
    listen: listen.default('127.0.0.1:8080').describe('the address roster serve listens on: host:port or [v6]:port; port 0 takes a free one'),
    // Larger request bodies get 413 before they are read whole.
    maxBodyBytes: z.int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).describe('larger request bodies get 413 before they are read whole'),
    // Roster files uploaded to POST /api/v1/sync/{source} (100,000 rows are a few MiB).
    maxUploadBytes: z.int().min(1024).max(1024 * 1024 * 1024).default(64 * 1024 * 1024).describe('the largest roster file POST /api/v1/sync/{source} takes, and the largest usage report an agent sends (POST /api/v1/hosts/{host}/usage)'),
    pageSize: z
      .strictObject({ default: z.int().min(1).max(10_000).default(100).describe('the page size when the client names none'), max: z.int().min(1).max(10_000).default(1000).describe('the largest page a client may ask for') })
      .superRefine((p, ctx) => {
        if (p.default > p.max) ctx.addIssue({ code: 'custom', path: ['default'], message: `the default page size (${p.default}) exceeds the maximum (${p.max})` });
      })
      .prefault({})
      .describe('page sizes of list answers: the default and the most a client may ask for'),
    // A token bucket per API token, in each server process's memory.
    rateLimit: z
      .strictObject({
        perSecond: z.number().positive().max(1_000_000).default(20).describe('requests per second a token may make on average'),
        burst: z.int().min(1).max(10_000_000).default(200).describe('requests a token may make at once'),
      })
      .prefault({})
      .describe('a token bucket per API token, in each server process'),
    // GET /metrics needs an admin, operator or auditor token unless public (e.g. a scraper on a trusted network).
    metrics: z
      .strictObject({ public: z.boolean().default(false).describe('true: GET /metrics needs no token') })
      .prefault({})
      .describe('the Prometheus metrics at GET /metrics'),
  })
  .prefault({});
/** The member portal under /portal (issue 14): sessions, throttling, links. */
const portal = z
  .strictObject({
    siteName: text.default('Roster').describe("the site's name, shown in every portal page's header and title"),
    // Links in mail (e-mail confirmations) are absolute: the portal's address as members reach it.
    publicUrl: httpUrl.optional().describe('the address members reach the portal at (e.g. https://accounts.example.org), for links in mail'),
    // {personId} and {amount} (e.g. 25.00) are filled in; left out, the member page shows no pay link.
    payLink: httpUrl.optional().describe("the member page's pay link; {personId} and {amount} are filled in, e.g. https://pay.example.org/?member={personId}&amount={amount}"),
    session: z
      .strictObject({
        idleMinutes: z.int().min(1).max(24 * 60).default(30).describe('a session unused this long ends'),
        absoluteHours: z.int().min(1).max(24 * 30).default(12).describe('a session ends this long after sign-in, used or not'),
      })
      .prefault({})
      .describe('portal sign-in sessions, kept in the store'),
    throttle: z
      .strictObject({
        attempts: z.int().min(1).max(1000).default(5).describe('failed attempts per key (client address, username, person) within the window before a wait'),
        windowMinutes: z.int().min(1).max(24 * 60).default(15).describe('the window failed attempts are counted in, and the longest wait'),
      })
      .prefault({})
      .describe('how sign-in and sign-up identification attempts are limited'),
    // Long enough for a slow reader, short enough that an old link found in a mailbox no longer works.
    emailConfirmHours: z.int().min(1).max(24 * 14).default(24).describe('an e-mail change must be confirmed (the link sent to the new address) within this many hours'),
    // Behind a reverse proxy that terminates TLS: believe its X-Forwarded-Proto and X-Forwarded-For.
    trustProxy: z.boolean().default(false).describe('believe X-Forwarded-Proto and X-Forwarded-For (roster serve behind a reverse proxy that sets them)'),
  })
  .prefault({});
/**
 * The admin console under /console (issue 16): who may sign in and with
 * which role. Each role admits what an API token of that role admits
 * (src/server/permissions.ts). Everyone named signs in with their own Roster
 * account's password and a second factor (TOTP) set up at the first sign-in.
 */
const consoleUsers = (role: string) =>
  z
    .array(z.string().regex(/^[a-z_][a-z0-9_-]*$/, { error: 'must be a username' }))
    .default(() => [])
    .describe(`usernames that sign in to the console as ${role}`);
const consoleSettings = z
  .strictObject({
    admins: consoleUsers('admin: everything, including tokens and approving mass changes'),
    operators: consoleUsers('operator: reads and day-to-day changes; no tokens, no approvals'),
    auditors: consoleUsers('auditor: reads only'),
    issuer: z.string().min(1).max(100).default('Roster').describe('the name authenticator apps show for the console\'s codes'),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, string>();
    for (const role of ['admins', 'operators', 'auditors'] as const) {
      c[role].forEach((name, i) => {
        const other = seen.get(name);
        if (other !== undefined) ctx.addIssue({ code: 'custom', path: [role, i], message: `${name} is already listed in ${other}; give each person one role` });
        else seen.set(name, role);
      });
    }
  })
  .prefault({});
/**
 * The public status page under /status (seed GlobeNet: "a status page so
 * users hear about interventions"), served only with `enabled: true` (it
 * is public). Nothing internal is shown unless a setting here says so:
 * components are named by their ids (`shell`, `shell/login`) or the names
 * given here.
 */
const statusComponent = z.strictObject({
  name: z.string().min(1).max(100).optional().describe('the name the page shows instead of the id'),
  description: z.string().max(500).optional().describe('one line under the name'),
  hidden: z.boolean().default(false).describe('leave this component off the page (and the feed)'),
});
const status = z
  .strictObject({
    // Off unless turned on: the page is public, and an upgrade must not publish every host and service by itself.
    enabled: z.boolean().default(false).describe('serve the public status page at /status, to anyone (no sign-in), and its feed and e-mail subscriptions; off unless set to true'),
    title: z.string().min(1).max(200).default('Service status').describe("the page's title"),
    description: z.string().max(2000).optional().describe('a paragraph under the title (who runs this, where to ask)'),
    // Links in mail and in the feed are absolute; portal.publicUrl is used when this is left out.
    publicUrl: httpUrl.optional().describe('the address people reach roster serve at, for the links in mail and in the feed (default: portal.publicUrl)'),
    agentIntervalSeconds: z.int().min(1).max(86_400).default(60).describe("how often the hosts' agents call the server (roster agent --interval)"),
    staleIntervals: z.int().min(1).max(1000).default(5).describe("a host whose agent has not called for this many intervals shows degraded"),
    historyDays: z.int().min(1).max(366).default(90).describe('days of history the page shows'),
    cacheSeconds: z.int().min(0).max(3600).default(30).describe('how long a rendered page is served again (and browsers may keep it)'),
    components: z
      .record(z.string().regex(/^[a-z][a-z0-9-]*(?:\/[A-Za-z0-9_.-]+)?$/, { error: 'must be a host (shell) or a host and a service (shell/login)' }), statusComponent)
      .default(() => ({}))
      .describe('names, descriptions and hiding, by component id: a host (shell) or a service of a host (shell/login)'),
    expose: z
      .strictObject({
        services: z.boolean().default(true).describe("list each host's services (login, web, databases …) under it"),
        changelog: z.boolean().default(true).describe('show the changelog entries marked public'),
        hostDescriptions: z.boolean().default(false).describe("show hosts.<host>.description under each host (it may say more than members should read)"),
      })
      .prefault({})
      .describe('what the page shows beyond states, incidents and maintenance'),
    subscriptions: z
      .strictObject({
        enabled: z.boolean().default(true).describe('offer e-mail subscriptions (confirmed by a link) to incidents and maintenance'),
        confirmHours: z.int().min(1).max(24 * 14).default(48).describe('a sign-up must be confirmed (the link in the mail) within this many hours'),
        attempts: z.int().min(1).max(1000).default(5).describe('sign-ups per client address, and per e-mail address, within the window'),
        windowMinutes: z.int().min(1).max(24 * 60).default(60).describe('the window sign-ups are counted in'),
      })
      .prefault({})
      .describe('e-mail subscriptions'),
  })
  .prefault({});
const sourceName = typeName.refine((name) => !BUILT_IN_SOURCES.includes(name), { error: `must not be ${BUILT_IN_SOURCES.join(' or ')}, which Roster uses itself` });
const hostName = z.string().regex(HOST_NAME, { error: 'must be a host name: lower case letters, digits and -, starting with a letter' });

const database = text.superRefine((url, ctx) => {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'postgres' && scheme !== 'postgresql') {
    ctx.addIssue({ code: 'custom', message: `must be an SQLite file path or a postgres:// URL, not ${scheme}://` });
  }
});

export const configSchema = z
  .strictObject({
    timeZone: timeZone.default(hostTimeZone).meta({
      description: 'the IANA time zone for schedules and for "start of day" in grace periods, e.g. Europe/Berlin',
      // Computed where Roster runs: the page says so in words rather than printing the build machine's zone.
      defaultDescription: "the host's time zone",
    }),
    database: database.default('roster.db').describe('an SQLite file (relative to roster.yaml) or a postgres:// URL; DATABASE_URL and --db take precedence'),
    secrets: z
      .strictObject({ hmacKeyFile: text.default('roster.hmac-key').describe('the key that hashes identity-verification attributes (written by roster init, mode 0600)') })
      .prefault({})
      .describe('where secrets are kept'),
    uids: idRange('uid').prefault({}).describe('the range new UIDs come from; a UID is never reused'),
    gids: idRange('gid').prefault({}).describe('the range new GIDs come from'),
    usernames: z
      .strictObject({
        pattern: regexSource.default('^[a-z][a-z0-9-]{0,30}$').describe('the rule every username must match (a regular expression)'),
        // Institutional ids (RATS step 6): never hand them out as usernames.
        reserved: z.array(regexSource).default(() => ['^[a-z]{1,4}[0-9]+$']).describe('patterns of names never handed out, such as institutional ids'),
        reservedNames: z.array(text).default(() => [...RESERVED_NAMES]).describe('names never handed out'),
        allowDots: z.boolean().default(false).describe('whether suggestions may contain dots (first.last)'),
        suggestions: z.int().min(1).max(100).default(8).describe('how many usernames are suggested'),
      })
      .prefault({})
      .describe('username rules and suggestions'),
    freeze: z
      .strictObject({ keep: z.array(text).default(() => ['mail', 'portal']).describe("services a frozen account keeps (a retired one keeps none): portal, mail, or a service of a target (roster config check --targets lists them)") })
      .prefault({})
      .describe('what a freeze leaves working'),
    purge: z
      .strictObject({
        schedule: cron.default('50 4 * * *').describe('when the purge job runs (cron syntax, in timeZone)'),
        archive: z.boolean().default(true).describe('archive each account (home tarball with a SHA-256 manifest, its entries) before removing it'),
        archiveDir: absolutePath().default('/var/lib/roster/archive').describe('where archives are written'),
      })
      .prefault({})
      .describe('purging accounts whose purge date has come'),
    apply: z
      .strictObject({ schedule: cron.default('* * * * *').describe('when roster serve (or roster jobs run apply) applies the hosts with appliedBy: server (cron syntax)') })
      .prefault({})
      .describe('the apply job: hosts whose targets the server applies itself'),
    // How long a purged account's username stays reserved for its person
    // once no roster source has them (`roster reservations prune`).
    reservations: z
      .strictObject({ retainDays: days.default(365).describe("days a purged account's username stays reserved once its person is in no roster source") })
      .prefault({})
      .describe('username and UID reservations; UIDs are never reused'),
    breaker: z
      .strictObject({
        count: z.int().min(0).default(50).describe('accounts a run may retire, purge or remove without --allow-mass-change'),
        percent: z.number().min(0).max(100).default(5).describe('the same as a percentage of all accounts; the larger of the two applies'),
      })
      .prefault({})
      .describe('the circuit breaker: a run that would retire, purge or remove more stops before its first change'),
    billing: z
      .strictObject({
        schedule: cron.default('0 6 * * *').describe('when the billing job runs (cron syntax)'),
        warnLeadDays: z.array(days).default(() => [60, 45]).describe('days before the balance runs out when members are warned'),
        freezeLeadDays: days.default(30).describe('days before the balance runs out when the account is frozen'),
        currency: z.string().regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code such as USD or EUR' }).default('USD').describe('the currency of dues and payments'),
      })
      .superRefine((billing, ctx) => {
        billing.warnLeadDays.forEach((lead, i) => {
          if (lead <= billing.freezeLeadDays) {
            ctx.addIssue({ code: 'custom', path: ['warnLeadDays', i], message: `a warning ${lead} days ahead would come after the freeze at ${billing.freezeLeadDays} days; warn leads must exceed freezeLeadDays` });
          }
        });
      })
      .prefault({})
      .describe('monthly dues, warnings and the billing freeze'),
    notify: notify.prefault({}).describe('member and admin e-mail'),
    scim: scim.prefault({}).describe('SCIM provisioning from an identity provider'),
    server: server.describe('roster serve'),
    portal: portal.describe('the member portal (/portal on roster serve)'),
    status: status.describe('the public status page (/status on roster serve)'),
    console: consoleSettings.describe('the admin console (/console on roster serve)'),
    groups: z.array(explicitGroup).default(() => []).describe('groups declared up front (account types may name others, made as needed)'),
    hosts: z.record(hostName, host).default(() => ({})).describe('the managed hosts by name'),
    sources: z.record(sourceName, source).default(() => ({})).describe('roster sources (CSV files imported by roster sync) by name'),
    types: z
      .record(typeName, accountType)
      .refine((types) => Object.keys(types).length > 0, { error: 'declare at least one account type' })
      .describe('account types by name; at least one'),
  })
  // Runs even when other parts failed, so one pass reports every problem.
  .superRefine(crossReferences, { when: () => true });

export type RosterConfig = DeepReadonly<z.output<typeof configSchema>>;
export type AccountTypeConfig = RosterConfig['types'][string];
export type SourceConfig = RosterConfig['sources'][string];
export type HostConfig = RosterConfig['hosts'][string];
export type NotifyConfig = RosterConfig['notify'];
export type ServerConfig = RosterConfig['server'];
export type PortalConfig = RosterConfig['portal'];
export type StatusConfig = RosterConfig['status'];

type Loose = Readonly<Record<string, unknown>>;

function asRecord(value: unknown): Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Loose) : {};
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function known(names: Loose): string {
  const keys = Object.keys(names);
  return keys.length === 0 ? 'none declared' : `declared: ${keys.join(', ')}`;
}

/**
 * The value may be partly invalid here (it runs despite earlier issues), so
 * it is read as unknown and only well-formed references are checked.
 */
function crossReferences(value: unknown, ctx: z.RefinementCtx): void {
  const root = asRecord(value);
  const hosts = asRecord(root.hosts);
  const types = asRecord(root.types);

  for (const [name, type] of Object.entries(types)) {
    const typeHosts = asRecord(asRecord(type).hosts);
    for (const kind of ['live', 'login'] as const) {
      asArray(typeHosts[kind]).forEach((h, i) => {
        if (typeof h === 'string' && !Object.hasOwn(hosts, h)) {
          ctx.addIssue({ code: 'custom', path: ['types', name, 'hosts', kind, i], message: `host "${h}" is not declared under hosts (${known(hosts)})` });
        }
      });
    }
  }

  for (const id of Object.keys(asRecord(asRecord(root.status).components))) {
    const host = id.split('/')[0] ?? id;
    if (!Object.hasOwn(hosts, host)) ctx.addIssue({ code: 'custom', path: ['status', 'components', id], message: `host "${host}" is not declared under hosts (${known(hosts)})` });
  }

  const scimType = asRecord(root.scim).accountType;
  if (typeof scimType === 'string' && !Object.hasOwn(types, scimType)) {
    ctx.addIssue({ code: 'custom', path: ['scim', 'accountType'], message: `account type "${scimType}" is not declared under types (${known(types)})` });
  }

  for (const [name, src] of Object.entries(asRecord(root.sources))) {
    for (const [role, list] of Object.entries(asRecord(asRecord(src).types))) {
      asArray(list).forEach((t, i) => {
        if (typeof t === 'string' && !Object.hasOwn(types, t)) {
          ctx.addIssue({ code: 'custom', path: ['sources', name, 'types', role, i], message: `account type "${t}" is not declared under types (${known(types)})` });
        }
      });
    }
  }

  const gids = asRecord(root.gids);
  const names = new Map<string, number>();
  const gidOwners = new Map<number, string>();
  asArray(root.groups).forEach((g, i) => {
    const group = asRecord(g);
    if (typeof group.name === 'string') {
      const first = names.get(group.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['groups', i, 'name'], message: `group ${group.name} is already declared at groups[${first}]` });
      else names.set(group.name, i);
    }
    const gid = group.gid;
    if (typeof gid !== 'number' || !Number.isInteger(gid)) return;
    const owner = gidOwners.get(gid);
    if (owner !== undefined) ctx.addIssue({ code: 'custom', path: ['groups', i, 'gid'], message: `gid ${gid} is already used by group ${owner}` });
    else gidOwners.set(gid, typeof group.name === 'string' ? group.name : `groups[${i}]`);
    if (typeof gids.min === 'number' && typeof gids.max === 'number' && (gid < gids.min || gid > gids.max)) {
      ctx.addIssue({ code: 'custom', path: ['groups', i, 'gid'], message: `gid ${gid} is outside the gids range ${gids.min}-${gids.max}` });
    }
  });
}
