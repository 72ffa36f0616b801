/**
 * The app layer's port to the KDC for Kerberos passwords (issue 13 item 2,
 * DESIGN.md §9.2: the consumer owns the interface). The clear password goes
 * from the command or request straight through here to kadmin's stdin: it
 * is never stored, logged, nor put in the audit record (which says only
 * that a password was set). Implemented by the kerberos target's module
 * and handed to the use cases in AppContext.
 */
export interface PrincipalPasswords {
  /**
   * The account is being created with a password: its principal is created
   * with it on the KDC of each of `hosts` (where the account lives) that
   * enables the kerberos target. An existing principal keeps its password
   * (RATS step 7). Throws, having left nothing behind, when no host manages
   * principals or a KDC refuses or cannot be reached.
   */
  create(request: PrincipalPasswordRequest): Promise<readonly PrincipalOutcome[]>;
  /** `roster account passwd`: the principal's password changed (cpw) on each such KDC; a principal still missing is created with it. */
  change(request: PrincipalPasswordRequest): Promise<readonly PrincipalOutcome[]>;
  /**
   * Whether the password is the principal's now, asked of the KDC (kinit):
   * a member signing in to the portal, or confirming the current password
   * before a change. False when the KDC refuses; throws when it cannot be
   * asked.
   */
  check(request: Omit<PrincipalPasswordRequest, 'owner'>): Promise<boolean>;
}

export interface PrincipalPasswordRequest {
  /** The hosts the account lives on (its type's `hosts.live`). */
  readonly hosts: readonly string[];
  /** As the type's template made it (`alice@EXAMPLE.ORG`). */
  readonly principal: string;
  /** Whose it is, for the marker that makes it Roster's. */
  readonly owner: { readonly username: string; readonly uid: number };
  readonly password: string;
}

export interface PrincipalOutcome {
  /** The host whose kerberos target settings were used (the first, where several share one KDC). */
  readonly host: string;
  readonly principal: string;
  /** `kept`: it existed and keeps its password. */
  readonly outcome: 'created' | 'kept' | 'changed';
}
