import { pino } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from '../app/app-context.js';
import { currentLogFields } from '../app/log-fields.js';
import type { LogFormat } from './log-format.js';

export interface ServiceLoggerOptions {
  /** `roster-serve`, `roster-agent`: the `name` of every line. */
  readonly name: string;
  readonly format: LogFormat;
  /** Where lines go (default: stderr, written synchronously so nothing is lost when the process exits). */
  readonly destination?: NodeJS.WritableStream;
  /** Colours in the pretty format (default: when stderr is a terminal and NO_COLOR is unset). */
  readonly colorize?: boolean;
  /**
   * JSON lines to stderr written in the background rather than by one
   * synchronous write each: `roster serve` logs a line per request, and
   * that write cost a tenth of a SCIM GET by id (issue 17). Lines that come
   * while a write is under way go out together with the next one, in order;
   * what is left is written synchronously when the process exits (pino's
   * exit handler), so only a kill -9 can lose the last few milliseconds.
   */
  readonly background?: boolean;
}

/**
 * The log of the long-running commands (pino): one JSON object per line
 * with time, level, name, message and the fields bound around the call
 * (a request's `reqId`, the same id as its X-Request-Id answer), or the
 * same as one readable line (pino-pretty) for a terminal. It stands behind
 * the `Logger` every use case already receives, so no call site changes.
 */
export function serviceLogger(options: ServiceLoggerOptions): Logger {
  const colorize = options.colorize ?? (process.stderr.isTTY && process.env.NO_COLOR === undefined);
  const stream =
    options.format === 'pretty'
      ? // In this process, not a worker-thread transport: the bundled bin has no separate files to load a worker from.
        pretty({ destination: options.destination ?? 2, sync: true, colorize, singleLine: true, ignore: 'pid,hostname,name', translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l' })
      : (options.destination ?? pino.destination({ dest: 2, sync: options.background !== true }));
  const log = pino(
    {
      name: options.name,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names rather than numbers: a line is read by people and jq alike.
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => ({ ...currentLogFields() }),
    },
    stream,
  );
  return {
    info: (message, fields) => (fields === undefined ? log.info(message) : log.info(fields, message)),
    warn: (message, fields) => (fields === undefined ? log.warn(message) : log.warn(fields, message)),
  };
}
