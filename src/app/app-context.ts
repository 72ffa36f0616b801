import type { Clock } from '../domain/clock.js';
import type { RosterConfig } from '../config/config-schema.js';
import type { Queries, Store } from '../store/store.js';
import type { PrincipalPasswords } from './principal-passwords.js';

/** Hashes passwords with the host's crypt(3); the domain never sees the implementation. */
export interface PasswordHasher {
  hash(password: string, scheme: 'yescrypt' | 'sha512crypt'): string;
}

/** Structured details of a log line (a request's method, route, status); loggers that print plain text may ignore them. */
export type LogFields = Readonly<Record<string, string | number | boolean | null>>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
}

/**
 * What every use case receives (DESIGN.md §9.1): entry points are handed the
 * store, config, clock and log rather than importing them.
 */
export interface AppContext {
  readonly store: Store;
  readonly config: RosterConfig;
  readonly clock: Clock;
  /** Who is acting, for the audit log: `cli:alice`, `token:3`, `job:purge`. */
  readonly actor: string;
  /** Key for the HMAC of identity-verification attributes. */
  readonly hmacKey: Buffer;
  readonly hasher: PasswordHasher;
  readonly log: Logger;
  /** Sets Kerberos passwords on the KDC (kerberos-auth types); absent where no command or request sets one. */
  readonly principals?: PrincipalPasswords;
}

export interface MutationOptions {
  readonly dryRun?: boolean;
  /**
   * Run inside this transaction instead of a new one, so that a caller can
   * compose several use cases into one atomic change (a SCIM POST creates a
   * person, an account and its SCIM record together). The caller's
   * transaction then decides commit, rollback and dry run.
   */
  readonly tx?: Queries;
}
