import { describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import { configSchema } from './config-schema.js';
import { homesTypeSettingsSchema } from '../targets/homes/homes-type-settings.js';
import { typeQuotas } from '../targets/quota/quota-type-settings.js';
import { targetRegistry } from '../targets/registry.js';
import { parseConfig } from './load-config.js';

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'roster.yaml', { targets: targetRegistry });
  } catch (e) {
    if (e instanceof RosterError && e.code === 'bad_config') return e.issues.map((i) => `${i.where}: ${i.message}`);
    throw e;
  }
  throw new Error(`expected the config to be rejected:\n${text}`);
}

/** A config whose only account type `t` has `body` (flow-style YAML map entries). */
function typed(body: string, top = ''): string {
  return `${top}\ntypes:\n  t: { ${body} }\n`;
}

const HOSTS = 'hosts: { shell: {}, web: {} }';

describe('configSchema: one problem per broken rule, named by its field', () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    // top level
    ['a bad time zone', 'timeZone: Mars/Olympus\ntypes: { t: {} }', 'timeZone: "Mars/Olympus" is not an IANA time zone'],
    ['a database URL of another kind', 'database: mysql://db/roster\ntypes: { t: {} }', 'database: must be an SQLite file path or a postgres:// URL, not mysql://'],
    ['uids min above max', typed('', 'uids: { min: 500, max: 100 }'), 'uids: uid range min (500) exceeds max (100)'],
    ['gids min above the default max', typed('', 'gids: { min: 60000 }'), 'gids: gid range min (60000) exceeds max (59999)'],
    ['a zero uid', typed('', 'uids: { min: 0 }'), 'uids.min: must be at least 1'],
    ['a fractional gid', typed('', 'gids: { max: 1.5 }'), 'gids.max: expected a whole number, got 1.5'],
    ['a bad username pattern', typed('', "usernames: { pattern: '(' }"), 'usernames.pattern: is not a valid regular expression'],
    ['a bad reserved regex', typed('', "usernames: { reserved: ['ok', '[z-a]'] }"), 'usernames.reserved[1]: is not a valid regular expression'],
    ['zero suggestions', typed('', 'usernames: { suggestions: 0 }'), 'usernames.suggestions: must be at least 1'],
    ['a non-boolean allowDots', typed('', 'usernames: { allowDots: "no" }'), 'usernames.allowDots: expected true or false, got the string "no"'],
    ['a cron with four fields', typed('', "purge: { schedule: '50 4 * *' }"), 'purge.schedule: must have 5 fields'],
    ['a cron minute out of range', typed('', "purge: { schedule: '61 4 * * *' }"), 'purge.schedule: minute 61 is outside 0-59'],
    ['a cron with names', typed('', "billing: { schedule: '0 6 * * MON' }"), 'billing.schedule: day of week field "MON" may only contain digits'],
    ['a relative archive dir', typed('', 'purge: { archiveDir: archive }'), 'purge.archiveDir: must be an absolute path'],
    ['a breaker percent over 100', typed('', 'breaker: { percent: 150 }'), 'breaker.percent: must be at most 100'],
    ['a negative breaker count', typed('', 'breaker: { count: -1 }'), 'breaker.count: must be at least 0'],
    ['a warning after the freeze', typed('', 'billing: { warnLeadDays: [60, 20], freezeLeadDays: 30 }'), 'billing.warnLeadDays[1]: a warning 20 days ahead would come after the freeze at 30 days'],
    ['a lower-case currency', typed('', 'billing: { currency: usd }'), 'billing.currency: must be an ISO 4217 code'],
    ['a bad group name', typed('', 'groups: [{ name: Staff }]'), 'groups[0].name: must be a group name'],
    ['a group declared twice', typed('', 'groups: [{ name: staff }, { name: staff }]'), 'groups[1].name: group staff is already declared at groups[0]'],
    ['a gid used twice', typed('', 'groups: [{ name: a, gid: 20000 }, { name: b, gid: 20000 }]'), 'groups[1].gid: gid 20000 is already used by group a'],
    ['a gid outside the range', typed('', 'groups: [{ name: a, gid: 100 }]'), 'groups[0].gid: gid 100 is outside the gids range 10000-59999'],
    ['an unknown key in a group', typed('', 'groups: [{ name: a, members: [x] }]'), 'groups[0].members: unknown key'],
    ['a bad host name', typed('', 'hosts: { Shell: {} }'), 'hosts.Shell: bad name "Shell": must be a host name'],
    ['an unknown key in a host', typed('', 'hosts: { shell: { target: {} } }'), 'hosts.shell.target: unknown key (did you mean targets?)'],
    ['no account types', 'types: {}', 'types: declare at least one account type'],
    ['no types key at all', 'hosts: {}', 'roster.yaml:1:1: types: is required'],
    ['a list instead of a map', '- types\n', 'roster.yaml:1:1: (top level): expected a map, got a list'],
    ['a bad type name', 'types: { Staff: {} }', 'types.Staff: bad name "Staff"'],
    // sources
    ['a source giving an undeclared type', 'sources: { s: { columns: { id: a, firstName: b, lastName: c }, types: { STAFF: [t, staff] } } }\ntypes: { t: {} }', 'sources.s.types.STAFF[1]: account type "staff" is not declared under types (declared: t)'],
    ['a source named scim', 'sources: { scim: { columns: { id: a, firstName: b, lastName: c }, types: {} } }\ntypes: { t: {} }', 'sources.scim: bad name "scim": must not be manual or scim'],
    ['a source format other than csv', 'sources: { s: { format: tsv, columns: { id: a, firstName: b, lastName: c }, types: {} } }\ntypes: { t: {} }', 'sources.s.format: must be "csv", got the string "tsv"'],
    ['a two-character delimiter', "sources: { s: { delimiter: ',,', columns: { id: a, firstName: b, lastName: c }, types: {} } }\ntypes: { t: {} }", 'sources.s.delimiter: must be a single character'],
    ['a separator equal to the delimiter', "sources: { s: { multiValueSeparator: ',', columns: { id: a, firstName: b, lastName: c }, types: {} } }\ntypes: { t: {} }", 'sources.s.multiValueSeparator: must differ from the delimiter ","'],
    ['a source without an id column', 'sources: { s: { columns: { firstName: b, lastName: c }, types: {} } }\ntypes: { t: {} }', 'sources.s.columns.id: is required'],
    ['a source without types', 'sources: { s: { columns: { id: a, firstName: b, lastName: c } } }\ntypes: { t: {} }', 'sources.s.types: is required'],
    ['a source grace with D > P', 'sources: { s: { columns: { id: a, firstName: b, lastName: c }, types: {}, grace: { deactivation: 9, deletion: 3 } } }\ntypes: { t: {} }', 'sources.s.grace: deactivation grace (9 days) exceeds deletion grace (3 days)'],
    ['a bad verification attribute name', 'sources: { s: { columns: { id: a, firstName: b, lastName: c, verification: { Birth: dob } }, types: {} } }\ntypes: { t: {} }', 'sources.s.columns.verification.Birth: bad name "Birth"'],
    ['a source role in lower case', 'sources: { s: { columns: { id: a, firstName: b, lastName: c }, types: { student: [t] } } }\ntypes: { t: {} }', 'sources.s.types.student: bad name "student": must be a role'],
    ['a bad extra source role', 'sources: { s: { columns: { id: a, firstName: b, lastName: c }, types: {}, roles: [Staff] } }\ntypes: { t: {} }', 'sources.s.roles[0]: must be a role'],
    ['a source breaker over 100 %', 'sources: { s: { columns: { id: a, firstName: b, lastName: c }, types: {}, breaker: { count: 5, percent: 101 } } }\ntypes: { t: {} }', 'sources.s.breaker.percent: must be at most 100'],
    // notify
    ['an unknown transport', typed('', 'notify: { transport: pigeon }'), 'notify.transport: must be one of none, smtp, sendmail'],
    ['smtp without its settings', typed('', 'notify: { transport: smtp }'), 'notify.smtp: is required when transport is smtp'],
    ['an smtp port out of range', typed('', 'notify: { smtp: { host: h, port: 70000 } }'), 'notify.smtp.port: must be at most 65535'],
    ['smtp auth without a password file', typed('', 'notify: { smtp: { host: h, auth: { user: u } } }'), 'notify.smtp.auth.passwordFile: is required'],
    ['a relative sendmail path', typed('', 'notify: { sendmail: { path: sendmail } }'), 'notify.sendmail.path: must be an absolute path'],
    ['a bad from address', typed('', "notify: { from: 'roster at example' }"), 'notify.from: must be an e-mail address'],
    ['an admin address with a newline', typed('', 'notify: { adminAddress: "a@b.org\\nBcc: x@y.org" }'), 'notify.adminAddress: must be an e-mail address'],
    ['a portal URL that is not http', typed('', "notify: { portalUrl: 'ftp://x' }"), 'notify.portalUrl: must be an http:// or https:// URL'],
    ['a notify schedule with six fields', typed('', "notify: { schedule: '* * * * * *' }"), 'notify.schedule: must have 5 fields'],
    ['zero delivery attempts', typed('', 'notify: { maxAttempts: 0 }'), 'notify.maxAttempts: must be at least 1'],
    ['a misspelled notify key', typed('', 'notify: { adminAdress: a@b.org }'), 'notify.adminAdress: unknown key (did you mean adminAddress?)'],
    // account types
    ['generated passwords for a kerberos type', typed("auth: kerberos, principal: '{username}@X.ORG', initialPassword: generate"), 'types.t.initialPassword: generate needs auth: crypt'],
    ['an unknown initialPassword', typed('initialPassword: random'), 'types.t.initialPassword: must be one of none, generate'],
    ['an unknown auth', typed('auth: kerb'), "types.t.auth: must be crypt, kerberos, locked or { literal: '*' }"],
    ['kerberos without a principal', typed('auth: kerberos'), 'types.t.principal: is required when auth is kerberos'],
    ['a principal without {username}', typed("auth: kerberos, principal: 'x@EXAMPLE.ORG'"), 'types.t.principal: must contain {username}'],
    ['a literal password with a colon', typed("auth: { literal: 'a:b' }"), "types.t.auth.literal: must not contain ':' or newlines"],
    ['an empty literal password', typed("auth: { literal: '' }"), 'types.t.auth.literal: must not be empty'],
    ['a relative shell', typed('shell: bash'), 'types.t.shell: must be an absolute path, got "bash"'],
    ['a shell with a colon', typed("shell: '/bin/a:b'"), "types.t.shell: must not contain ':'"],
    ['a home without {username}', typed('home: /home/all'), 'types.t.home: must contain {username}'],
    ['a relative home', typed("home: 'home/{username}'"), 'types.t.home: must be an absolute path'],
    ['a home with an unknown placeholder', typed("home: '/home/{user}'"), 'types.t.home: unknown placeholder {user}'],
    ['a home with ..', typed("home: '/home/../{username}'"), "types.t.home: must not contain '..'"],
    ['a non-octal home mode', typed("targets: { homes: { mode: '0980' } }"), "types.t.targets.homes.mode: must be an octal mode such as '0750'"],
    ['an unquoted home mode', typed('targets: { homes: { mode: 0750 } }'), "types.t.targets.homes.mode: must be a quoted octal mode such as '0750'"],
    ['a bad home owner', typed('targets: { homes: { owner: nobody } }'), 'types.t.targets.homes.owner: must be one of user, root, got the string "nobody"'],
    ['a bad primary group', typed("primaryGroup: 'Big Group'"), 'types.t.primaryGroup: must be {username} (a user-private group) or a group name'],
    ['a bad extra group', typed('groups: [ok, Bad]'), 'types.t.groups[1]: must be a group name'],
    ['a relative skeleton source', typed('targets: { homes: { skeleton: { copy: [{ from: skel/.bashrc, to: .bashrc }] } } }'), 'types.t.targets.homes.skeleton.copy[0].from: must be an absolute path'],
    ['a skeleton target escaping the home', typed('targets: { homes: { skeleton: { link: [{ from: /etc/skel/x, to: ../x }] } } }'), "types.t.targets.homes.skeleton.link[0].to: must not contain '..'"],
    ['an absolute skeleton target', typed('targets: { homes: { skeleton: { copy: [{ from: /etc/skel/x, to: /x }] } } }'), 'types.t.targets.homes.skeleton.copy[0].to: must be relative to the home directory'],
    ['a hard quota below the soft one', typed('targets: { quota: { home: { soft: 5G, hard: 1G } } }'), 'types.t.targets.quota.home.hard: hard limit (1048576 KiB) is below the soft limit (5242880 KiB)'],
    ['a size without a unit it knows', typed('targets: { quota: { elsewhere: { soft: lots, hard: 1G } } }'), 'types.t.targets.quota.elsewhere.soft: must be a size such as 500M'],
    ['a mail quota without a path', typed('targets: { quota: { mail: { soft: 1G, hard: 2G } } }'), 'types.t.targets.quota.mail.path: is required'],
    ['a hook run by name', typed('targets: { hooks: { onCreate: [welcome, --new] } }'), 'types.t.targets.hooks.onCreate[0]: the program must be an absolute path'],
    ['an empty hook', typed('targets: { hooks: { onEnsure: [] } }'), 'types.t.targets.hooks.onEnsure: must list at least one item'],
    ['a zero hook timeout', typed('targets: { hooks: { timeoutSeconds: 0 } }'), 'types.t.targets.hooks.timeoutSeconds: must be at least 1'],
    ['a login host it does not live on', typed('hosts: { live: [shell], login: [web] }', HOSTS), 'types.t.hosts.login[0]: web is a login host but not listed in live'],
    ['an undeclared host', typed('hosts: { live: [shell, mail] }', HOSTS), 'types.t.hosts.live[1]: host "mail" is not declared under hosts (declared: shell, web)'],
    ['dues in fractions of a cent', typed('dues: 10.005'), 'types.t.dues: must have at most 2 decimals'],
    ['negative dues', typed('dues: -1'), 'types.t.dues: must be at least 0'],
    ['a negative grace', typed('grace: { deletion: -1 }'), 'types.t.grace.deletion: must be at least 0'],
    ['D > P', typed('grace: { deactivation: 20, deletion: 10 }'), 'types.t.grace: deactivation grace (20 days) exceeds deletion grace (10 days)'],
    ['D above the default P', typed('grace: { deactivation: 31 }'), 'types.t.grace: deactivation grace (31 days) exceeds deletion grace (30 days)'],
    ['a short minimum password length', typed('password: { minLength: 5 }'), 'types.t.password.minLength: must be at least 6'],
    ['five character classes', typed('password: { minClasses: 5 }'), 'types.t.password.minClasses: must be at most 4'],
    ['an md5 scheme', typed('password: { scheme: md5 }'), 'types.t.password.scheme: must be one of yescrypt, sha512crypt'],
    ['an e-mail role without a domain', typed('emailRole: STUDENT'), 'types.t.emailDomain: is required when emailRole is set'],
    ['a bad e-mail domain', typed("emailRole: STUDENT, emailDomain: 'not a domain'"), 'types.t.emailDomain: must be a domain name'],
    ['an unknown eligibility list', typed('eligibility: { roles: { any: [STAFF] } }'), 'types.t.eligibility.roles.any: unknown key'],
    ['an eligibility list that is not a list', typed('eligibility: { campuses: { some: NB } }'), 'types.t.eligibility.campuses.some: expected a list, got the string "NB"'],
    ['a misspelled type key', typed('homemode: "0700"'), 'types.t.homemode: unknown key (did you mean homeMode?)'],
    // Keys that moved into their target's section are answered with where they went.
    ['the old homeMode key', typed('homeMode: "0700"'), 'types.t.homeMode: moved to types.t.targets.homes.mode'],
    ['the old homeOwner key', typed('homeOwner: root'), 'types.t.homeOwner: moved to types.t.targets.homes.owner'],
    ['the old skeleton key', typed('skeleton: { copy: [] }'), 'types.t.skeleton: moved to types.t.targets.homes.skeleton'],
    ['the old quotas key', typed('quotas: { home: { soft: 1G, hard: 1G } }'), 'types.t.quotas: moved to types.t.targets.quota'],
    ['the old hooks key', typed('hooks: { timeoutSeconds: 5 }'), 'types.t.hooks: moved to types.t.targets.hooks'],
    ['type settings of an unknown target', typed('targets: { homs: {} }'), 'types.t.targets.homs: unknown target (did you mean homes?)'],
    ['type settings of a target that takes none', typed('targets: { login: {} }'), 'types.t.targets.login: the login target has no settings for account types'],
    ['a misspelt freeze.keep service', typed('', 'freeze: { keep: [mail, portl] }'), 'freeze.keep[1]: unknown service "portl" (did you mean portal?)'],
  ];

  it.each(cases)('rejects %s', (_name, text, expected) => {
    const problems = problemsOf(text);
    expect(problems.join('\n')).toContain(expected);
    expect(problems, problems.join('\n')).toHaveLength(1);
  });
});

describe('configSchema: accepted forms and conversions', () => {
  function typeOf(body: string, top = HOSTS) {
    const t = parseConfig(typed(body, top), 'roster.yaml', { targets: targetRegistry }).config.types.t;
    if (t === undefined) throw new Error('type t missing');
    return t;
  }

  it('converts quota sizes to KiB and takes plain numbers as KiB', () => {
    const t = typeOf('targets: { quota: { home: { soft: 500M, hard: 5G }, mail: { soft: 1024K, hard: 2048, path: /var/mail }, elsewhere: { soft: 0, hard: 1t } } }');
    expect(typeQuotas(t.targets)).toEqual({
      home: { soft: 512_000, hard: 5_242_880 },
      mail: { soft: 1024, hard: 2048, path: '/var/mail' },
      elsewhere: { soft: 0, hard: 1024 ** 3 },
    });
  });

  it('turns the octal home mode into a number and dues into cents', () => {
    const t = typeOf("targets: { homes: { mode: '2770' } }, dues: 12.5");
    expect(homesTypeSettingsSchema.parse(t.targets.homes).mode).toBe(0o2770);
    expect(t.dues).toBe(12.5);
    expect(t.duesCents).toBe(1250);
    expect(typeOf('dues: 0.29').duesCents).toBe(29);
  });

  it('accepts literal and kerberos auth, P = 0 with any D, and login hosts that are live', () => {
    expect(typeOf("auth: { literal: '*' }").auth).toEqual({ literal: '*' });
    const k = typeOf("auth: kerberos, principal: '{username}@EXAMPLE.ORG'");
    expect(k.principal).toBe('{username}@EXAMPLE.ORG');
    expect(typeOf('grace: { deactivation: 30, deletion: 0 }').grace).toEqual({ deactivation: 30, deletion: 0 });
    expect(typeOf('hosts: { live: [shell, web], login: [web] }').hosts).toEqual({ live: ['shell', 'web'], login: ['web'] });
  });

  it('accepts groups with gids in range and keeps their order', () => {
    const c = parseConfig(typed('', 'groups: [{ name: b, gid: 10001 }, { name: a }]'), 'roster.yaml').config;
    expect(c.groups).toEqual([{ name: 'b', gid: 10001 }, { name: 'a' }]);
  });

  it('keeps each target section as given, for the target to validate', () => {
    const c = parseConfig(typed('', 'hosts: { shell: { targets: { unix: { root: /, anything: [1, 2] } } } }'), 'roster.yaml').config;
    expect(c.hosts.shell?.targets).toEqual({ unix: { root: '/', anything: [1, 2] } });
  });

  it('accepts an smtp transport with auth, a sendmail path, addresses with display names and URLs', () => {
    const c = parseConfig(
      typed('', "notify: { transport: smtp, smtp: { host: mail.example.org, port: 465, secure: true, auth: { user: roster, passwordFile: smtp.pw } }, from: 'Roster <r@example.org>', adminAddress: root@example.org, portalUrl: 'https://p.example.org', payUrl: 'https://p.example.org/pay', templatesDir: tpl }"),
      'roster.yaml',
    ).config;
    expect(c.notify).toMatchObject({ transport: 'smtp', smtp: { host: 'mail.example.org', port: 465, secure: true, auth: { user: 'roster', passwordFile: 'smtp.pw' } }, adminAddress: 'root@example.org', templatesDir: 'tpl' });
    expect(parseConfig(typed('', 'notify: { transport: sendmail, sendmail: { path: /usr/lib/sendmail } }'), 'roster.yaml').config.notify.sendmail.path).toBe('/usr/lib/sendmail');
  });

  it('accepts a source with extra roles and its own breaker, and generated initial passwords for crypt types', () => {
    const c = parseConfig('sources: { s: { columns: { id: a, firstName: b, lastName: c }, types: { STUDENT: [t] }, roles: [STAFF], breaker: { count: 10, percent: 2 } } }\ntypes: { t: { initialPassword: generate } }', 'roster.yaml').config;
    expect(c.sources.s).toMatchObject({ roles: ['STAFF'], breaker: { count: 10, percent: 2 } });
    expect(c.types.t?.initialPassword).toBe('generate');
  });

  it('is a strict zod schema usable on its own', () => {
    const r = configSchema.safeParse({ types: { t: {} }, extra: 1 });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.code)).toEqual(['unrecognized_keys']);
  });
});
