import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { RosterError } from '../domain/errors.js';

export const SYSTEM_CONFIG_PATH = '/etc/roster/roster.yaml';

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

function given(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/**
 * Which roster.yaml to use: `--config`, then `$ROSTER_CONFIG` (both taken
 * as given, so a typo is reported as a missing file rather than silently
 * falling back to another config), then ./roster.yaml, then the system one.
 */
export function findConfigPath(opts: {
  readonly flag?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Overridable for tests; defaults to /etc/roster/roster.yaml. */
  readonly systemPath?: string | undefined;
}): string {
  if (given(opts.flag)) return resolve(opts.cwd, opts.flag);
  const fromEnv = opts.env.ROSTER_CONFIG;
  if (given(fromEnv)) return resolve(opts.cwd, fromEnv);
  const local = resolve(opts.cwd, 'roster.yaml');
  if (isFile(local)) return local;
  const system = opts.systemPath ?? SYSTEM_CONFIG_PATH;
  if (isFile(system)) return system;
  throw new RosterError(
    'bad_config',
    `no roster.yaml found (looked at --config, $ROSTER_CONFIG, ${local} and ${system}); run \`roster init\` to write one, or pass --config`,
    [
      { where: '--config', message: 'not given' },
      { where: 'ROSTER_CONFIG', message: 'not set' },
      { where: local, message: 'does not exist' },
      { where: system, message: 'does not exist' },
    ],
  );
}
