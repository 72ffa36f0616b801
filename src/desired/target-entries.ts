import type * as z from 'zod';
import type { RosterConfig } from '../config/config-schema.js';
import { RosterError } from '../domain/errors.js';
import type { DesiredAccount } from './desired-host.js';

/** What projection needs of a target (DESIGN.md §9.2: the consumer owns the interface; every registered target has it). */
export interface TargetProjection {
  readonly name: string;
  /** Parses `types.<type>.targets.<name>`. */
  readonly typeSettings?: z.ZodType;
  /** The account's entry from the parsed settings; without it, the settings themselves. */
  project?(account: Omit<DesiredAccount, 'targets'>, typeSettings: unknown): unknown;
  /** The kinds of owned resources it manages, by name: their resources on the host are projected for it. */
  readonly resourceKinds?: Readonly<Record<string, unknown>>;
}

/**
 * Each target's entry for an account (`DesiredAccount.targets`): the type's
 * `targets.<name>` section parsed by the target's own schema, once per type
 * and projection (its defaults filled in; a type that names nothing for a
 * target gets the defaults), then handed to the target's `project`. Targets
 * without type settings or projection have no entry.
 */
export function targetEntries(config: RosterConfig, targets: readonly TargetProjection[]): (type: string, account: Omit<DesiredAccount, 'targets'>) => DesiredAccount['targets'] {
  const producers = targets.filter((t) => t.typeSettings !== undefined || t.project !== undefined);
  const settingsByType = new Map<string, ReadonlyArray<{ readonly target: TargetProjection; readonly settings: unknown }>>();
  const settingsOf = (type: string): ReadonlyArray<{ readonly target: TargetProjection; readonly settings: unknown }> => {
    const known = settingsByType.get(type);
    if (known !== undefined) return known;
    const sections = (config.types[type]?.targets ?? {}) as Readonly<Record<string, unknown>>;
    const parsed = producers.map((target) => {
      if (target.typeSettings === undefined) return { target, settings: undefined };
      const result = target.typeSettings.safeParse(sections[target.name] ?? {});
      if (!result.success) {
        const where = `types.${type}.targets.${target.name}`;
        throw new RosterError('bad_config', `${where} is invalid`, result.error.issues.map((i) => ({ where: [where, ...i.path.map(String)].join('.'), message: i.message })));
      }
      return { target, settings: result.data };
    });
    settingsByType.set(type, parsed);
    return parsed;
  };
  return (type, account) => {
    const entries: Record<string, unknown> = {};
    for (const { target, settings } of settingsOf(type)) entries[target.name] = target.project === undefined ? settings : target.project(account, settings);
    return entries;
  };
}
