import type { Command } from 'commander';
import { listConsoleUsers, resetSecondFactor } from '../app/console-users.js';
import { withContext } from './command-runner.js';

/** `roster console`: who may use the admin console, and a lost second factor's reset. */
export function registerConsoleCommands(program: Command): void {
  const console = program.command('console').description("the admin console's users (roster.yaml's console section) and their second factors");

  console
    .command('users')
    .description('list the console users with their role, account state and second factor')
    .action(async (_o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const users = await listConsoleUsers(ctx);
        out.print(users, () =>
          users.length === 0
            ? "no console users (name them in roster.yaml's console section: admins, operators, auditors)"
            : users.map((u) => `${u.username.padEnd(16)} ${u.role.padEnd(9)} ${(u.state ?? 'no account').padEnd(10)} second factor: ${u.secondFactor}${u.secondFactor === 'set up' ? ` (${u.recoveryCodesLeft} recovery codes left)` : ''}`).join('\n'),
        );
      });
    });

  console
    .command('reset-factor <username>')
    .description("forget a user's second factor (a lost phone and lost recovery codes) and end their console sessions; the next sign-in sets a new one up")
    .action(async (username: string, _o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const r = await resetSecondFactor(ctx, username);
        out.print({ username, ...r }, () => `${username}: second factor forgotten, ${r.sessionsEnded} console session${r.sessionsEnded === 1 ? '' : 's'} ended; the next sign-in sets a new one up`);
      });
    });
}
