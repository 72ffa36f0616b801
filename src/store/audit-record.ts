/** One change as the audit log records it, before it is chained. */
export interface AuditEntry {
  /** ISO 8601 UTC. */
  readonly at: string;
  /** Who: `cli:root`, `token:<id>`, `job:purge`, `sync:school` … */
  readonly actor: string;
  /** e.g. `account.create`, `account.freeze`, `person.update`. */
  readonly action: string;
  /** What it acted on, e.g. `account:alice`, `person:S123`. */
  readonly target: string;
  /** Before/after summaries: small JSON-serialisable objects, never secrets. */
  readonly before: unknown;
  readonly after: unknown;
  readonly result: 'ok' | 'failed' | 'refused';
}

/** An audit entry in the hash chain: its place and the hashes that link it. */
export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}
