import type { Generated } from 'kysely';

/**
 * Row shapes of the tables created by the migrations, identical on SQLite and
 * PostgreSQL. Times are ISO 8601 UTC text (`2026-01-02T03:04:05.000Z`, which
 * sorts as time), money is integer cents, lists and maps are JSON text and
 * booleans are 0/1, so one set of queries serves both dialects.
 */
export interface RosterDatabase {
  readonly people: PeopleTable;
  readonly accounts: AccountsTable;
  readonly holds: HoldsTable;
  readonly reservations: ReservationsTable;
  readonly counters: CountersTable;
  readonly groups: GroupsTable;
  readonly ledger: LedgerTable;
  readonly notices: NoticesTable;
  readonly audit: AuditTable;
  readonly audit_head: AuditHeadTable;
  readonly api_tokens: ApiTokensTable;
  readonly scim_users: ScimUsersTable;
  readonly scim_groups: ScimGroupsTable;
  readonly mass_changes: MassChangesTable;
  readonly host_reports: HostReportsTable;
  readonly job_runs: JobRunsTable;
  readonly outbox: OutboxTable;
  readonly resources: ResourcesTable;
  readonly usage_figures: UsageFiguresTable;
  readonly portal_sessions: PortalSessionsTable;
  readonly portal_attempts: PortalAttemptsTable;
  readonly portal_email_changes: PortalEmailChangesTable;
  readonly portal_signups: PortalSignupsTable;
  readonly status_events: StatusEventsTable;
  readonly status_updates: StatusUpdatesTable;
  readonly status_overrides: StatusOverridesTable;
  readonly status_days: StatusDaysTable;
  readonly status_contacts: StatusContactsTable;
  readonly status_subscribers: StatusSubscribersTable;
  readonly changelog: ChangelogTable;
  readonly watch_reports: WatchReportsTable;
  readonly console_sessions: ConsoleSessionsTable;
  readonly console_second_factors: ConsoleSecondFactorsTable;
  readonly person_emails: PersonEmailsTable;
  readonly desired_changes: DesiredChangesTable;
}

export interface PeopleTable {
  id: string;
  source: string;
  first_name: string;
  last_name: string;
  /** JSON array of strings. */
  roles: string;
  classes: string;
  campuses: string;
  majors: string;
  /** JSON object of strings. */
  emails: string;
  verification: string;
  created_at: string;
  updated_at: string;
}

export interface AccountsTable {
  id: Generated<number>;
  person_id: string;
  type: string;
  username: string;
  uid: number;
  gid: number;
  primary_group: string;
  gecos: string;
  shell: string;
  home: string;
  password_hash: string | null;
  principal: string | null;
  /** JSON array of group names. */
  groups: string;
  expires_at: string | null;
  purge_at: string | null;
  purged_at: string | null;
  /** 0 or 1. */
  pending: number;
  created_at: string;
  updated_at: string;
}

export interface HoldsTable {
  account_id: number;
  kind: string;
  reason: string;
  since: string;
  note: string | null;
  set_by: string;
}

export interface ReservationsTable {
  username: string;
  uid: number;
  person_id: string;
  created_at: string;
}

/** High-water marks (`uid`, `gid`): they only ever go up, so numbers are never reused. */
export interface CountersTable {
  name: string;
  value: number;
}

export interface GroupsTable {
  name: string;
  gid: number;
  description: string;
  /** JSON array of usernames. */
  members: string;
  created_at: string;
}

export interface LedgerTable {
  id: Generated<number>;
  person_id: string;
  at: string;
  kind: string;
  amount_cents: number;
  note: string | null;
}

export interface NoticesTable {
  person_id: string;
  kind: string;
  run_out_date: string;
  at: string;
}

export interface AuditTable {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  /** Canonical JSON. */
  before: string;
  after: string;
  result: string;
  prev_hash: string;
  hash: string;
}

/** Exactly one row (id = 1): the last record's seq and hash, updated with every append. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface JobRunsTable {
  id: Generated<number>;
  job: string;
  slot: string;
  started_at: string;
  finished_at: string | null;
  result: string;
  owner: string;
  started_by: string;
  /** 0 or 1. */
  forced: number;
  /** JSON object of counts. */
  counts: string;
  message: string | null;
}

export interface OutboxTable {
  id: Generated<number>;
  kind: string;
  recipient: string | null;
  /** JSON object. */
  data: string;
  dedupe_key: string | null;
  status: string;
  attempts: number;
  last_error: string | null;
  queued_at: string;
  next_attempt_at: string | null;
  sent_at: string | null;
  subject: string | null;
}

export interface ApiTokensTable {
  id: Generated<number>;
  role: string;
  host: string | null;
  /** SHA-256 of the token, hex. */
  hash: string;
  note: string | null;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  /** Updated at most every few minutes (recordTokenUse). */
  last_used_at: string | null;
}

export interface ScimUsersTable {
  account_id: number;
  user_name: string;
  external_id: string | null;
  deleted_at: string | null;
  /** JSON object. */
  attributes: string;
  created_at: string;
  updated_at: string;
}

export interface ScimGroupsTable {
  group_name: string;
  display_name: string;
  external_id: string | null;
  /** JSON object. */
  attributes: string;
  created_at: string;
  updated_at: string;
}

export interface MassChangesTable {
  id: string;
  action: string;
  /** JSON object. */
  params: string;
  /** JSON object. */
  summary: string;
  requested_by: string;
  requested_token: number | null;
  requested_at: string;
  expires_at: string;
  approved_by: string | null;
  approved_token: number | null;
  approved_at: string | null;
  /** JSON object. */
  result: string | null;
}

export interface HostReportsTable {
  id: Generated<number>;
  host: string;
  received_at: string;
  actor: string;
  revision: string | null;
  /** 0 or 1. */
  ok: number;
  /** JSON object. */
  report: string;
}

export interface ResourcesTable {
  id: Generated<number>;
  account_id: number;
  kind: string;
  name: string;
  host: string;
  /** JSON object. */
  settings: string;
  created_at: string;
  updated_at: string;
}

export interface UsageFiguresTable {
  id: Generated<number>;
  account_id: number;
  host: string;
  target: string;
  subject: string;
  bytes: number;
  measured_at: string;
}

export interface PortalSessionsTable {
  id_hash: string;
  person_id: string;
  account_id: number;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  address: string | null;
  user_agent: string | null;
}

export interface PortalAttemptsTable {
  id: Generated<number>;
  key: string;
  at: string;
}

export interface PortalEmailChangesTable {
  id: Generated<number>;
  token_hash: string;
  person_id: string;
  new_address: string;
  old_address: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** P2: a portal sign-up in progress (RATS steps 1-7). */
export interface PortalSignupsTable {
  id_hash: string;
  person_id: string | null;
  type: string | null;
  username: string | null;
  account_id: number | null;
  created_at: string;
  expires_at: string;
}

/** One intervention on a host (seed GlobeNet: time, who, what). */
export interface ChangelogTable {
  id: Generated<number>;
  host: string;
  at: string;
  author: string;
  text: string;
  /** 0 or 1. */
  public: number;
  /** `cli`, `api`, `apply` or `host-file`. */
  source: string;
  ref: string | null;
  created_at: string;
}

/** The status page: an incident or a scheduled maintenance. */
export interface StatusEventsTable {
  id: Generated<number>;
  /** `incident` or `maintenance`. */
  kind: string;
  title: string;
  /** `minor`, `major`, `critical`, or `maintenance`. */
  impact: string;
  state: string;
  /** JSON array of component ids. */
  components: string;
  scheduled_start: string | null;
  scheduled_end: string | null;
  started_at: string | null;
  ended_at: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
}

/** One entry of an incident's or a maintenance's timeline. */
export interface StatusUpdatesTable {
  id: Generated<number>;
  event_id: number;
  at: string;
  state: string;
  message: string;
  author: string;
}

export interface StatusOverridesTable {
  id: Generated<number>;
  component: string;
  state: string;
  note: string;
  set_at: string;
  set_by: string;
  cleared_at: string | null;
  cleared_by: string | null;
}

/** The worst automatic state of a component on a calendar day: 0 operational … 4 major outage. */
export interface StatusDaysTable {
  component: string;
  day: string;
  level: number;
}

export interface StatusContactsTable {
  host: string;
  last_seen_at: string;
}

export interface StatusSubscribersTable {
  id: Generated<number>;
  address: string;
  secret: string;
  created_at: string;
  /** SHA-256 of the confirmation link's token, hex. */
  confirm_hash: string | null;
  confirm_expires_at: string | null;
  confirmed_at: string | null;
}

/** 0008: change reports of `roster watch`, one per host and report id. */
export interface WatchReportsTable {
  id: Generated<number>;
  host: string;
  report_id: string;
  made_at: string;
  received_at: string;
  actor: string;
  files: number;
  unexplained: number;
  packages: number;
  /** JSON object. */
  report: string;
}

/** An admin console session (issue 16); complete once `stage` is `done`. */
export interface ConsoleSessionsTable {
  id_hash: string;
  account_id: number;
  stage: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  address: string | null;
  user_agent: string | null;
}

/** An admin's second factor (TOTP), sealed; with the hashes of unused recovery codes. */
export interface ConsoleSecondFactorsTable {
  account_id: number;
  sealed_secret: string;
  created_at: string;
  confirmed_at: string | null;
  last_step: number;
  /** JSON array of hex SHA-256. */
  recovery_hashes: string;
}

/** Each person's e-mail addresses, lower-cased, one row each: what the account search matches by prefix (people keep them as JSON). */
export interface PersonEmailsTable {
  address: string;
  person_id: string;
}

/** The change feed of the desired state (migration 0012), written by triggers. */
export interface DesiredChangesTable {
  seq: Generated<number>;
  /** account (ref: its id), group (ref: its name) or resource (ref: its id). */
  kind: string;
  ref: string;
}
