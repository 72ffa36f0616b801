import type { Command } from 'commander';
import { listUsage, measureUsage, type UsageOutcome, type UsageView } from '../app/usage.js';
import { outcomeExit, RosterError } from '../domain/errors.js';
import { targetRegistry } from '../targets/registry.js';
import { byteSize } from './byte-size.js';
import { withContext } from './command-runner.js';

interface UsageOptions {
  readonly measure?: boolean;
  readonly host?: string;
  readonly root: string;
}

/** One figure a line; each account's figures end with its total when it has more than one. */
function usageText(views: readonly UsageView[]): string {
  if (views.length === 0) return 'no usage measured (roster usage --measure --host HOST measures it)';
  const width = (pick: (v: UsageView) => string): number => Math.max(...views.map((v) => pick(v).length));
  const [user, host, target, subject] = [width((v) => v.user), width((v) => v.host), width((v) => v.target), width((v) => v.subject)];
  const lines: string[] = [];
  let first = 0;
  views.forEach((v, i) => {
    lines.push(`${v.user.padEnd(user)}  ${v.host.padEnd(host)}  ${v.target.padEnd(target)}  ${v.subject.padEnd(subject)}  ${byteSize(v.bytes).padStart(10)}  ${v.measuredAt}`);
    // The views come by user, so an account's figures are views[first..i].
    if (views[i + 1]?.user === v.user) return;
    if (i > first) lines.push(`${v.user.padEnd(user)}  ${'total'.padEnd(host + target + subject + 4)}  ${byteSize(views.slice(first, i + 1).reduce((n, w) => n + w.bytes, 0)).padStart(10)}`);
    first = i + 1;
  });
  return lines.join('\n');
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
        out.print(views, () => usageText(views));
      });
    });
}
