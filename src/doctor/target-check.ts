import type * as z from 'zod';
import type { RosterConfig } from '../config/config-schema.js';
import type { DoctorCheck } from './doctor-check.js';
import type { DoctorSystem } from './doctor-system.js';

/** What a target's check sees besides its own settings: one host of roster.yaml under one root prefix. */
export interface TargetCheckContext {
  readonly host: string;
  /** Absolute, resolved root prefix; `/` is the live system. */
  readonly root: string;
  readonly config: RosterConfig;
  readonly system: DoctorSystem;
}

/**
 * The requirements one enabled target has on the machine, given the target's
 * parsed settings. Each lives in its own file under checks/ and knows nothing
 * of the others, so it can move into its target's folder (or plugin)
 * unchanged.
 */
export type TargetCheck<Config> = (ctx: TargetCheckContext, config: Config) => Promise<readonly DoctorCheck[]>;

/** A target's check bound to the schema that parses its roster.yaml section. */
export interface TargetDoctor {
  readonly target: string;
  run(ctx: TargetCheckContext, section: unknown): Promise<readonly DoctorCheck[]>;
}

export function targetDoctor<Config>(target: string, schema: z.ZodType<Config>, check: TargetCheck<Config>): TargetDoctor {
  // roster.yaml was validated on load, so this parse only applies defaults; `homes:` with nothing after it is {}.
  return { target, run: (ctx, section) => check(ctx, schema.parse(section ?? {})) };
}
