import type { Command } from 'commander';
import { formatCents, ledgerStatement, recordLedger, runBilling } from '../app/billing-run.js';
import { addGroup, showGroup } from '../app/groups.js';
import { purge } from '../app/purge.js';
import { outcomeExit, RosterError } from '../domain/errors.js';
import { withContext } from './command-runner.js';

export function registerGroupCommands(program: Command): void {
  const group = program.command('group').description('Unix groups');
  group
    .command('add <name>')
    .description('add a group')
    .option('--gid <gid>', 'GID (default: the next free one in the range)')
    .option('--description <text>', 'what the group is for')
    .option('--dry-run', 'show what would change and change nothing')
    .action(async (name: string, o: { gid?: string; description?: string }, cmd: Command) => {
      if (o.gid !== undefined && !/^\d+$/.test(o.gid)) throw new RosterError('bad_input', `--gid "${o.gid}" is not a number`, [{ where: '--gid', message: 'expected an integer' }]);
      await withContext(cmd, async (ctx, out, opts) => {
        const g = await addGroup(ctx, { name, gid: o.gid === undefined ? undefined : Number(o.gid), description: o.description }, { dryRun: opts.dryRun === true });
        out.print(g, () => `${opts.dryRun === true ? 'would add' : 'added'} group ${g.name} (gid ${g.gid})`);
        out.pending(true);
      });
    });
  group
    .command('show <name>')
    .description('show a group and its members')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const g = await showGroup(ctx, name);
        out.print(g, () => `name:     ${g.name}\ngid:      ${g.gid}\nabout:    ${g.description || '-'}\nmembers:  ${g.memberAccounts.join(', ') || '-'}`);
      });
    });
  group
    .command('list')
    .description('list groups')
    .action(async (_o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const groups = await ctx.store.read.listGroups();
        out.print(groups, () => groups.map((g) => `${g.name.padEnd(16)} ${String(g.gid).padStart(7)}  ${g.description}`).join('\n'));
      });
    });
}

export function registerPurgeCommand(program: Command): void {
  program
    .command('purge')
    .description('purge accounts whose purge date has come (archive first, keep a tombstone)')
    .option('--dry-run', 'list what would go and change nothing')
    .option('--allow-mass-change', 'proceed even if more than the circuit breaker allows would go')
    .action(async (o: { allowMassChange?: boolean }, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        const dryRun = opts.dryRun === true;
        const r = await purge(ctx, { dryRun, allowMassChange: o.allowMassChange === true });
        const failed = r.results.filter((x) => !x.ok);
        out.print(dryRun ? { candidates: r.candidates } : { candidates: r.candidates, results: r.results }, () => {
          if (r.candidates.length === 0) return 'nothing to purge';
          const lines = dryRun
            ? r.candidates.map((c) => `would purge ${c.username} (purge date ${c.purgeAt})`)
            : r.results.map((x) => (x.ok ? `purged ${x.username}` : `FAILED ${x.username}: ${x.error ?? ''}`));
          return lines.join('\n');
        });
        if (failed.length > 0) process.exitCode = outcomeExit.someFailed;
        if (dryRun) out.pending(r.candidates.length > 0);
      });
    });
}

export function registerBillingCommands(program: Command): void {
  const ledger = program.command('ledger').description("a member's charges and payments");
  for (const [name, kind, about] of [['charge', 'charge', 'charge a person'], ['pay', 'payment', 'record a payment (lifts a billing freeze when it pushes the run-out date past the lead)']] as const) {
    ledger
      .command(`${name} <personId> <amount>`)
      .description(about)
      .option('--note <text>', 'what it is for')
      .option('--dry-run', 'show what would change and change nothing')
      .action(async (personId: string, amount: string, o: { note?: string }, cmd: Command) => {
        await withContext(cmd, async (ctx, out, opts) => {
          const r = await recordLedger(ctx, personId, kind, amount, o.note, { dryRun: opts.dryRun === true });
          out.print(r, () => `${opts.dryRun === true ? 'would record' : 'recorded'} ${kind} of ${formatCents(r.entry.amountCents)} for ${personId}; balance ${formatCents(r.billing.balanceCents)}${r.billing.runOut === null ? '' : `, runs out ${r.billing.runOut}`}${r.billing.action === 'lift' ? '; billing freeze lifted' : ''}${r.billing.action === 'freeze' ? '; frozen for billing' : ''}`);
          out.pending(true);
        });
      });
  }
  ledger
    .command('show <personId>')
    .description('show the ledger, balance and run-out date')
    .action(async (personId: string, _o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const r = await ledgerStatement(ctx, personId);
        out.print(r, () =>
          [
            ...r.entries.map((e) => `${e.at.slice(0, 10)}  ${e.kind.padEnd(8)} ${formatCents(e.kind === 'charge' ? -e.amountCents : e.amountCents).padStart(10)}  ${e.note ?? ''}`),
            `balance:   ${formatCents(r.billing.balanceCents)} ${ctx.config.billing.currency}`,
            `dues:      ${formatCents(r.billing.monthlyDuesCents)} a month`,
            `runs out:  ${r.billing.runOut ?? 'never'}${r.billing.daysLeft === null ? '' : ` (${r.billing.daysLeft} days)`}`,
          ].join('\n'),
        );
      });
    });

  const billing = program.command('billing').description('post dues, warn members before their balance runs out, freeze at the lead time and lift the freeze after payment');
  billing
    .command('run')
    .description('post dues, warn, freeze at the lead time and lift after payment')
    .option('--dry-run', 'show what would change and change nothing')
    .action(async (_o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        const r = await runBilling(ctx, { dryRun: opts.dryRun === true });
        const acting = r.people.filter((p) => p.action !== 'none' || p.duesPosted !== undefined || p.error !== undefined);
        out.print(r, () => acting.length === 0 ? 'billing: nothing to do' : acting.map((p) => `${p.personId}: ${p.error !== undefined ? `FAILED ${p.error}` : p.action}${p.warnKind === undefined ? '' : ` (${p.warnKind})`}${p.duesPosted === undefined ? '' : `, dues ${formatCents(p.duesPosted)} posted`}; balance ${formatCents(p.balanceCents)}, runs out ${p.runOut ?? 'never'}`).join('\n'));
        if (r.people.some((p) => p.error !== undefined)) process.exitCode = outcomeExit.someFailed;
        if (opts.dryRun === true) out.pending(acting.length > 0);
      });
    });
}
