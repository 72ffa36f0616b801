import type { Command } from 'commander';
import { registerAccountCommands } from './account-commands.js';
import { registerAgentCommands } from './agent-commands.js';
import { registerBillingCommands, registerGroupCommands, registerPurgeCommand } from './admin-commands.js';
import { registerAuditCommands } from './audit-commands.js';
import { registerChangelogCommands } from './changelog-commands.js';
import { registerConsoleCommands } from './console-commands.js';
import { registerDoctorCommands } from './doctor-commands.js';
import { registerJobsCommands } from './jobs-commands.js';
import { registerNotifyCommands } from './notify-commands.js';
import { registerHostCommands } from './host-commands.js';
import { registerPersonCommands } from './person-commands.js';
import { registerReservationCommands } from './reservation-commands.js';
import { registerResourceCommands } from './resource-commands.js';
import { rootCommand } from './root-command.js';
import { registerRestoreCommand } from './restore-command.js';
import { registerSetupCommands } from './setup-commands.js';
import { registerStatusCommands } from './status-commands.js';
import { registerServeCommands } from './serve-commands.js';
import { registerTokenCommands } from './token-commands.js';
import { registerSyncCommands } from './sync-commands.js';
import { registerUsageCommands } from './usage-commands.js';
import { registerWatchCommands } from './watch-commands.js';

/** The `roster` command. Global options work before or after the command name. */
export function buildProgram(): Command {
  const program = rootCommand();
  registerSetupCommands(program);
  registerPersonCommands(program);
  registerRestoreCommand(registerAccountCommands(program));
  registerGroupCommands(program);
  registerPurgeCommand(program);
  registerReservationCommands(program);
  registerResourceCommands(program);
  registerUsageCommands(program);
  registerBillingCommands(program);
  registerAuditCommands(program);
  registerSyncCommands(program);
  registerJobsCommands(program);
  registerNotifyCommands(program);
  registerStatusCommands(program);
  registerHostCommands(program);
  registerChangelogCommands(program);
  registerDoctorCommands(program);
  registerServeCommands(program);
  registerTokenCommands(program);
  registerConsoleCommands(program);
  registerAgentCommands(program);
  registerWatchCommands(program);
  for (const c of allCommands(program)) c.exitOverride();
  return program;
}

function allCommands(c: Command): Command[] {
  return c.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}
