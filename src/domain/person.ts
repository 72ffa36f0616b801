/**
 * A person as a roster source knows them (DESIGN.md §3). Identity
 * verification attributes (student number, birth date …) are only ever held
 * as keyed hashes (HMAC-SHA256, hex), never in clear.
 */
export interface Person {
  /** External id from the roster source (`record_uid`). */
  readonly id: string;
  /** Which source owns this person: `manual`, `scim`, or a roster source name. */
  readonly source: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly roles: readonly string[];
  /** Class roster entries, e.g. `01:198:111 (2026 fall)`. */
  readonly classes: readonly string[];
  readonly campuses: readonly string[];
  readonly majors: readonly string[];
  /** E-mail address per role, e.g. `{ STUDENT: 'jd@example.edu' }`. */
  readonly emails: Readonly<Record<string, string>>;
  /** Verification attribute name -> HMAC-SHA256 hex digest. */
  readonly verification: Readonly<Record<string, string>>;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  readonly updatedAt: string;
}
