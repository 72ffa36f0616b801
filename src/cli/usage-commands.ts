import type { Command } from 'commander';
import { listUsage, measureUsage, type UsageOutcome } from '../app/usage.js';
import { outcomeExit, RosterError } from '../domain/errors.js';
import { targetRegistry } from '../targets/registry.js';
import { withContext } from './command-runner.js';
import { formatUsage } from './format-usage.js';

interface UsageOptions {
  readonly measure?: boolean;
  readonly host?: string;
  readonly root: string;
}

function outcomeLine(o: UsageOutcome): string {
  if (!o.ok) return `${o.host} ${o.target}: not measured (${o.error ?? 'failed'}); the earlier figures stay`;
  const unknown = o.unknownAccounts === undefined ? '' : `; left out, no such account: ${o.unknownAccounts.join(', ')}`;
  return `${o.host} ${o.target}: ${o.figures} figure${o.figures === 1 ? '' : 's'} stored${unknown}`;
}

/** `roster usage`: what each account uses of the services on the hosts, as the targets last measured it. */
export function registerUsageCommands(program: Command): void {
  program
    .command('usage [user]')
    .description("what each account uses of the services on the hosts (home, databases, lists …), as the targets last measured it, with --measure measured here and now")
    .option('--measure', 'measure on this machine with the usage of each target enabled on the host(s), and store the figures (replacing that host and target\'s earlier ones)')
    .option('--host <host>', 'with --measure: only this host (default: every host in roster.yaml); else only the figures of this host')
    .option('--root <dir>', 'with --measure: root prefix the host lives under, like useradd -R', '/')
    .action(async (user: string | undefined, o: UsageOptions, cmd: Command) => {
      if (o.measure === true && user !== undefined) throw new RosterError('usage', '--measure measures every account of the host(s); leave out the user, then run roster usage USER', [{ where: 'user', message: 'not with --measure' }]);
      await withContext(cmd, async (ctx, out) => {
        if (o.measure === true) {
          const outcomes = await measureUsage(ctx, targetRegistry, { host: o.host, root: o.root });
          if (outcomes.some((x) => !x.ok)) process.exitCode = outcomeExit.someFailed;
          out.print(outcomes, () => (outcomes.length === 0 ? `no target enabled on ${o.host === undefined ? 'any host' : `host ${o.host}`} measures usage` : outcomes.map(outcomeLine).join('\n')));
          return;
        }
        const views = await listUsage(ctx.store.read, { user, host: o.host });
        out.print(views, () => formatUsage(views));
      });
    });
}
