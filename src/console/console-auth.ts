import type { MiddlewareHandler } from 'hono';
import type { AppContext } from '../app/app-context.js';
import type { TokenRole } from '../store/queries/token-queries.js';
import type { ConsoleContext, ConsoleEnv, ConsoleUser } from './console-env.js';
import { forbiddenPage } from './console-layout.js';

/** The audit actor of what a console user changes: `console:<username>(<role>)`. */
export function consoleActor(user: Pick<ConsoleUser, 'account' | 'role'>): string {
  return `console:${user.account.username}(${user.role})`;
}

/** Whether the signed-in user's role is one of `roles` (pages hide what a role may not use; the routes check again). */
export function can(c: ConsoleContext, roles: readonly TokenRole[]): boolean {
  const user = c.var.user;
  return user !== null && roles.includes(user.role);
}

/** Where a page that needs a signed-in user sends a visitor without one (or with a sign-in half done). */
export function consoleSignInRedirect(c: ConsoleContext): Response {
  if (c.var.pending !== null) return c.redirect(c.var.pending.session.stage === 'enrol' ? '/console/login/enrol' : '/console/login/code', 303);
  return c.redirect(c.var.sessionEnded ? '/console/login?ended=1' : '/console/login', 303);
}

/**
 * Admits only a signed-in user whose role is in `roles` (the lists of
 * src/server/permissions.ts, as the API's tokens): anyone else is sent to
 * sign in, and a user of another role gets 403 before the handler runs, so
 * a forged form changes nothing.
 */
export function requireRole(roles: readonly TokenRole[]): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (c.var.user === null) return consoleSignInRedirect(c);
    if (!roles.includes(c.var.user.role)) return forbiddenPage(c);
    await next();
  };
}

/** The use cases' context for a console request, acting as its signed-in user. */
export function consoleAppContext(c: ConsoleContext): AppContext {
  const { deps, user } = c.var;
  if (user === null) throw new Error('consoleAppContext needs a signed-in user (requireRole first)');
  return { store: deps.store, config: deps.config, clock: deps.clock, hmacKey: deps.hmacKey, hasher: deps.hasher, log: deps.log, actor: consoleActor(user), ...(deps.principals === undefined ? {} : { principals: deps.principals }) };
}
