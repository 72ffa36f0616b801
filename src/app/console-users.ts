import { accountState } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { AppContext } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';

/** One console user as roster.yaml names them, with what the store knows of their sign-in. */
export interface ConsoleUserView {
  readonly username: string;
  readonly role: 'admin' | 'operator' | 'auditor';
  /** The account's state, or null when no account has that name (the name cannot sign in). */
  readonly state: string | null;
  /** `set up`, `waiting` (set-up begun, no code given yet) or `none` (set up at the next sign-in). */
  readonly secondFactor: 'set up' | 'waiting' | 'none';
  /** Recovery codes not used yet (0 when none was set up). */
  readonly recoveryCodesLeft: number;
}

/** The console's users (roster.yaml's `console` section) and where each one's second factor stands: `roster console users`. */
export async function listConsoleUsers(ctx: AppContext): Promise<ConsoleUserView[]> {
  const c = ctx.config.console;
  const named = [...c.admins.map((u) => [u, 'admin'] as const), ...c.operators.map((u) => [u, 'operator'] as const), ...c.auditors.map((u) => [u, 'auditor'] as const)];
  const now = ctx.clock.now();
  const views: ConsoleUserView[] = [];
  for (const [username, role] of named) {
    const account = await ctx.store.read.getAccount(username);
    const factor = account === undefined ? undefined : await ctx.store.read.getConsoleSecondFactor(account.id);
    views.push({
      username,
      role,
      state: account === undefined ? null : accountState(account, now),
      secondFactor: factor === undefined ? 'none' : factor.confirmedAt === null ? 'waiting' : 'set up',
      recoveryCodesLeft: factor?.recoveryHashes.length ?? 0,
    });
  }
  return views;
}

/**
 * Forgets a console user's second factor and ends their console sessions
 * (a lost phone and lost recovery codes): the next sign-in sets a new one
 * up. Done at the command line, by someone with the server's roster.yaml
 * and database, and audited.
 */
export async function resetSecondFactor(ctx: AppContext, username: string): Promise<{ readonly sessionsEnded: number }> {
  return mutate(ctx, {}, async (tx) => {
    const account = await tx.getAccount(username);
    if (account === undefined) throw new RosterError('not_found', `no account ${printable(username)}`, [{ where: 'username', message: 'no such account' }]);
    const removed = await tx.deleteConsoleSecondFactor(account.id);
    const sessionsEnded = await tx.deleteAccountConsoleSessions(account.id);
    if (!removed && sessionsEnded === 0) throw new RosterError('conflict', `${username} has no console second factor to reset`);
    await audit(tx, ctx, { action: 'console.reset-second-factor', target: `account:${username}`, before: { secondFactor: removed }, after: { secondFactor: false, sessionsEnded } });
    return { sessionsEnded };
  });
}
