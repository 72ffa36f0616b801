import * as z from 'zod';

/** Below this UID are system accounts and daemons: never signalled, whatever the config says. */
export const LOWEST_KILLABLE_UID = 1000;

/** roster.yaml `hosts.<host>.targets.processes` (seed 000 §1.4 "kill lingering processes"). */
export const processesConfigSchema = z.strictObject({
  /** Seconds between SIGTERM and SIGKILL. */
  graceSeconds: z.int().min(0).max(600).default(10).describe("seconds between SIGTERM and SIGKILL for a disabled account's processes"),
  /** Processes with any UID below this are never touched; it can be raised, never lowered under 1000. */
  minUid: z.int().min(LOWEST_KILLABLE_UID, { error: `must be at least ${LOWEST_KILLABLE_UID}: lower UIDs are system accounts` }).default(LOWEST_KILLABLE_UID).describe('processes with a lower UID are never signalled; at least 1000'),
})
  .describe('ends the processes of disabled accounts (SIGTERM, then SIGKILL)');

export type ProcessesConfig = z.output<typeof processesConfigSchema>;
