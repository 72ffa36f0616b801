import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { importsOf } from './module-imports.js';

/** Every `.ts` and `.tsx` file under `dir` that is part of the program (not a test, not a declaration). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && (e.name.endsWith('.ts') || e.name.endsWith('.tsx')) && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * The import cycles among the modules under `dir`, one per strongly
 * connected component (Tarjan), each as a path that starts and ends at the
 * same file, relative to `dir`. Empty when the import graph is acyclic.
 */
export function findImportCycles(dir: string): string[][] {
  const root = resolve(dir);
  const graph = new Map(sourceFiles(root).map((f) => [f, importsOf(f)] as const));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  // Recursion depth is bounded by the longest import chain, a few dozen files.
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
  };
  for (const f of graph.keys()) if (!index.has(f)) connect(f);
  return components.map((c) => cycleThrough(c, graph).map((f) => relative(root, f)));
}

/** One concrete cycle inside a strongly connected component: the shortest way from its first file back to it. */
function cycleThrough(component: readonly string[], graph: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0] ?? '';
  const cameFrom = new Map<string, string>();
  const queue = [start];
  // A breadth-first walk: the loop also visits what is pushed onto the queue inside it.
  for (const v of queue) {
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0] ?? '') ?? start);
        return [...path, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component, component[0] ?? ''];
}
