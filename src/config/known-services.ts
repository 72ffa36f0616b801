import type * as z from 'zod';
import { CORE_SERVICES } from './config-schema.js';

/** What naming the services needs of a target. */
export interface ServiceSource {
  readonly name: string;
  readonly hostSettings: z.ZodType;
  readonly services: readonly string[];
  /** Services a host's (parsed) settings name, beyond `services`. */
  servicesOf?(settings: unknown): readonly string[];
}

export interface KnownServices {
  /** Sorted. */
  readonly services: readonly string[];
  /**
   * A host section of a target whose settings name services was refused by
   * the target's schema, so the services it names are not known (that
   * section is reported on its own).
   */
  readonly partial: boolean;
}

/** The services a target stands for: its own, and those the hosts' settings of it name (a user-list entry's `service`). */
export function targetServices(t: ServiceSource, hosts: Readonly<Record<string, unknown>>): KnownServices {
  const services = new Set(t.services);
  let partial = false;
  if (t.servicesOf !== undefined) {
    for (const host of Object.values(hosts)) {
      const sections = sectionsOf(host);
      if (sections === undefined || !Object.hasOwn(sections, t.name)) continue;
      // `user-list:` with nothing after it means "enabled with the defaults", as everywhere.
      const parsed = t.hostSettings.safeParse(sections[t.name] ?? {});
      if (parsed.success) for (const s of t.servicesOf(parsed.data)) services.add(s);
      else partial = true;
    }
  }
  return { services: [...services].sort(), partial };
}

/** The services `freeze.keep` may name: Roster's own and every target's (see targetServices). */
export function knownServices(targets: readonly ServiceSource[], hosts: Readonly<Record<string, unknown>>): KnownServices {
  const each = targets.map((t) => targetServices(t, hosts));
  return { services: [...new Set([...CORE_SERVICES, ...each.flatMap((e) => e.services)])].sort(), partial: each.some((e) => e.partial) };
}

function sectionsOf(host: unknown): Readonly<Record<string, unknown>> | undefined {
  if (typeof host !== 'object' || host === null) return undefined;
  const targets = (host as { readonly targets?: unknown }).targets;
  return typeof targets === 'object' && targets !== null && !Array.isArray(targets) ? (targets as Readonly<Record<string, unknown>>) : undefined;
}
