import { knownServices, targetServices } from '../config/known-services.js';
import type { AnyTarget } from '../targets/registry.js';

/** `roster config check --targets`: the registered targets as the pipeline applies them. */
export interface TargetOrderView {
  readonly targets: ReadonlyArray<{
    readonly name: string;
    readonly after: readonly string[];
    readonly services: readonly string[];
    /** Whether account types may set `types.<type>.targets.<name>`. */
    readonly typeSettings: boolean;
    readonly resourceKinds: readonly string[];
    /** Applied at the same time as its concurrent neighbours (Target.concurrent). */
    readonly concurrent: boolean;
  }>;
  /** What `freeze.keep` may name: Roster's own services and the targets'. */
  readonly services: readonly string[];
}

/** `hosts`: roster.yaml's hosts, whose target settings may name services too (a user-list entry's `service`). */
export function targetOrderView(targets: readonly AnyTarget[], hosts: Readonly<Record<string, unknown>> = {}): TargetOrderView {
  return {
    targets: targets.map((t) => ({ name: t.name, after: t.after, services: targetServices(t, hosts).services, typeSettings: t.typeSettings !== undefined, resourceKinds: Object.keys(t.resourceKinds), concurrent: t.concurrent === true })),
    services: knownServices(targets, hosts).services,
  };
}

export function formatTargetOrder(view: TargetOrderView): string {
  const width = Math.max(0, ...view.targets.map((t) => t.name.length));
  const lines = view.targets.map((t, i) => {
    const parts = [
      t.after.length > 0 ? `after ${t.after.join(', ')}` : '',
      t.services.length > 0 ? `services ${t.services.join(', ')}` : '',
      t.typeSettings ? `types.<type>.targets.${t.name}` : '',
      t.resourceKinds.length > 0 ? `resources ${t.resourceKinds.join(', ')}` : '',
      t.concurrent ? 'concurrent' : '',
    ].filter((p) => p !== '');
    return `  ${String(i + 1).padStart(2)}. ${parts.length > 0 ? `${t.name.padEnd(width)}  ${parts.join('; ')}` : t.name}`;
  });
  return ['targets, in the order they are applied:', ...lines, `services freeze.keep may name: ${view.services.join(', ')}`].join('\n');
}
