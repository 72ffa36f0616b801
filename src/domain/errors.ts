/**
 * The one error catalogue (DESIGN.md §9.5): every expected failure has a
 * stable code, an HTTP status and a process exit code. The CLI maps `exit`,
 * the HTTP server maps `status`; the message is for people.
 */
export const errorCatalogue = {
  usage: { status: 400, exit: 2, title: 'Usage error' },
  bad_input: { status: 422, exit: 65, title: 'Invalid input' },
  bad_config: { status: 500, exit: 78, title: 'Invalid configuration' },
  not_found: { status: 404, exit: 1, title: 'Not found' },
  conflict: { status: 409, exit: 1, title: 'Conflict' },
  not_eligible: { status: 422, exit: 1, title: 'Not eligible' },
  weak_password: { status: 422, exit: 65, title: 'Password rejected' },
  mass_change: { status: 409, exit: 1, title: 'Circuit breaker tripped' },
  lock_timeout: { status: 503, exit: 75, title: 'Lock timeout' },
  unavailable: { status: 503, exit: 69, title: 'Target unavailable' },
  audit_broken: { status: 500, exit: 1, title: 'Audit chain broken' },
  internal: { status: 500, exit: 1, title: 'Internal error' },
  // HTTP only (roster serve, DESIGN.md §7 "API"); exit 1 should a client ever map them.
  unauthorized: { status: 401, exit: 1, title: 'Authentication required' },
  forbidden: { status: 403, exit: 1, title: 'Forbidden' },
  too_large: { status: 413, exit: 1, title: 'Request body too large' },
  rate_limited: { status: 429, exit: 1, title: 'Too many requests' },
} as const satisfies Record<string, { status: number; exit: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/**
 * Exit codes of runs that end without an error (DESIGN.md §5): everything
 * done; done, but some items failed (a change of an apply, a row of a sync,
 * a message of the outbox); a dry run that found changes to make, with
 * `--detailed-exitcode` (as terraform plan does).
 */
export const outcomeExit = { ok: 0, someFailed: 1, pendingChanges: 2 } as const;

export interface ErrorIssue {
  /** Where the problem is: a field path, `row 12, column email`, `roster.yaml:4:7`. */
  readonly where: string;
  readonly message: string;
}

/** RFC 7644 §3.12 `scimType` values: what a SCIM client is told beside the status. */
export type ScimType = 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

export interface RosterErrorOptions {
  /** The SCIM error type, when the code alone does not say it (a taken userName, a read-only attribute). */
  readonly scimType?: ScimType;
  /** The failure this one explains (a dlopen error, an errno), kept for logs and debuggers. */
  readonly cause?: unknown;
}

export class RosterError extends Error {
  readonly code: ErrorCode;
  readonly issues: readonly ErrorIssue[];
  readonly scimType: ScimType | undefined;

  constructor(code: ErrorCode, message: string, issues: readonly ErrorIssue[] = [], options: RosterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RosterError';
    this.code = code;
    this.issues = issues;
    this.scimType = options.scimType;
  }

  get exitCode(): number {
    return errorCatalogue[this.code].exit;
  }

  get status(): number {
    return errorCatalogue[this.code].status;
  }
}

export function isRosterError(e: unknown): e is RosterError {
  return e instanceof RosterError;
}

/**
 * The text of any thrown value, the one way to get it: an Error's message
 * (with `stack`, its stack trace, for logs), else the value as a string.
 * An Error with an empty message (Node's AggregateError for a refused
 * connection) is named by its code or class instead.
 */
export function errorMessage(e: unknown, options: { readonly stack?: boolean } = {}): string {
  if (!(e instanceof Error)) return String(e);
  if (options.stack === true && e.stack !== undefined) return e.stack;
  if (e.message !== '') return e.message;
  const code: unknown = 'code' in e ? e.code : undefined;
  return typeof code === 'string' ? code : e.name;
}

/** Any thrown value as a RosterError: catalogue errors as they are, anything else as `internal` with its message. */
export function asRosterError(e: unknown): RosterError {
  return e instanceof RosterError ? e : new RosterError('internal', errorMessage(e));
}
