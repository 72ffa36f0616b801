import type { AppContext, Logger, PasswordHasher } from '../app/app-context.js';
import type { PrincipalPasswords } from '../app/principal-passwords.js';
import { tokenActor } from '../app/api-tokens.js';
import type { RosterConfig } from '../config/config-schema.js';
import type { Clock } from '../domain/clock.js';
import type { ApiToken } from '../store/queries/token-queries.js';
import type { Store } from '../store/store.js';
import type { AnyTarget } from '../targets/registry.js';

/** What `roster serve` is built from (DESIGN.md §9.1: entry points receive their dependencies). */
export interface ServerDeps {
  readonly store: Store;
  readonly config: RosterConfig;
  readonly clock: Clock;
  readonly hmacKey: Buffer;
  readonly hasher: PasswordHasher;
  readonly log: Logger;
  /** Sets Kerberos passwords (SCIM and portal creations) from the server's own process; absent, such requests fail. */
  readonly principals?: PrincipalPasswords;
  /** The targets whose resource kinds the API accepts; the registered ones unless a test brings its own. */
  readonly targets?: readonly AnyTarget[];
  /**
   * The root prefix the hosts with `appliedBy: server` live under, for the
   * apply job and the console's plans (`roster serve --root`, like
   * `roster apply --root`); `/` (the live system) when absent.
   */
  readonly applyRoot?: string;
}

/** The token behind a request, once authenticated. */
export interface Principal {
  readonly token: ApiToken;
  /** `token:<id>(<role>)`, the audit actor of everything the request changes. */
  readonly actor: string;
}

/** The use cases' context for one request: the shared dependencies, acting as the request's token. */
export function requestContext(deps: ServerDeps, principal: Principal): AppContext {
  return { store: deps.store, config: deps.config, clock: deps.clock, hmacKey: deps.hmacKey, hasher: deps.hasher, log: deps.log, actor: principal.actor, ...(deps.principals === undefined ? {} : { principals: deps.principals }) };
}

export function principalOf(token: ApiToken): Principal {
  return { token, actor: tokenActor(token) };
}
