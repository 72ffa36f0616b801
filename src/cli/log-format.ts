import { RosterError } from '../domain/errors.js';

export type LogFormat = 'json' | 'pretty';

/**
 * How `roster serve` and `roster agent` write their logs: JSON lines for a
 * journal or a log collector, human-readable lines when a person watches a
 * terminal. ROSTER_LOG_FORMAT (json or pretty) overrides the guess, e.g. to
 * read JSON on a terminal or pretty lines in a pipe.
 */
export function logFormat(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): LogFormat {
  const asked = env.ROSTER_LOG_FORMAT;
  if (asked === undefined || asked === '') return stream.isTTY === true ? 'pretty' : 'json';
  if (asked === 'json' || asked === 'pretty') return asked;
  throw new RosterError('usage', `ROSTER_LOG_FORMAT is "${asked}"; it must be json or pretty`, [{ where: 'ROSTER_LOG_FORMAT', message: 'expected json or pretty' }]);
}
