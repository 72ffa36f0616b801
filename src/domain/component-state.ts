/**
 * The states a component of the status page (a host, or a service of a
 * host) can be in, as Atlassian Statuspage, Cachet and Uptime Kuma name
 * them, from best to worst: the worst condition that holds wins.
 * Maintenance ranks below every fault: a host under announced maintenance
 * that also fails shows the failure.
 */
export const COMPONENT_STATES = ['operational', 'maintenance', 'degraded', 'partial_outage', 'major_outage'] as const;
export type ComponentState = (typeof COMPONENT_STATES)[number];

/** What an admin may set by hand (an override): every state. */
export function isComponentState(value: string): value is ComponentState {
  return (COMPONENT_STATES as readonly string[]).includes(value);
}

/** 0 (operational) to 4 (major outage): the order in which states win. */
export function stateRank(state: ComponentState): number {
  return COMPONENT_STATES.indexOf(state);
}

export function stateOfRank(rank: number): ComponentState {
  return COMPONENT_STATES[Math.max(0, Math.min(COMPONENT_STATES.length - 1, Math.trunc(rank)))] ?? 'operational';
}

/** The worst of `states`; operational when there are none. */
export function worstState(states: Iterable<ComponentState>): ComponentState {
  let rank = 0;
  for (const s of states) rank = Math.max(rank, stateRank(s));
  return stateOfRank(rank);
}

/** An incident's impact, as Statuspage grades it. */
export const INCIDENT_IMPACTS = ['minor', 'major', 'critical'] as const;
export type IncidentImpact = (typeof INCIDENT_IMPACTS)[number];

/** What an open incident does to its components: minor degrades, major is a partial outage, critical a major one. */
export function impactState(impact: IncidentImpact): ComponentState {
  switch (impact) {
    case 'minor':
      return 'degraded';
    case 'major':
      return 'partial_outage';
    case 'critical':
      return 'major_outage';
  }
}

/** An incident's states, in the order they usually come; `resolved` ends it. */
export const INCIDENT_STATES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/** A maintenance's states; `completed` ends it. */
export const MAINTENANCE_STATES = ['scheduled', 'in_progress', 'completed'] as const;
export type MaintenanceState = (typeof MAINTENANCE_STATES)[number];

export type StatusEventKind = 'incident' | 'maintenance';
export type StatusEventState = IncidentState | MaintenanceState;

/** Words for people. */
export const STATE_WORDS: Readonly<Record<ComponentState, string>> = {
  operational: 'Operational',
  maintenance: 'Under maintenance',
  degraded: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
};

export const EVENT_STATE_WORDS: Readonly<Record<string, string>> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  completed: 'Completed',
};

/**
 * Component ids: a host is its name (`shell`), a service of a host is
 * `host/service` (`shell/login`). Host names cannot contain `/`.
 */
export function serviceComponent(host: string, service: string): string {
  return `${host}/${service}`;
}

/** The host a component id belongs to. */
export function componentHost(component: string): string {
  const slash = component.indexOf('/');
  return slash === -1 ? component : component.slice(0, slash);
}
