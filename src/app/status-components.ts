import type { RosterConfig } from '../config/config-schema.js';
import { targetServices, type ServiceSource } from '../config/known-services.js';
import { serviceComponent } from '../domain/component-state.js';
import { RosterError } from '../domain/errors.js';
import { printable } from './person-input.js';

/**
 * A component of the status page: a host of roster.yaml, or a service one
 * of its targets stands for there (`shell/login`, `web/web`). Components
 * come from roster.yaml alone, so the page lists every host, also one
 * whose agent never called.
 */
export interface StatusComponent {
  /** `shell`, or `shell/login`. */
  readonly id: string;
  readonly host: string;
  /** Null for the host itself. */
  readonly service: string | null;
  /** What the page shows: `status.components.<id>.name`, else the host's or the service's name. */
  readonly name: string;
  readonly description: string | null;
  /** Left off the page (status.components.<id>.hidden, or a service while status.expose.services is off). */
  readonly hidden: boolean;
  /** The targets enabled on the host that stand for this service (none for a host): their failures degrade it. */
  readonly targets: readonly string[];
}

/**
 * Every component in roster.yaml's order of hosts, each host followed by
 * its services (sorted). `targets` are those whose services count (the
 * registered ones).
 */
export function statusComponents(config: RosterConfig, targets: readonly ServiceSource[]): StatusComponent[] {
  const overrides = config.status.components;
  const out: StatusComponent[] = [];
  for (const [host, hostConfig] of Object.entries(config.hosts)) {
    const own = overrides[host];
    const hostDescription = own?.description ?? (config.status.expose.hostDescriptions ? (hostConfig.description ?? null) : null);
    out.push({ id: host, host, service: null, name: own?.name ?? host, description: hostDescription, hidden: own?.hidden === true, targets: [] });
    const byService = new Map<string, string[]>();
    for (const t of targets) {
      if (!Object.hasOwn(hostConfig.targets, t.name)) continue;
      for (const service of targetServices(t, { [host]: hostConfig }).services) byService.set(service, [...(byService.get(service) ?? []), t.name]);
    }
    for (const service of [...byService.keys()].sort()) {
      const id = serviceComponent(host, service);
      const o = overrides[id];
      out.push({
        id,
        host,
        service,
        name: o?.name ?? service,
        description: o?.description ?? null,
        hidden: o?.hidden === true || own?.hidden === true || !config.status.expose.services,
        targets: byService.get(service) ?? [],
      });
    }
  }
  return out;
}

/**
 * The components an incident or a maintenance is about, checked: each a
 * known component, no repeats, at least one. `hosts` name whole hosts,
 * `components` any component; both may be given.
 */
export function chooseComponents(all: readonly StatusComponent[], input: { readonly hosts?: readonly string[] | undefined; readonly components?: readonly string[] | undefined }): string[] {
  const ids = new Set(all.map((c) => c.id));
  const hostIds = new Set(all.filter((c) => c.service === null).map((c) => c.id));
  const chosen: string[] = [];
  for (const h of input.hosts ?? []) {
    if (!hostIds.has(h)) {
      throw new RosterError('not_found', `no host "${printable(h)}" in roster.yaml (known: ${[...hostIds].join(', ') || 'none'})`, [{ where: 'host', message: 'unknown host' }]);
    }
    if (!chosen.includes(h)) chosen.push(h);
  }
  for (const c of input.components ?? []) {
    if (!ids.has(c)) {
      throw new RosterError('not_found', `no component "${printable(c)}" (components are hosts and their services: ${[...ids].join(', ') || 'none'})`, [{ where: 'component', message: 'unknown component' }]);
    }
    if (!chosen.includes(c)) chosen.push(c);
  }
  if (chosen.length === 0) throw new RosterError('bad_input', 'name what it is about: a host or a component', [{ where: 'host', message: 'give a host or a component' }]);
  return chosen;
}
