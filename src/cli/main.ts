#!/usr/bin/env node
import './one-shot.js';
import { CommanderError } from 'commander';
import { errorCatalogue, errorMessage, isRosterError, outcomeExit } from '../domain/errors.js';
import { buildProgram } from './program.js';

/**
 * Exit codes (DESIGN.md §5): 0 ok, 1 failure, 2 usage, 65 bad input data,
 * 69 target unavailable, 75 lock timeout, 78 bad config.
 */
async function main(argv: readonly string[]): Promise<void> {
  const json = argv.includes('--json');
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
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

void main(process.argv.slice(2));
