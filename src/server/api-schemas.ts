import * as z from 'zod';
import { hostAssignmentSchema } from '../desired/desired-host-schema.js';
import { TOKEN_ROLES } from '../store/queries/token-queries.js';

/**
 * The REST API's shapes (DESIGN.md §9.7): requests are parsed with these,
 * responses are checked against them before they leave, and
 * /api/v1/openapi.json is generated from them. Request objects are strict,
 * so a misspelt field is an error rather than silently ignored.
 */

const iso = z.string().meta({ format: 'date-time' });
const stringList = z.array(z.string().max(256)).max(1000);

// ------------------------------------------------------------------ shared

export const dryRunBody = z.strictObject({ dryRun: z.boolean().default(false) });

/** Keyset pages: `after` is the `next` of the previous page. */
export function pageQuery(defaultLimit: number, maxLimit: number) {
  return {
    after: z.string().max(256).optional().meta({ description: 'the `next` cursor of the previous page' }),
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit).meta({ description: `page size, at most ${maxLimit}` }),
  };
}

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next: z.string().nullable().meta({ description: 'pass as `after` for the next page; null on the last page' }) });
}

// ------------------------------------------------------------------ people

export const personSchema = z.object({
  id: z.string(),
  source: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  roles: z.array(z.string()),
  classes: z.array(z.string()),
  campuses: z.array(z.string()),
  majors: z.array(z.string()),
  emails: z.record(z.string(), z.string()),
  /** Names of verification attributes held (as HMACs); never the values. */
  verification: z.array(z.string()),
  createdAt: iso,
  updatedAt: iso,
});

export const personWithAccountsSchema = personSchema.extend({ accounts: z.array(z.string()) });

const personFields = {
  source: z.string().max(32).optional(),
  firstName: z.string().max(64),
  lastName: z.string().max(64),
  roles: stringList.optional(),
  classes: stringList.optional(),
  campuses: stringList.optional(),
  majors: stringList.optional(),
  emails: z.record(z.string().max(32), z.string().max(256)).optional(),
  verification: z.record(z.string().max(32), z.string().max(256)).optional().meta({ description: 'clear values, stored only as HMACs' }),
};

export const newPersonBody = z.strictObject({ id: z.string().max(128), ...personFields, dryRun: z.boolean().default(false) });
export const personPatchBody = z.strictObject({ ...personFields, firstName: personFields.firstName.optional(), lastName: personFields.lastName.optional(), dryRun: z.boolean().default(false) });

// ---------------------------------------------------------------- accounts

export const ACCOUNT_STATES = ['pending', 'active', 'disabled', 'purged'] as const;

export const accountSchema = z.object({
  username: z.string(),
  uid: z.int(),
  gid: z.int(),
  type: z.string(),
  personId: z.string(),
  state: z.enum(ACCOUNT_STATES),
  holds: z.array(z.object({ kind: z.string(), reason: z.string(), since: iso, note: z.string().nullable() })),
  expiresAt: iso.nullable(),
  purgeAt: iso.nullable(),
  purgedAt: iso.nullable(),
  primaryGroup: z.string(),
  groups: z.array(z.string()),
  gecos: z.string(),
  shell: z.string(),
  home: z.string(),
  principal: z.string().nullable(),
  passwordSet: z.boolean(),
  createdAt: iso,
  updatedAt: iso,
});

export const newAccountBody = z.strictObject({
  personId: z.string().max(128),
  type: z.string().max(64),
  username: z.string().max(64).optional(),
  password: z.string().max(1024).optional().meta({ description: 'initial password; hashed with crypt(3), never stored in clear', writeOnly: true }),
  skipEligibility: z.boolean().default(false).meta({ description: 'admin tokens only; audited' }),
  pending: z.boolean().default(false),
  dryRun: z.boolean().default(false),
});

export const modifyAccountBody = z.strictObject({
  shell: z.string().max(256).optional(),
  gecos: z.string().max(256).optional(),
  addGroups: z.array(z.string().max(64)).max(100).default([]),
  removeGroups: z.array(z.string().max(64)).max(100).default([]),
  dryRun: z.boolean().default(false),
});

export const passwordBody = z.strictObject({ password: z.string().max(1024).meta({ writeOnly: true }), dryRun: z.boolean().default(false) });
export const freezeBody = z.strictObject({ reason: z.string().max(32), note: z.string().max(500).optional(), dryRun: z.boolean().default(false) });
export const unfreezeBody = z.strictObject({ reason: z.string().max(32), dryRun: z.boolean().default(false) });
export const retireBody = z.strictObject({
  deactivateAfter: z.int().min(0).max(36_500).optional().meta({ description: "deactivation grace D in days (default: the type's)" }),
  deleteAfter: z.int().min(0).max(36_500).optional().meta({ description: "deletion grace P in days (default: the type's); 0 purges now" }),
  dryRun: z.boolean().default(false),
});

export const lifecycleResult = z.object({ account: accountSchema, changed: z.boolean(), dryRun: z.boolean(), purged: z.boolean() });

// ------------------------------------------------------------------ groups

export const groupSchema = z.object({ name: z.string(), gid: z.int(), description: z.string(), members: z.array(z.string()), createdAt: iso });
export const groupViewSchema = groupSchema.extend({ memberAccounts: z.array(z.string()) });
export const newGroupBody = z.strictObject({ name: z.string().max(64), gid: z.int().min(1).max(4_294_967_294).optional(), description: z.string().max(256).optional(), dryRun: z.boolean().default(false) });

// ------------------------------------------------------------------ ledger

const billingSchema = z.object({
  personId: z.string(),
  balanceCents: z.int(),
  monthlyDuesCents: z.int(),
  runOut: z.string().nullable(),
  daysLeft: z.int().nullable(),
  action: z.enum(['freeze', 'lift', 'warn', 'none']),
  warnKind: z.string().optional(),
  duesPosted: z.int().optional(),
  error: z.string().optional(),
});

export const ledgerEntrySchema = z.object({ id: z.int(), personId: z.string(), at: iso, kind: z.enum(['charge', 'payment']), amountCents: z.int(), note: z.string().nullable() });
export const ledgerSchema = z.object({ entries: z.array(ledgerEntrySchema), billing: billingSchema });
export const ledgerBody = z.strictObject({
  kind: z.enum(['charge', 'payment']),
  amount: z.string().max(16).meta({ description: 'e.g. "10" or "10.50", in the billing currency' }),
  note: z.string().max(500).optional(),
  dryRun: z.boolean().default(false),
});
export const ledgerResult = z.object({ entry: ledgerEntrySchema, billing: billingSchema, dryRun: z.boolean() });
export const billingReportSchema = z.object({ dryRun: z.boolean(), people: z.array(billingSchema) });

// ------------------------------------------------------------ runs and jobs

export const purgeBody = z.strictObject({
  dryRun: z.boolean().default(false),
  approval: z.string().max(64).optional().meta({ description: 'id of an approved mass change (POST /mass-changes/{id}/approvals)' }),
});
export const purgeReportSchema = z.object({
  dryRun: z.boolean(),
  candidates: z.array(z.object({ username: z.string(), purgeAt: iso })),
  results: z.array(z.object({ username: z.string(), purgeAt: iso, ok: z.boolean(), error: z.string().optional() })),
});

export const massChangeSchema = z.object({
  id: z.string(),
  action: z.string(),
  params: z.record(z.string(), z.unknown()),
  summary: z.object({ affected: z.int(), total: z.int(), limit: z.int() }),
  requestedBy: z.string(),
  requestedAt: iso,
  expiresAt: iso,
  approvedBy: z.string().nullable(),
  approvedAt: iso.nullable(),
  result: z.unknown(),
});

export const jobRunSchema = z.object({
  id: z.int(),
  job: z.string(),
  slot: iso,
  startedAt: iso,
  finishedAt: iso.nullable(),
  result: z.string(),
  owner: z.string(),
  startedBy: z.string(),
  forced: z.boolean(),
  counts: z.record(z.string(), z.number()),
  message: z.string().nullable(),
});

export const syncQuery = z.strictObject({
  dryRun: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  approval: z.string().max(64).optional(),
});

// ------------------------------------------------------------------- audit

export const auditRecordSchema = z.object({
  seq: z.int(),
  at: iso,
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  result: z.string(),
  prevHash: z.string(),
  hash: z.string(),
});

export const auditVerificationSchema = z.object({
  ok: z.boolean(),
  records: z.int(),
  head: z.object({ seq: z.int(), hash: z.string() }),
  problems: z.array(z.object({ seq: z.int(), kind: z.string(), message: z.string() })),
});

// ------------------------------------------------------------------- hosts

export const hostReportSchema = z.object({
  id: z.int(),
  host: z.string(),
  receivedAt: iso,
  actor: z.string(),
  revision: z.string().nullable(),
  ok: z.boolean(),
  report: z.record(z.string(), z.unknown()),
});

export const hostSchema = z.object({ name: z.string(), description: z.string().nullable(), targets: z.array(z.string()), lastReport: hostReportSchema.nullable() });

/** What an agent sends after applying (src/reconcile ApplyReport, plus the revision it applied). */
export const hostReportBody = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/, { error: '16 to 64 letters, digits, - or _ (the agent makes a random one per report)' })
    .optional()
    .meta({ description: "the agent's own id for the report, made with it: a report sent again after a lost answer is stored once" }),
  revision: z.string().max(128).nullable().default(null),
  at: iso.optional(),
  root: z.string().max(4096).optional(),
  outcomes: z
    .array(
      z.looseObject({
        target: z.string().max(64),
        action: z.string().max(64),
        subject: z.string().max(1024),
        summary: z.string().max(4096).optional(),
        status: z.enum(['ok', 'failed', 'skipped']),
        error: z.string().max(4096).optional(),
      }),
    )
    .max(200_000)
    .default([]),
  totals: z
    .object({ ok: z.int().min(0), failed: z.int().min(0), skipped: z.int().min(0), recurring: z.int().min(0).optional().meta({ description: 'of the ok ones, those that run at every apply by design (onEnsure hooks)' }) })
    .optional()
    .meta({ description: 'counts of all outcomes when `outcomes` lists only some (an agent lists at most a few hundred, failures first)' }),
  targetTotals: z
    .record(z.string().max(64), z.object({ ok: z.int().min(0), failed: z.int().min(0), skipped: z.int().min(0) }))
    .refine((totals) => Object.keys(totals).length <= 64, { error: 'at most 64 targets' })
    .optional()
    .meta({ description: 'the same counts per target (for the metrics); without it, the listed outcomes are counted' }),
  lockTimeout: z.boolean().default(false),
  drift: z.array(z.unknown()).max(200_000).optional(),
  driftTotal: z.int().min(0).optional(),
  error: z
    .object({ code: z.string().max(64), message: z.string().max(4096) })
    .optional()
    .meta({ description: 'why the agent applied nothing: the circuit breaker (mass_change), a target unavailable, …' }),
});

export const desiredSchema = hostAssignmentSchema;

// ------------------------------------------------------------------ tokens

export const tokenSchema = z.object({
  id: z.int(),
  role: z.enum(TOKEN_ROLES),
  host: z.string().nullable(),
  note: z.string().nullable(),
  createdAt: iso,
  createdBy: z.string(),
  expiresAt: iso.nullable(),
  revokedAt: iso.nullable(),
  lastUsedAt: iso.nullable().meta({ description: 'the last request made with it, to within five minutes' }),
});

export const newTokenBody = z.strictObject({
  role: z.enum(TOKEN_ROLES),
  host: z.string().max(64).optional(),
  expires: z.string().max(16).default('90d').meta({ description: '90d, 12h, 30m or never' }),
  note: z.string().max(200).optional(),
});

export const createdTokenSchema = z.object({ token: z.string().meta({ description: 'shown once; only its SHA-256 is kept' }), record: tokenSchema });

export const whoamiSchema = z.object({ actor: z.string(), token: tokenSchema });
