/** What ordering needs of a target: its name and the targets it must run after. */
export interface Ordered {
  readonly name: string;
  readonly after?: readonly string[];
}

/** The targets in apply order, or why there is none (a cycle, a name that is no target). */
export type OrderResult<T extends Ordered> =
  | { readonly ok: true; readonly order: readonly T[] }
  | { readonly ok: false; readonly problems: readonly OrderProblem[] };

export interface OrderProblem {
  /** The target whose `after` is at fault. */
  readonly target: string;
  readonly message: string;
}

/**
 * The apply order (DESIGN.md §10 "Targets are plugins"): a topological order
 * of the `after` constraints (Kahn's algorithm). When several targets may
 * come next, the one listed first goes, so the order is deterministic and a
 * list consistent with the constraints is kept as it is. A constraint that
 * names no target, a name registered twice, or targets that wait for each
 * other, leave no order.
 */
export function targetOrder<T extends Ordered>(targets: readonly T[]): OrderResult<T> {
  const index = new Map(targets.map((t, i) => [t.name, i]));
  const problems: OrderProblem[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.name)) problems.push({ target: t.name, message: 'is registered twice (each target name once)' });
    seen.add(t.name);
  }
  for (const t of targets) {
    for (const name of t.after ?? []) {
      if (!index.has(name)) problems.push({ target: t.name, message: `after names "${name}", which is not a registered target (registered: ${targets.map((x) => x.name).join(', ')})` });
      else if (name === t.name) problems.push({ target: t.name, message: 'after names the target itself' });
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  const waiting = targets.map((t) => new Set(t.after ?? []));
  const placed = new Set<string>();
  const order: T[] = [];
  while (order.length < targets.length) {
    const next = targets.findIndex((t, i) => !placed.has(t.name) && [...(waiting[i] ?? [])].every((n) => placed.has(n)));
    const target = targets[next];
    if (target === undefined) break;
    placed.add(target.name);
    order.push(target);
  }
  if (order.length === targets.length) return { ok: true, order };
  return { ok: false, problems: cycleProblems(targets.filter((t) => !placed.has(t.name))) };
}

/** One problem per target on a cycle, naming the cycle: `a runs after b, b runs after a`. */
function cycleProblems(stuck: readonly Ordered[]): OrderProblem[] {
  const byName = new Map(stuck.map((t) => [t.name, t]));
  // Follow unplaced `after` links from the first stuck target until a name repeats: that loop is a cycle.
  const path: string[] = [];
  let at = stuck[0];
  while (at !== undefined && !path.includes(at.name)) {
    path.push(at.name);
    at = byName.get((at.after ?? []).find((n) => byName.has(n)) ?? '');
  }
  const cycle = at === undefined ? path : path.slice(path.indexOf(at.name));
  const text = cycle.map((name, i) => `${name} runs after ${cycle[(i + 1) % cycle.length] ?? ''}`).join(', ');
  return cycle.map((target) => ({ target, message: `after makes an ordering cycle: ${text}` }));
}

/** The apply order, or an error naming each problem. */
export function targetOrderOrThrow<T extends Ordered>(targets: readonly T[], fail: (problems: readonly OrderProblem[]) => Error): readonly T[] {
  const result = targetOrder(targets);
  if (!result.ok) throw fail(result.problems);
  return result.order;
}
