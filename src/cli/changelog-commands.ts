import type { Command } from 'commander';
import { renderEntry } from '../agent/changelog-file.js';
import { addChangelogEntry, listChangelog } from '../app/changelog.js';
import { RosterError } from '../domain/errors.js';
import { parseTimeBound } from '../domain/time-bound.js';
import type { ChangelogEntry } from '../store/store.js';
import { withContext } from './command-runner.js';

interface AddOptions {
  readonly host: string;
  readonly public?: boolean;
}

interface ListOptions {
  readonly host?: string;
  readonly since?: string;
  readonly until?: string;
  readonly public?: boolean;
}

/** One entry as /root/changelog shows it, with the host and the public mark when the listing spans hosts or marks them. */
function block(e: ChangelogEntry, withHost: boolean): string {
  const [first = '', ...rest] = renderEntry(e).split('\n');
  const notes = [...(withHost ? [`host ${e.host}`] : []), ...(e.public ? ['public'] : [])];
  return [notes.length === 0 ? first : `${first}  [${notes.join(', ')}]`, ...rest].join('\n');
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `roster changelog`: what was done on each host, when and by whom (seed GlobeNet). */
export function registerChangelogCommands(program: Command): void {
  const changelog = program
    .command('changelog')
    .description("the changelog of interventions per host: time, who, what (the host's agent keeps /root/changelog in step with it)");

  changelog
    .command('add <text...>')
    .description('record an intervention on a host, done now by you (SUDO_USER, else the login user); "-" reads the text from stdin')
    .requiredOption('--host <host>', 'the host, as named in roster.yaml hosts')
    .option('--public', 'also show it on the public status page')
    .action(async (words: string[], o: AddOptions, cmd: Command) => {
      const text = words.length === 1 && words[0] === '-' ? await readAllStdin() : words.join(' ');
      await withContext(cmd, async (ctx, out) => {
        const entry = await addChangelogEntry(ctx, { host: o.host, text, public: o.public === true });
        out.print(entry, () => block(entry, true));
      });
    });

  changelog
    .command('list')
    .description('the entries, oldest first, one block each as in /root/changelog')
    .option('--host <host>', 'only this host')
    .option('--since <when>', 'at or after: 2026-12-04, 2026-12-04T22:55:00Z, or a span back from now such as 7d, 12h, 30m')
    .option('--until <when>', 'before, in the same forms')
    .option('--public', 'only the entries shown on the public status page')
    .action(async (o: ListOptions, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const now = ctx.clock.now();
        const bound = (text: string | undefined, flag: string): Date | undefined => (text === undefined ? undefined : parseTimeBound(text, now, ctx.config.timeZone, flag));
        const since = bound(o.since, '--since');
        const until = bound(o.until, '--until');
        if (since !== undefined && until !== undefined && until <= since) throw new RosterError('usage', `--until ${until.toISOString()} is not after --since ${since.toISOString()}`, [{ where: '--until', message: 'not after --since' }]);
        const entries = await listChangelog(ctx, {
          ...(o.host === undefined ? {} : { host: o.host }),
          ...(since === undefined ? {} : { since }),
          ...(until === undefined ? {} : { until }),
          ...(o.public === true ? { publicOnly: true } : {}),
        });
        out.print(entries, () => (entries.length === 0 ? 'no changelog entries' : entries.map((e) => block(e, o.host === undefined)).join('\n\n')));
      });
    });
}
