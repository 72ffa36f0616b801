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

export class RosterError extends Error {
  readonly code: ErrorCode;
  readonly issues: readonly ErrorIssue[];

  constructor(code: ErrorCode, message: string, issues: readonly ErrorIssue[] = []) {
    super(message);
    this.name = 'RosterError';
    this.code = code;
    this.issues = issues;
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

/** Any thrown value as a RosterError: catalogue errors as they are, anything else as `internal` with its message. */
export function asRosterError(e: unknown): RosterError {
  return e instanceof RosterError ? e : new RosterError('internal', e instanceof Error ? e.message : String(e));
}
