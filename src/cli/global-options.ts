import type { Command } from 'commander';
import { fixedClock, systemClock, type Clock } from '../domain/clock.js';
import { outcomeExit } from '../domain/errors.js';
import { parseNow } from './parse-now.js';

/**
 * What every command shares before it touches roster.yaml or the store:
 * the global options, the clock they set, and the output. Kept apart from
 * cli-context (which loads the config schema, the store and every target)
 * so that a command that needs none of them, such as a `roster watch` turn
 * every five minutes, does not load them.
 */

/** Options every command accepts, before or after the command name. */
export interface GlobalOptions {
  readonly config?: string;
  readonly db?: string;
  readonly json?: boolean;
  readonly now?: string;
  readonly detailedExitcode?: boolean;
}

export function globalsOf(command: Command): GlobalOptions & Record<string, unknown> {
  return command.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
}

export function clockFor(opts: GlobalOptions, env: NodeJS.ProcessEnv, timeZone: string): Clock {
  const text = opts.now ?? env.ROSTER_NOW;
  if (text === undefined || text === '') return systemClock;
  return fixedClock(parseNow(text, timeZone, opts.now !== undefined ? '--now' : 'ROSTER_NOW'));
}

export interface Output {
  readonly json: boolean;
  /** Machine output (with --json) or the human text; always stdout. */
  print(value: unknown, human: () => string): void;
  /** Progress and notes: always stderr, so stdout stays parseable. */
  note(message: string): void;
  /** With --detailed-exitcode, a dry run with pending changes exits 2. */
  pending(hasChanges: boolean): void;
}

export function outputFor(opts: GlobalOptions): Output {
  return {
    json: opts.json === true,
    print(value, human) {
      if (opts.json === true) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else {
        const text = human();
        if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
    },
    note(message) {
      process.stderr.write(`${message}\n`);
    },
    pending(hasChanges) {
      if (opts.detailedExitcode === true && hasChanges) process.exitCode = outcomeExit.pendingChanges;
    },
  };
}
