import type { Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { AppContext } from './app-context.js';
import { requireLiveAccount, requireType, setPassword } from './accounts.js';
import { portalActor } from './portal-actor.js';

/**
 * Checks a password against a stored crypt(3) hash (libcrypt's verifyPassword
 * in roster serve). The consumer owns the port (DESIGN.md §9.2): the app
 * layer does not load libcrypt itself.
 */
export type PasswordVerifier = (password: string, hash: string) => boolean;

export interface OwnPasswordChange {
  /** Whose session asks: the account must be theirs. */
  readonly personId: string;
  readonly username: string;
  readonly current: string;
  readonly next: string;
}

/**
 * A member changes their own password in the portal (issue 14 item 4): the
 * current password is checked first, then the change takes the one path of
 * `roster account passwd` (setPassword: the type's policy with every reason,
 * the hash, the audit record `account.passwd`, cpw on the KDC for Kerberos
 * types), with the member as the audit actor (`portal:<person>`). The new
 * hash reaches the hosts as any change does: the desired state is the store.
 *
 * A wrong current password is `unauthorized` with the field named
 * `current`, and nothing is written; the caller counts it against the
 * session's person as a failed attempt (a stolen session must not make a
 * free password oracle).
 */
export async function changeOwnPassword(ctx: AppContext, change: OwnPasswordChange, verify: PasswordVerifier): Promise<void> {
  const account = await requireLiveAccount(ctx.store.read, change.username);
  // The same answer as a missing account: a session never learns of others' accounts.
  if (account.personId !== change.personId) throw new RosterError('not_found', `no account "${change.username}"`);
  const type = requireType(ctx.config, account.type);
  if (change.next === change.current) {
    throw new RosterError('weak_password', 'password rejected: the new password is the same as the current one', [{ where: 'password', message: 'is the same as the current one' }]);
  }
  if (type.auth === 'kerberos') {
    // The current password is asked of the KDC (kinit); without a KDC to ask, changing without it would not be honest.
    const principals = ctx.principals;
    if (principals === undefined || account.principal === null) {
      throw new RosterError('usage', `the password of ${account.username} is kept by Kerberos (${account.principal ?? 'its principal'}), and this server reaches no KDC to check the current one: change it with kpasswd`);
    }
    if (!(await principals.check({ hosts: type.hosts.live, principal: account.principal, password: change.current }))) {
      throw new RosterError('unauthorized', 'the current password is not right', [{ where: 'current', message: 'is not right' }]);
    }
    await setPassword({ ...ctx, actor: portalActor(change.personId) }, account.username, change.next);
    return;
  }
  if (type.auth !== 'crypt') {
    throw new RosterError('usage', `${account.username} has no password of its own to change (its type uses ${typeof type.auth === 'object' ? 'a fixed password field' : type.auth} authentication)`);
  }
  if (!currentMatches(account, change.current, verify)) {
    throw new RosterError('unauthorized', 'the current password is not right', [{ where: 'current', message: 'is not right' }]);
  }
  await setPassword({ ...ctx, actor: portalActor(change.personId) }, account.username, change.next);
}

function currentMatches(account: Account, current: string, verify: PasswordVerifier): boolean {
  // No stored hash (an account made without a password) verifies nothing: the member sets one through an admin.
  if (account.passwordHash === null) return false;
  try {
    return verify(current, account.passwordHash);
  } catch (e) {
    // verifyPassword refuses a NUL, a lone surrogate or an over-long phrase: such a phrase was never set, so it is simply wrong.
    if (e instanceof RosterError && e.code === 'bad_input') return false;
    throw e;
  }
}
