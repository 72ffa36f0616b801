import type { Command } from 'commander';
import { outcomeExit } from '../domain/errors.js';
import { liveSystem } from '../doctor/doctor-system.js';
import { formatDoctor, summariseDoctor } from '../doctor/format-doctor.js';
import { runDoctor } from '../doctor/run-doctor.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import { targetRegistry } from '../targets/registry.js';
import { databaseFor, loadCliConfig } from './cli-context.js';
import { globalsOf, outputFor } from './command-runner.js';

/** `roster doctor`: what Roster and the hosts' enabled targets need on this machine, each with its fix. */
export function registerDoctorCommands(program: Command): void {
  program
    .command('doctor')
    .description(
      'check what Roster and the enabled targets need on this machine (PAM login list, cron.allow/deny, quotas, libcrypt, name caches, database, HMAC key, time zone, archive space) and print ok, warn or fail with the fix for each; exit 1 when a check fails',
    )
    .option('--host <host>', 'check only this host of roster.yaml (default: every host)')
    .option('--root <dir>', 'root prefix the host lives under, like useradd -R', '/')
    .action(async (o: { host?: string; root: string }, cmd: Command) => {
      const opts = globalsOf(cmd);
      const out = outputFor(opts);
      // No store is opened: openStore would create and migrate the database this checks.
      const loaded = await loadCliConfig(opts, process.env);
      const root = await resolveRoot(o.root);
      const checks = await runDoctor({
        loaded,
        root,
        databaseUrl: databaseFor(opts, process.env, loaded),
        system: liveSystem(),
        hosts: o.host === undefined ? Object.keys(loaded.config.hosts) : [o.host],
        targets: targetRegistry,
      });
      out.print(checks, () => formatDoctor(checks));
      if (summariseDoctor(checks).fail > 0) process.exitCode = outcomeExit.someFailed;
    });
}
