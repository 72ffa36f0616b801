import { readFile } from 'node:fs/promises';
import { runCommand, type RunCommand } from '../system/run-command.js';

/**
 * What the checks ask of the machine beyond the files under the root: the
 * tools they run, the mount table, the environment (PATH, TZ) and who runs
 * them. Files under the root are read directly; a test lays out a temp root.
 */
export interface DoctorSystem {
  readonly run: RunCommand;
  /** The text of /proc/self/mounts. */
  readonly mounts: () => Promise<string>;
  readonly env: NodeJS.ProcessEnv;
  /** The UID the checks run as (an HMAC key must belong to it). */
  readonly uid: number;
}

export function liveSystem(env: NodeJS.ProcessEnv = process.env): DoctorSystem {
  return {
    run: runCommand,
    mounts: () => readFile('/proc/self/mounts', 'utf8').catch(() => ''),
    env,
    uid: process.getuid?.() ?? -1,
  };
}
