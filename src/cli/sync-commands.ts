import type { Command } from 'commander';
import { wallTime } from '../app/notices.js';
import { outcomeExit } from '../domain/errors.js';
import type { SyncChange, SyncReport } from '../jobs/roster-sync.js';
import { chunkedWriter, writeJsonObject } from './chunked-writer.js';
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

/** Changes, notes and failures each shown on a terminal before "… and N more". */
const SHOWN = 20;

/**
 * The report, written as it is produced: a first import of 100,000 rows has
 * some 200,000 changes, which must not become one string (or one call with
 * as many arguments). `short` lists the first few of each kind and counts
 * the rest; `all` (--verbose) and `json` (--json) give every one.
 */
async function writeReport(report: SyncReport, dryRun: boolean, tz: string, mode: 'short' | 'all' | 'json'): Promise<void> {
  const out = chunkedWriter(process.stdout);
  if (mode === 'json') {
    await writeJsonObject(out, { ...report });
    return;
  }
  const limit = mode === 'all' ? Infinity : SHOWN;
  const some = async <T>(items: readonly T[], describe: (item: T) => string, what: string, unlisted = 0): Promise<void> => {
    const shown = Math.min(items.length, limit);
    for (let i = 0; i < shown; i++) await out.line(`  ${describe(items[i] as T)}`);
    const more = items.length - shown + unlisted;
    if (more > 0) await out.line(`  … and ${more.toLocaleString('en')} more${what}; --verbose or --json for all`);
  };
  await out.line(`${dryRun ? 'dry run: ' : ''}sync ${report.source} from ${report.file}: ${report.rows} row${report.rows === 1 ? '' : 's'}`);
  await some(report.changes, (c) => describeChange(c, tz), '', report.unlisted.changes);
  await some(
    report.notes,
    (n) => (n.kind === 'not-eligible' ? `! ${n.personId} (row ${n.row}) gets no ${n.type} account: ${n.unmet.join('; ')}` : `! ${n.username} of ${n.personId} stays retired (retired by ${n.retiredBy}, not by this source)`),
    ' notes',
    report.unlisted.notes,
  );
  await some(report.failures, (f) => `FAILED ${f.personId}${f.row === null ? '' : ` (row ${f.row})`}: ${f.error}`, ' failures');
  if (report.passwords !== null) await out.line(`${dryRun ? 'would write' : 'wrote'} ${report.passwords.count} initial password${report.passwords.count === 1 ? '' : 's'} to ${report.passwords.file}`);
  await out.line(`${dryRun ? 'would have ' : ''}${summaryLine(report)}`);
  await out.end();
}

export function registerSyncCommands(program: Command): void {
  program
    .command('sync <file>')
    .description('import a roster CSV: create, update, retire and reactivate the source\'s people and accounts')
    .requiredOption('--source <name>', 'the roster source in roster.yaml (column mapping, types, grace periods)')
    .option('--dry-run', 'print exactly what a real run would do and change nothing')
    .option('--allow-mass-change', 'proceed even if more accounts would be retired than the circuit breaker allows')
    .option('--password-file <path>', 'where generated initial passwords go (created with mode 0600, never overwritten)')
    .option('--verbose', `list every change, note and failure (by default the first ${SHOWN} of each and a count of the rest)`)
    .action(async (file: string, o: { source: string; allowMassChange?: boolean; passwordFile?: string; verbose?: boolean }, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        const dryRun = opts.dryRun === true;
        const reading = progressBar(`reading ${file}`);
        const planning = progressBar(`planning ${o.source}`);
        const applying = progressBar(`sync ${o.source}`);
        const { syncRoster } = await import('../jobs/roster-sync.js');
        const mode = out.json ? 'json' : o.verbose === true ? 'all' : 'short';
        let report: SyncReport;
        try {
          report = await syncRoster(ctx, {
            file,
            source: o.source,
            dryRun,
            allowMassChange: o.allowMassChange === true,
            passwordFile: o.passwordFile,
            // The terminal shows the first few: the rest are only counted, so a big file's report stays small.
            ...(mode === 'short' ? { listed: SHOWN } : {}),
            progress: {
              reading: (bytes, total, rows) => reading.update(bytes, total, `${rows.toLocaleString('en')} rows`),
              planning: (rows, total) => {
                reading.done();
                planning.update(rows, total, `${rows.toLocaleString('en')}/${total.toLocaleString('en')} rows`);
              },
              applying: (done, total) => {
                planning.done();
                applying.update(done, total, `${done.toLocaleString('en')}/${total.toLocaleString('en')} people`);
              },
            },
          });
        } finally {
          reading.done();
          planning.done();
          applying.done();
        }
        await writeReport(report, dryRun, ctx.config.timeZone, mode);
        if (report.failures.length > 0) process.exitCode = outcomeExit.someFailed;
        if (dryRun) out.pending(report.changes.length + report.unlisted.changes > 0);
      });
    });
}
