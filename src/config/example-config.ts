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

# Usernames: a chosen name must match pattern (lower case, starts with
# a letter, at most 31 characters) and must not be reserved or in use.
usernames:
  pattern: '^[a-z][a-z0-9-]{0,30}$'
  # Shapes reserved for institutional ids (student or staff numbers): never offered as usernames.
  reserved: ['^[a-z]{1,4}[0-9]+$']
  allowDots: false
  # How many candidates \`roster account suggest\` offers.
  suggestions: 8

# Freezing: a frozen account keeps these services, so members can
# still read mail and reach the portal to pay.
freeze:
  keep: [mail, portal]

# Retirement grace periods end in a purge. The job runs on this cron schedule (also
# \`roster purge\` by hand, with --dry-run) and archives homes first.
purge:
  schedule: '50 4 * * *'
  archive: true
  archiveDir: /var/lib/roster/archive

# A purged account's username and UID stay reserved, so a returning person
# gets them back. \`roster reservations prune\` releases a username once its
# person is in no roster source any more and this many days have passed since
# the purge; the UID is never handed out again.
# reservations:
#   retainDays: 365

# Circuit breaker: a run that would retire, purge or remove more than
# max(count, percent of all accounts) stops before its first change. An empty
# or truncated roster file must never retire a whole school.
breaker:
  count: 50
  percent: 5

# Dues: members are warned this many days before their balance runs out,
# and frozen (freeze:billing) at freezeLeadDays. A payment lifts that hold.
billing:
  schedule: '0 6 * * *'
  warnLeadDays: [60, 45]
  freezeLeadDays: 30
  currency: USD

# Member and admin e-mail: billing warnings, freeze and unfreeze notices,
# retirement notices with the exact dates, purge notices, a digest of every job
# run for the admin, and \`roster announce\` intervention notices. Messages are
# queued with the change they report and sent after it is saved; failures are
# retried on the schedule below. With transport none they wait in the queue
# (\`roster notify list\`). Templates in templatesDir replace the built-in ones
# by file name (billing-warning.txt, frozen.txt, unfrozen.txt, retirement.txt,
# purged.txt, admin-digest.txt, announcement.txt, the portal's e-mail
# change: email-confirm.txt, email-change-asked.txt, email-changed.txt, the
# password link an admin sends from the console: password-reset.txt, the
# change watch's watch-report.txt, and the status page's status-confirm.txt
# and status-update.txt).
notify:
  transport: none            # none, smtp or sendmail
  # smtp: { host: mail.example.org, port: 587, secure: false, auth: { user: roster, passwordFile: smtp.password } }
  # sendmail: { path: /usr/sbin/sendmail }
  from: 'Roster <roster@example.org>'
  # adminAddress: root@example.org
  # templatesDir: templates
  # portalUrl: https://portal.example.org
  # payUrl: https://portal.example.org/pay
  schedule: '*/15 * * * *'

# The public status page (/status on roster serve): the hosts and their
# services with states from the agents, incidents and scheduled maintenance
# (roster status), public changelog entries, 90 days of history, an Atom feed
# and e-mail subscriptions (links need publicUrl). Nothing internal is shown.
# Off unless enabled: true (the page is public, no sign-in).
#BEGIN status
# status:
#   enabled: true
#   title: Example co-op status
#   publicUrl: https://status.example.org
#   components: { shell: { name: Shell server }, shell/cron: { hidden: true } }
#END status

# The admin console (/console on roster serve): who signs in with which role.
# Each signs in with their own account's password and a TOTP code (set up at
# the first sign-in, with ten recovery codes); roster console users lists
# them, roster console reset-factor USER forgets a lost second factor.
#BEGIN console
# console:
#   admins: [alice]       # everything, including tokens and approving mass changes
#   operators: [bob]      # day-to-day changes; no tokens, no approvals
#   auditors: [carol]     # reads only
#END console

# Groups with fixed descriptions (and optionally fixed GIDs inside the gids
# range). Groups named by account types but not declared here get the next free GID.
groups:
  - name: members
    description: co-op members
  - name: students
    description: enrolled students

# Hosts Roster manages. Each host enables targets with their own settings;
# account types say who lives on and who may log into which host.
# \`roster plan --host shell\` shows what \`roster apply --host shell\` would change
# (--root DIR works under a prefix, like useradd -R). Targets are applied in
# the order their constraints give: \`roster config check --targets\` prints it.
hosts:
  shell:
    description: login host for members and students
    targets:
      # Frozen and retired accounts are listed here; PAM refuses them with
      # pam_listfile (see docs/pam-login.md).
      login: { path: /etc/security/roster-frozen.users }
      # Disabled accounts go into cron.deny (mode allow: enabled ones into cron.allow).
      cron: { mode: deny }
      # Processes of disabled accounts get TERM, then KILL after the grace.
      processes: { graceSeconds: 10 }
      # Homes must lie inside these bases; purged homes are archived first
      # (default: purge.archive and purge.archiveDir above). Mode, owner and
      # skeleton come from the account types (types.<type>.targets.homes).
      homes: { base: [/home] }
      # passwd, shadow, group and gshadow: only Roster's own lines change; group
      # lines longer than groupLineLimit are split into <group>-x<n> (same GID).
      unix: { groupLineLimit: 1024, splitExtension: x }
      # The types' home/mail/elsewhere quotas (types.<type>.targets.quota):
      # kernel quotas through setquota (repquota must work on these
      # filesystems), or backend: btrfs for qgroup limits on home subvolumes.
      # Nothing to do while no type sets a quota.
      quota:
        backend: setquota
        filesystems: { home: /home }
      # pam_limits for everyone on the host, and per account type (cpu in minutes, as in KiB).
      limits:
        perHost: { nproc: { soft: 200, hard: 300 }, cpu: { soft: 600, hard: 720 } }
        perType:
          student: { as: { soft: 4194304, hard: 8388608 } }
      # Runs the account types' onCreate/onEnsure hooks (types.<type>.targets.hooks);
      # new accounts are recorded in stateFile (under the root) once their onCreate ran.
      hooks: { stateFile: /var/lib/roster/hooks-created.tsv, environment: { SITE: example } }
    # Change watch (roster watch, docs/watch.md): the agent snapshots these
    # directories every five minutes; once a change stays quiet for
    # quietMinutes, a report of the changed files, packages and changelog
    # entries goes to the server and notify.adminAddress, with changes nobody
    # explained flagged. Diffs stay on the host; secrets are never stored.
    #BEGIN watch
    # watch: { dirs: [/etc, /etc/nginx], quietMinutes: 60, stableDays: 3, secrets: ['*.pem'] }
    #END watch
  web:
    description: member web sites
    targets:
      limits:
        perHost: { nproc: 100 }
  # A host for the members' services: add it to a type's hosts.live to use
  # it. Each target talks to its own service; a hold reaches the service a
  # target stands for (databases, lists, web, or a user list's own) unless
  # freeze.keep names it. Databases, lists and web sites are owned resources,
  # added with roster resource add alice --kind postgres-database --name alice_blog --host services
  # (kinds mariadb-database, list and vhost alike).
  #BEGIN services
  # services:
  #   description: databases, mailing lists and web sites
  #   targets:
  #     postgres: { url: 'postgres://roster@/postgres?host=/var/run/postgresql' }
  #     mariadb: { url: 'mariadb://roster@localhost/?socket=/run/mysqld/mysqld.sock', hostPatterns: [localhost] }
  #     mail-lists: { mta: postfix, map: /etc/postfix/roster-lists, verify: { smtp: '127.0.0.1:25' } }
  #     vhosts: { server: nginx, dir: /etc/nginx/roster-vhosts, verify: { http: '127.0.0.1:80' } }
  #     user-list:
  #       lists: [{ path: /etc/vsftpd.user_list, mode: deny, service: ftp }]
  #END services
  # The directory and the KDC, applied by roster serve itself over the
  # network (appliedBy: server; no agent runs for them): account entries in
  # LDAP, and the principals of types with auth: kerberos. A billing freeze
  # takes SSH away (authorizedService sshd) and keeps IMAP and the
  # principal, which mail and the portal need.
  #BEGIN directory
  # directory:
  #   description: the LDAP directory and the Kerberos KDC
  #   appliedBy: server
  #   targets:
  #     ldap:
  #       url: ldap://ldap.example.org
  #       startTLS: true
  #       bindDn: cn=roster,ou=services,dc=example,dc=org
  #       bindPasswordFile: /etc/roster/ldap.password
  #       usersDn: ou=people,dc=example,dc=org
  #       groupsDn: ou=groups,dc=example,dc=org
  #       ppolicy: true
  #       authorizedService: { sshd: login, imap: mail, pop3: mail }
  #     kerberos: { realm: EXAMPLE.ORG, kadmin: { server: kdc.example.org, principal: roster/admin, keytab: /etc/roster/kadmin.keytab } }
  #END directory

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
    # Which account types each role gets. Roles listed under roles may appear
    # without giving an account; any other role in the file is an error.
    types:
      STUDENT: [student]
    roles: [STAFF, ALUMNI]
    # Grace periods in days: deactivate 14 days after leaving, purge after
    # 180. deletion 0 purges at once; deactivation must not exceed deletion.
    grace: { deactivation: 14, deletion: 180 }
    # A sync that would retire more than max(count, percent % of this source's
    # accounts) stops unless run with --allow-mass-change (default: breaker above).
    # breaker: { count: 50, percent: 5 }

# Account types: who is eligible, how they authenticate, what they get.
types:
  # A hosting co-op membership: monthly dues, frozen rather than
  # removed when dues lapse.
  member:
    description: co-op member
    # Offered for self-service sign-up in the portal.
    portal: true
    # Eligibility: "all" lists need every item, "some" lists at least one.
    eligibility:
      roles: { some: [MEMBER] }
    # crypt (a libcrypt hash), kerberos (needs principal), locked, or { literal: '*' }.
    auth: crypt
    shell: /bin/bash
    home: /home/{username}
    # {username} gives each account its own group, as useradd does.
    primaryGroup: '{username}'
    groups: [members]
    hosts:
      live: [shell, web]
      login: [shell]
    # What each target does for accounts of this type, in the target's own
    # settings (roster.yaml(5), TARGETS).
    targets:
      homes:
        mode: '0750'
        owner: user
        # Copied into new homes only; never overwritten later.
        skeleton:
          copy:
            - { from: /etc/skel/.bashrc, to: .bashrc }
            - { from: /etc/skel/.profile, to: .profile }
      # quota: { home: { soft: 5G, hard: 6G } }
      # hooks: { onCreate: [/usr/local/sbin/welcome, --new], timeoutSeconds: 30 }
    # Monthly, in the billing currency.
    dues: 10.00
    # Leaving members are disabled at once and purged after 90 days.
    grace: { deactivation: 0, deletion: 90 }
    password: { minLength: 10, minClasses: 3, scheme: yescrypt }

  # A school account: created for enrolled students on the listed
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
    # none, or generate: \`roster sync\` gives new accounts a random password and
    # writes it only to --password-file (created with mode 0600).
    initialPassword: none
`;
}
