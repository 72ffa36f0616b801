import { Command, Option } from 'commander';

/** The `roster` command with its global options (they work before or after the command name), before any command is added. */
export function rootCommand(): Command {
  return new Command('roster')
    .description('Roster keeps people and accounts in one place and makes every host agree with it.')
    .version('0.1.0')
    .option('--config <file>', 'roster.yaml (default: $ROSTER_CONFIG, ./roster.yaml, /etc/roster/roster.yaml)')
    .option('--db <path|url>', 'SQLite file or postgres:// URL (default: $DATABASE_URL, then roster.yaml)')
    .option('--json', 'machine-readable output on stdout')
    .option('--now <iso>', 'the time to act at (also $ROSTER_NOW), for testing and replaying schedules')
    .addOption(new Option('--detailed-exitcode', 'with --dry-run: exit 2 when there are pending changes'))
    .showHelpAfterError('(run roster --help for usage)')
    .exitOverride();
}

/** The global options that take a value, so that a command name can be found past them. */
export const VALUE_OPTIONS: readonly string[] = ['--config', '--db', '--now'];
