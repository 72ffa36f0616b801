import type { Context } from 'hono';
import type { Account } from '../domain/account.js';
import type { ServerDeps } from '../server/server-deps.js';
import type { ConsoleSession } from '../store/store.js';

/** A console role: each admits what an API token of the same role admits (src/server/permissions.ts). */
export type ConsoleRole = 'admin' | 'operator' | 'auditor';

/** The signed-in console user of a request: password and second factor given, and still named in roster.yaml's `console`. */
export interface ConsoleUser {
  readonly session: ConsoleSession;
  readonly account: Account;
  readonly role: ConsoleRole;
}

/** What the console's middleware puts on every request's context. */
export interface ConsoleVariables {
  readonly deps: ServerDeps;
  /** The signed-in user, or null (not signed in, or sign-in not finished: see `pending`). */
  readonly user: ConsoleUser | null;
  /** A session whose password was given but whose second factor is still to come (or to be set up). */
  readonly pending: { readonly session: ConsoleSession; readonly account: Account } | null;
  /** True when the request carried a session cookie whose session has ended. */
  readonly sessionEnded: boolean;
  /** The CSRF token every form on this page carries as its hidden field `csrf`. */
  readonly csrf: string;
  readonly clientAddress: string;
  readonly secure: boolean;
}

export interface ConsoleEnv {
  Variables: ConsoleVariables;
}

export type ConsoleContext = Context<ConsoleEnv>;
