import type { Command } from 'commander';
import { pruneReservations, reservationStates, type ReservationState, type ReservationStatus } from '../app/reservations.js';
import { RosterError } from '../domain/errors.js';
import { chunkedWriter, writeJsonObject } from './chunked-writer.js';
import { withContext } from './command-runner.js';

const STATUSES: readonly ReservationStatus[] = ['in-use', 'retained', 'releasable'];

function describe(s: ReservationState): string {
  const where = `${s.username.padEnd(16)} ${String(s.uid).padStart(10)}  ${s.personId.padEnd(12)}`;
  if (s.status === 'in-use') return `${where} in use`;
  const day = (s.releasableFrom ?? '').slice(0, 10);
  return `${where} ${s.status === 'retained' ? `retained until ${day}` : `releasable since ${day}`} (no live account since ${(s.goneSince ?? '').slice(0, 10)})`;
}

export function registerReservationCommands(program: Command): void {
  const reservations = program
    .command('reservations')
    .description("usernames and UIDs kept for people, so a returning person gets the same ones back (a reservation is released once its person is in no roster source and reservations.retainDays have passed; a UID is never handed out again)");
  reservations
    .command('list')
    .description('list reservations in UID order: in use (the person has a live account), retained (until the retention ends) or releasable')
    .option('--status <status>', `only these: ${STATUSES.join(', ')}`)
    .action(async (o: { status?: string }, cmd: Command) => {
      const status = o.status;
      if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
        throw new RosterError('bad_input', `--status "${status}" is not one of ${STATUSES.join(', ')}`, [{ where: '--status', message: `expected one of ${STATUSES.join(', ')}` }]);
      }
      await withContext(cmd, async (ctx, out) => {
        const all = await reservationStates(ctx.store.read, ctx.config.reservations.retainDays, ctx.clock.now());
        const shown = status === undefined ? all : all.filter((s) => s.status === status);
        // Streamed: a school's store holds a reservation per account ever made.
        const writer = chunkedWriter(process.stdout);
        if (out.json) {
          await writeJsonObject(writer, { retainDays: ctx.config.reservations.retainDays, reservations: shown });
          return;
        }
        for (const s of shown) await writer.line(describe(s));
        if (shown.length === 0) await writer.line(status === undefined ? 'no reservations' : `no reservations ${status}`);
        await writer.end();
      });
    });
  reservations
    .command('prune')
    .description('release the reservations whose person is in no roster source any more (none of their accounts is live) and whose retention has passed: the name can be chosen again, the UID is never handed out again; one audit record per release')
    .option('--dry-run', 'list what would be released and change nothing')
    .action(async (_o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        const dryRun = opts.dryRun === true;
        const r = await pruneReservations(ctx, { dryRun });
        const writer = chunkedWriter(process.stdout);
        if (out.json) {
          await writeJsonObject(writer, { ...r });
        } else {
          for (const s of r.released) await writer.line(`${dryRun ? 'would release' : 'released'} ${s.username} (UID ${s.uid}, person ${s.personId}; no live account since ${(s.goneSince ?? '').slice(0, 10)})`);
          const n = r.released.length;
          await writer.line(
            `${dryRun ? 'would release' : 'released'} ${n} reservation${n === 1 ? '' : 's'}; kept ${r.kept.inUse} in use and ${r.kept.retained} within ${r.retainDays} days of their person's last purge`,
          );
          await writer.end();
        }
        if (dryRun) out.pending(r.released.length > 0);
      });
    });
}
