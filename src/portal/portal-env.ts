import type { Context } from 'hono';
import type { Account } from '../domain/account.js';
import type { ServerDeps } from '../server/server-deps.js';
import type { PortalSession } from '../store/store.js';

/** The signed-in member of a request, once the session middleware found a live session. */
export interface SignedIn {
  readonly session: PortalSession;
  /** The account the member signed in with (its username is shown in the header). */
  readonly account: Account;
}

/** What the portal's middleware puts on every request's context. */
export interface PortalVariables {
  readonly deps: ServerDeps;
  /** The live session, or null (never signed in, signed out, or expired: see `sessionEnded`). */
  readonly signedIn: SignedIn | null;
  /** True when the request carried a session cookie whose session has ended (idle or absolute timeout, or signed out everywhere). */
  readonly sessionEnded: boolean;
  /** The CSRF token every form on this page carries as its hidden field `csrf`. */
  readonly csrf: string;
  /** The client's address (throttle key): the socket's, or X-Forwarded-For's last hop with portal.trustProxy. */
  readonly clientAddress: string;
  /** Whether cookies get Secure: the request came over https (or X-Forwarded-Proto https with portal.trustProxy). */
  readonly secure: boolean;
}

export interface PortalEnv {
  Variables: PortalVariables;
}

export type PortalContext = Context<PortalEnv>;
