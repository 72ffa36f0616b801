import type { LoadedConfig } from '../config/load-config.js';
import type { DoctorCheck } from './doctor-check.js';
import type { DoctorSystem } from './doctor-system.js';

/** What a check of Roster itself (not of one host's target) sees. */
export interface GlobalCheckContext {
  readonly loaded: LoadedConfig;
  /** Absolute, resolved root prefix; `/` is the live system. */
  readonly root: string;
  /** `--db`, DATABASE_URL or roster.yaml's database, as the other commands choose it. */
  readonly databaseUrl: string;
  readonly system: DoctorSystem;
}

/** A requirement of Roster on this machine: its database, its key, its clock, its password hashing. */
export type GlobalCheck = (ctx: GlobalCheckContext) => Promise<readonly DoctorCheck[]>;
