import type { Command } from 'commander';
import { createApiToken, listApiTokens, revokeApiToken, type TokenView } from '../app/api-tokens.js';
import { RosterError } from '../domain/errors.js';
import { TOKEN_ROLES } from '../store/queries/token-queries.js';
import { withContext } from './command-runner.js';

function line(t: TokenView): string {
  const state = t.revokedAt !== null ? `revoked ${t.revokedAt}` : t.expiresAt === null ? 'never expires' : `expires ${t.expiresAt}`;
  const used = t.lastUsedAt === null ? 'never used' : `last used ${t.lastUsedAt}`;
  return `${String(t.id).padStart(4)}  ${t.role.padEnd(8)} ${(t.host ?? '-').padEnd(12)} ${state}, ${used}${t.note === null ? '' : `  (${t.note})`}`;
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('API tokens for roster serve (shown once, stored hashed)');

  token
    .command('create')
    .description('create a token; stdout gets the token alone (keep it: it is not shown again)')
    .requiredOption('--role <role>', `one of ${TOKEN_ROLES.join(', ')}`)
    .option('--host <host>', 'for --role agent: the host it acts for')
    .option('--expires <duration>', 'lifetime such as 90d, 12h, 30m, or never', '90d')
    .option('--note <text>', 'what it is for, for `roster token list`')
    .action(async (o: { role: string; host?: string; expires: string; note?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const { token: secret, record } = await createApiToken(ctx, o);
        if (out.json) out.print({ token: secret, ...record }, () => '');
        else process.stdout.write(`${secret}\n`);
        out.note(`token ${record.id} (${record.role}${record.host === null ? '' : ` for ${record.host}`}), ${record.expiresAt === null ? 'never expires' : `expires ${record.expiresAt}`}; it is shown only now`);
      });
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .action(async (_o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const tokens = await listApiTokens(ctx);
        out.print(tokens, () => tokens.map(line).join('\n') || 'no tokens');
      });
    });

  token
    .command('revoke <id>')
    .description('revoke a token: the server refuses it from the next request on')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      if (!/^\d+$/.test(id)) throw new RosterError('usage', `token id "${id}" is not a number`, [{ where: 'id', message: 'expected a number' }]);
      await withContext(cmd, async (ctx, out) => {
        const t = await revokeApiToken(ctx, Number(id));
        out.print(t, () => `revoked token ${t.id} (${t.role})`);
      });
    });
}
