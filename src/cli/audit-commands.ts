import type { Command } from 'commander';
import { errorCatalogue, RosterError } from '../domain/errors.js';
import type { AuditRecord } from '../store/store.js';
import { verifyAudit } from '../store/verify-audit.js';
import { withContext } from './command-runner.js';

function line(r: AuditRecord): string {
  return `${String(r.seq).padStart(6)}  ${r.at}  ${r.actor.padEnd(14)} ${r.action.padEnd(18)} ${r.target}${r.result === 'ok' ? '' : `  [${r.result}]`}`;
}

export function registerAuditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description('the hash-chained audit log: one record per change')
    .option('--limit <n>', 'show the last N records', '50')
    .option('--target <target>', 'only records about this target, e.g. account:alice')
    .action(async (o: { limit: string; target?: string }, cmd: Command) => {
      if (!/^\d+$/.test(o.limit)) throw new RosterError('usage', `--limit "${o.limit}" is not a number`, [{ where: '--limit', message: 'expected an integer' }]);
      await withContext(cmd, async (ctx, out) => {
        const head = await ctx.store.read.auditHead();
        const limit = Number(o.limit);
        const records = await ctx.store.read.listAudit({ afterSeq: Math.max(0, head.seq - (o.target === undefined ? limit : Number.MAX_SAFE_INTEGER)), ...(o.target === undefined ? {} : { target: o.target }) });
        const shown = records.slice(-limit);
        out.print(shown, () => shown.map(line).join('\n') || 'the audit log is empty');
      });
    });

  audit
    .command('verify')
    .description('recompute the hash chain; detects edited, deleted, reordered and truncated records')
    .option('--expect-head <SEQ:HASH>', 'a head printed earlier and kept outside the database (detects truncation)')
    .action(async (o: { expectHead?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const v = await verifyAudit(ctx.store.read, o.expectHead === undefined ? {} : { expectHead: o.expectHead });
        out.print(v, () =>
          v.ok
            ? `audit log ok: ${v.records} records\nhead: ${v.head.seq}:${v.head.hash}\n(keep this head outside the database and pass it to --expect-head next time)`
            : ['audit log BROKEN:', ...v.problems.map((p) => `  record ${p.seq}: ${p.kind}: ${p.message}`), `head: ${v.head.seq}:${v.head.hash}`].join('\n'),
        );
        if (!v.ok) process.exitCode = errorCatalogue.audit_broken.exit;
      });
    });
}
