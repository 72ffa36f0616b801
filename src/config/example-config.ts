/**
 * The roster.yaml `roster init` writes. It is a working configuration, not
 * a template: it loads cleanly (tested), so a new site can start from it and
 * change one thing at a time with `roster config check`.
 */
export function exampleConfig(): string {
  return `# roster.yaml: the policy Roster enforces. Check changes with \`roster config check\`;
# every problem is reported as file:line:column. Unknown keys are errors, so a
# typo never silently turns a setting off. Relative paths are relative to this file.

# Dates such as "purge at the start of day" are midnights in this IANA zone.
# Default: the host's zone (honours TZ).
# timeZone: Europe/Berlin

# SQLite file (relative to this file) or a postgres:// URL. DATABASE_URL and
# --db override it.
database: roster.db

# Key for the HMAC of identity-verification attributes (student numbers,
# birth dates): Roster stores only keyed hashes, never the values. Back it up;
# without it no stored hash can be checked again.
secrets:
  hmacKeyFile: roster.hmac-key

# UIDs are handed out above the highest ever used and never reused, so a
# returning person gets their old UID back and backups stay consistent.
uids: { min: 10000, max: 59999 }
# User-private groups take GID = UID when free; other groups come from here.
gids: { min: 10000, max: 59999 }

# Usernames (RATS): a chosen name must match pattern (lower case, starts with
# a letter, at most 31 characters) and must not be reserved or in use.
usernames:
  pattern: '^[a-z][a-z0-9-]{0,30}$'
  # Shapes reserved for institutional ids (RATS): never offered as usernames.
  reserved: ['^[a-z]{1,4}[0-9]+$']
  allowDots: false
  # How many candidates \`roster account suggest\` offers.
  suggestions: 8

# HCoop member freezing: a frozen account keeps these services, so members can
# still read mail and reach the portal to pay.
freeze:
  keep: [mail, portal]

# UCS grace periods end in a purge. The job runs on this cron schedule (also
# \`roster purge\` by hand, with --dry-run) and archives homes first.
purge:
  schedule: '50 4 * * *'
  archive: true
  archiveDir: /var/lib/roster/archive

# Circuit breaker: a run that would retire, purge or remove more than
# max(count, percent of all accounts) stops before its first change. An empty
# or truncated roster file must never retire a whole school.
breaker:
  count: 50
  percent: 5

# HCoop dues: members are warned this many days before their balance runs out,
# and frozen (freeze:billing) at freezeLeadDays. A payment lifts that hold.
billing:
  schedule: '0 6 * * *'
  warnLeadDays: [60, 45]
  freezeLeadDays: 30
  currency: USD

# Groups with fixed descriptions (and optionally fixed GIDs inside the gids
# range). Groups named by account types but not declared here get the next free GID.
groups:
  - name: members
    description: co-op members
  - name: students
    description: enrolled students

# Hosts Roster manages. Each host enables targets (unix, homes, quota, limits,
# login, ...) with their own settings; account types say who lives on and who
# may log into which host.
hosts:
  shell:
    description: login host for members and students
    targets: {}
  web:
    description: member web sites
    targets: {}

# Roster sources: people imported with \`roster sync FILE.csv --source NAME\`.
# Someone missing from a later import is retired with the grace periods below;
# someone who reappears is reactivated with the same username and UID.
sources:
  school:
    format: csv
    delimiter: ','
    # Separates several roles, classes, campuses or majors inside one cell.
    multiValueSeparator: ';'
    columns:
      id: id
      firstName: first_name
      lastName: last_name
      roles: roles
      classes: classes
      campus: campus
      major: major
      email: email
    # Which account types each role gets.
    types:
      STUDENT: [student]
    # UCS grace periods in days: deactivate 14 days after leaving, purge after
    # 180. deletion 0 purges at once; deactivation must not exceed deletion.
    grace: { deactivation: 14, deletion: 180 }

# Account types (RATS): who is eligible, how they authenticate, what they get.
types:
  # A hosting co-op membership (HCoop): monthly dues, frozen rather than
  # removed when dues lapse.
  member:
    description: co-op member
    # Offered for self-service sign-up in the portal.
    portal: true
    # Eligibility (RATS): "all" lists need every item, "some" lists at least one.
    eligibility:
      roles: { some: [MEMBER] }
    # crypt (a libcrypt hash), kerberos (needs principal), locked, or { literal: '*' }.
    auth: crypt
    shell: /bin/bash
    home: /home/{username}
    homeMode: '0750'
    homeOwner: user
    # {username} gives each account its own group, as useradd does.
    primaryGroup: '{username}'
    groups: [members]
    # Copied into new homes only; never overwritten later.
    skeleton:
      copy:
        - { from: /etc/skel/.bashrc, to: .bashrc }
        - { from: /etc/skel/.profile, to: .profile }
    # quotas: { home: { soft: 5G, hard: 6G } }
    # hooks: { onCreate: [/usr/local/sbin/welcome, --new], timeoutSeconds: 30 }
    hosts:
      live: [shell, web]
      login: [shell]
    # Monthly, in the billing currency.
    dues: 10.00
    # Leaving members are disabled at once and purged after 90 days.
    grace: { deactivation: 0, deletion: 90 }
    password: { minLength: 10, minClasses: 3, scheme: yescrypt }

  # A school account (RATS, UCS): created for enrolled students on the listed
  # campuses, retired with grace periods when they leave the roster.
  student:
    description: student account
    portal: false
    eligibility:
      roles: { all: [STUDENT] }
      campuses: { some: [NB, NK, CM] }
    auth: crypt
    groups: [students]
    hosts:
      live: [shell]
      login: [shell]
    grace: { deactivation: 14, deletion: 180 }
    # The STUDENT e-mail of a new account's person becomes username@emailDomain,
    # and is removed again when the account is purged.
    emailRole: STUDENT
    emailDomain: example.edu
`;
}
