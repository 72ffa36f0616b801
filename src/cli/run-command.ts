import { CommanderError, type Command } from 'commander';
import { errorCatalogue, errorMessage, isRosterError, outcomeExit } from '../domain/errors.js';
import { VALUE_OPTIONS } from './root-command.js';

/** The command named on the line, past the global options (and the values of those that take one). */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (VALUE_OPTIONS.includes(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * `roster watch …` runs every five minutes and at every apt run: it builds
 * a program of the watch commands alone, which loads neither the config
 * schema, the store nor the targets unless a watch command needs them.
 */
async function buildFor(argv: readonly string[]): Promise<Command> {
  if (commandName(argv) === 'watch') return (await import('./watch-program.js')).buildWatchProgram();
  return (await import('./program.js')).buildProgram();
}

/**
 * Runs one command line (the arguments after the bin's name) and sets the
 * exit code. Exit codes (DESIGN.md §5): 0 ok, 1 failure, 2 usage, 65 bad input data,
 * 69 target unavailable, 75 lock timeout, 78 bad config.
 */
export async function runCommand(argv: readonly string[]): Promise<void> {
  const json = argv.includes('--json');
  try {
    await (await buildFor(argv)).parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; commander has already printed them.
      process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? outcomeExit.ok : errorCatalogue.usage.exit;
      return;
    }
    if (isRosterError(e)) {
      process.stderr.write(`roster: ${e.message}\n`);
      for (const issue of e.issues) process.stderr.write(`  ${issue.where}: ${issue.message}\n`);
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message, issues: e.issues } }, null, 2)}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`roster: unexpected error: ${errorMessage(e, { stack: true })}\n`);
    process.exitCode = errorCatalogue.internal.exit;
  }
}

