import type { Command } from 'commander';
import { rootCommand } from './root-command.js';
import { registerWatchCommands } from './watch-commands.js';

/**
 * The `roster` command with the watch commands only, for `roster watch …`
 * (a turn every five minutes, the apt hooks at every apt run): the same
 * global options as buildProgram, without loading every other command's
 * modules (the config schema, the store, the targets).
 */
export function buildWatchProgram(): Command {
  const program = rootCommand();
  registerWatchCommands(program);
  for (const c of program.commands.flatMap((sub) => [sub, ...sub.commands])) c.exitOverride();
  return program;
}
