import type { Command } from 'commander';
import { wallTime } from '../app/notices.js';
import type { SyncChange, SyncReport } from '../jobs/roster-sync.js';
import { withContext } from './command-runner.js';
import { progressBar } from './progress-bar.js';

function describeChange(c: SyncChange, timeZone: string): string {
  switch (c.action) {
    case 'add-person':
      return `+ person ${c.personId} (${c.name}), row ${c.row}`;
    case 'update-person':
      return `~ person ${c.personId}: ${c.fields.join(', ')} (row ${c.row})`;
    case 'create':
      return `+ account ${c.username} (${c.type}) for ${c.personId}${c.returning ? ', returning: same name and UID' : ''}`;
    case 'reactivate':
      return `^ reactivate ${c.username} (${c.type}) of ${c.personId}`;
    case 'retire':
      return `- retire ${c.username} (${c.type}) of ${c.personId}: ${c.why}; deactivated ${c.deactivates === null ? 'now' : wallTime(c.deactivates, timeZone)}, deleted ${c.deletes === null ? 'now' : wallTime(c.deletes, timeZone)}`;
    case 'purge':
      return `- purge ${c.username} (${c.type}) of ${c.personId}: ${c.why}; deletion grace 0`;
  }
}

export function summaryLine(r: SyncReport): string {
  const s = r.summary;
  return `created ${s.created}, updated ${s.updated}, retired ${s.retired}, reactivated ${s.reactivated}, unchanged ${s.unchanged}`;
}

export function registerSyncCommands(program: Command): void {
  program
    .command('sync <file>')
    .description('import a roster CSV: create, update, retire and reactivate the source\'s people and accounts')
    .requiredOption('--source <name>', 'the roster source in roster.yaml (column mapping, types, grace periods)')
    .option('--dry-run', 'print exactly what a real run would do and change nothing')
    .option('--allow-mass-change', 'proceed even if more accounts would be retired than the circuit breaker allows')
    .option('--password-file <path>', 'where generated initial passwords go (created with mode 0600, never overwritten)')
    .action(async (file: string, o: { source: string; allowMassChange?: boolean; passwordFile?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        const dryRun = opts.dryRun === true;
        const reading = progressBar(`reading ${file}`);
        const applying = progressBar(`sync ${o.source}`);
        const { syncRoster } = await import('../jobs/roster-sync.js');
        let report: SyncReport;
        try {
          report = await syncRoster(ctx, {
            file,
            source: o.source,
            dryRun,
            allowMassChange: o.allowMassChange === true,
            passwordFile: o.passwordFile,
            progress: {
              reading: (bytes, total, rows) => reading.update(bytes, total, `${rows.toLocaleString('en')} rows`),
              applying: (done, total) => {
                reading.done();
                applying.update(done, total, `${done.toLocaleString('en')}/${total.toLocaleString('en')} people`);
              },
            },
          });
        } finally {
          reading.done();
          applying.done();
        }
        const tz = ctx.config.timeZone;
        out.print(report, () => {
          const lines = [`${dryRun ? 'dry run: ' : ''}sync ${report.source} from ${report.file}: ${report.rows} row${report.rows === 1 ? '' : 's'}`];
          lines.push(...report.changes.map((c) => `  ${describeChange(c, tz)}`));
          for (const n of report.notes) {
            lines.push(n.kind === 'not-eligible' ? `  ! ${n.personId} (row ${n.row}) gets no ${n.type} account: ${n.unmet.join('; ')}` : `  ! ${n.username} of ${n.personId} stays retired (retired by ${n.retiredBy}, not by this source)`);
          }
          for (const f of report.failures) lines.push(`  FAILED ${f.personId}${f.row === null ? '' : ` (row ${f.row})`}: ${f.error}`);
          if (report.passwords !== null) lines.push(`${dryRun ? 'would write' : 'wrote'} ${report.passwords.count} initial password${report.passwords.count === 1 ? '' : 's'} to ${report.passwords.file}`);
          lines.push(`${dryRun ? 'would have ' : ''}${summaryLine(report)}`);
          return lines.join('\n');
        });
        if (report.failures.length > 0) process.exitCode = 1;
        if (dryRun) out.pending(report.changes.length > 0);
      });
    });
}
