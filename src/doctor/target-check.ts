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
 * parsed settings: a target's `doctor`, in the target's own folder.
 */
export type TargetCheck<Config> = (ctx: TargetCheckContext, config: Config) => Promise<readonly DoctorCheck[]>;

/** What doctor needs of a target: its name, the schema of its host section and its check, if it has one. */
export interface DoctorTarget {
  readonly name: string;
  readonly hostSettings: z.ZodType;
  doctor?(ctx: TargetCheckContext, config: never): Promise<readonly DoctorCheck[]>;
}
