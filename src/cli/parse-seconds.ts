import { RosterError } from '../domain/errors.js';

/** A `--flag <seconds>` value in milliseconds; `positive` refuses 0. */
export function parseSeconds(text: string, flag: string, options: { readonly positive?: boolean } = {}): number {
  const positive = options.positive === true;
  if (!/^\d+(\.\d+)?$/.test(text) || (positive && Number(text) <= 0)) {
    throw new RosterError('usage', `${flag} "${text}" must be a ${positive ? 'positive ' : ''}number of seconds`, [{ where: flag, message: 'expected seconds' }]);
  }
  return Number(text) * 1000;
}
