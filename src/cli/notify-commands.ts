import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { announce } from '../app/announce.js';
import { errorCatalogue, errorMessage, outcomeExit, RosterError } from '../domain/errors.js';
import { deliverOutbox } from '../notify/deliver-outbox.js';
import type { OutboxStatus } from '../store/store.js';
import { withContext, withDelivery } from './command-runner.js';

const STATUSES: readonly OutboxStatus[] = ['queued', 'sent', 'failed', 'unaddressed'];

/** Exit code when messages wait and no transport is configured (69: the mail "target" is unavailable). */

async function readBody(o: { body?: string; bodyFile?: string }): Promise<string> {
  if (o.body !== undefined) return o.body;
  if (o.bodyFile !== undefined) {
    try {
      return await readFile(o.bodyFile, 'utf8');
    } catch (e) {
      throw new RosterError('bad_input', `cannot read ${o.bodyFile}: ${errorMessage(e)}`, [{ where: '--body-file', message: 'cannot read' }]);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerNotifyCommands(program: Command): void {
  const notify = program.command('notify').description('member and admin e-mail: the outbox of queued, sent and failed notices');

  notify
    .command('flush')
    .description('send the queued notices that are due now (failures are retried later with back-off)')
    .action(async (_o: unknown, cmd: Command) => {
      await withDelivery(cmd, async (ctx, out, _opts, deps) => {
        const r = await deliverOutbox(ctx, deps);
        out.print(r, () => {
          if (r.transport === null) {
            return r.waiting === 0
              ? 'nothing queued (no mail transport is configured)'
              : `${r.waiting} notice${r.waiting === 1 ? ' is' : 's are'} queued but cannot be sent: no mail transport is configured (set notify.transport in roster.yaml)`;
          }
          const lines = [`via ${r.transport}: ${r.sent} sent, ${r.retrying} to retry later, ${r.gaveUp} given up, ${r.waiting} still queued`];
          lines.push(...r.errors.map((e) => `  #${e.id} ${e.kind} to ${e.to}: ${e.error}`));
          return lines.join('\n');
        });
        if (r.transport === null && r.waiting > 0) process.exitCode = errorCatalogue.unavailable.exit;
        else if (r.errors.length > 0) process.exitCode = outcomeExit.someFailed;
      });
    });

  notify
    .command('list')
    .description('the outbox, newest first')
    .option('--status <status>', `only ${STATUSES.join(', ')}`)
    .option('--limit <n>', 'how many', '50')
    .action(async (o: { status?: string; limit: string }, cmd: Command) => {
      if (o.status !== undefined && !(STATUSES as readonly string[]).includes(o.status)) throw new RosterError('usage', `--status must be one of ${STATUSES.join(', ')}`, [{ where: '--status', message: 'unknown status' }]);
      if (!/^\d+$/.test(o.limit)) throw new RosterError('usage', `--limit "${o.limit}" is not a number`, [{ where: '--limit', message: 'expected an integer' }]);
      await withContext(cmd, async (ctx, out) => {
        const messages = await ctx.store.read.listMessages({ limit: Number(o.limit), ...(o.status === undefined ? {} : { status: o.status as OutboxStatus }) });
        const counts = await ctx.store.read.countMessages();
        out.print({ counts, messages }, () =>
          [
            `queued ${counts.queued}, sent ${counts.sent}, failed ${counts.failed}, unaddressed ${counts.unaddressed}`,
            ...messages.map((m) => `#${m.id} ${m.status.padEnd(11)} ${m.kind.padEnd(15)} ${m.recipient ?? '-'}  attempts ${m.attempts}${m.sentAt === null ? '' : `, sent ${m.sentAt}`}${m.lastError === null ? '' : `; ${m.lastError}`}`),
          ].join('\n'),
        );
      });
    });

  program
    .command('announce')
    .description('send an intervention notice to everyone with an account on a host (body from --body, --body-file or stdin)')
    .requiredOption('--host <host>', 'the host (from roster.yaml hosts)')
    .requiredOption('--subject <text>', 'one-line subject')
    .option('--body <text>', 'the message')
    .option('--body-file <path>', 'read the message from a file')
    .option('--dry-run', 'list the recipients and send nothing')
    .action(async (o: { host: string; subject: string; body?: string; bodyFile?: string }, cmd: Command) => {
      const body = await readBody(o);
      await withContext(cmd, async (ctx, out, opts) => {
        const dryRun = opts.dryRun === true;
        const r = await announce(ctx, { host: o.host, subject: o.subject, body }, { dryRun });
        out.print({ ...r, dryRun }, () =>
          [
            `${dryRun ? 'would queue' : 'queued'} "${r.subject}" for ${r.recipients.length} member${r.recipients.length === 1 ? '' : 's'} of ${r.host}`,
            ...r.recipients.map((to) => `  ${to}`),
            ...(r.unaddressed.length === 0 ? [] : [`no address on record for: ${r.unaddressed.join(', ')}`]),
          ].join('\n'),
        );
        out.pending(r.recipients.length > 0);
      });
    });
}
