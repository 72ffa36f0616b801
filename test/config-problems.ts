import { parseConfig, type ConfigTarget } from '../src/config/load-config.js';
import { RosterError } from '../src/domain/errors.js';

/** What roster.yaml `text` is refused for with these targets registered, as `where: message` lines; [] when it is accepted. */
export function configProblems(text: string, targets: readonly ConfigTarget[]): string[] {
  try {
    parseConfig(text, 'roster.yaml', { targets });
  } catch (e) {
    if (e instanceof RosterError && e.code === 'bad_config') return e.issues.map((i) => `${i.where}: ${i.message}`);
    throw e;
  }
  return [];
}
