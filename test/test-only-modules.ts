import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { importsOf } from './module-imports.js';

/**
 * The modules under `root`/src that only tests use: every module that
 * imports one is a test (`*.test.ts`, or anything outside src/) or is itself
 * used only by tests. These are test helpers, which the build must leave out.
 * A module nothing imports (an entry point) is not one. Paths relative to `root`.
 */
export function testOnlyModules(root: string): string[] {
  const files = ['src', 'test', 'bench']
    .map((d) => join(root, d))
    .filter((d) => existsSync(d))
    .flatMap((d) => readdirSync(d, { withFileTypes: true, recursive: true }))
    .filter((e) => e.isFile() && (e.name.endsWith('.ts') || e.name.endsWith('.tsx')) && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
  const importers = new Map<string, Set<string>>();
  for (const f of files) for (const target of importsOf(f)) importers.set(target, (importers.get(target) ?? new Set()).add(f));
  const src = join(root, 'src');
  const isTest = (f: string): boolean => f.endsWith('.test.ts') || !f.startsWith(`${src}/`);
  const testOnly = new Set<string>();
  // Grows until nothing more is found: a helper may be used only by another helper.
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of files) {
      const users = importers.get(f);
      if (isTest(f) || testOnly.has(f) || users === undefined) continue;
      if ([...users].every((u) => isTest(u) || testOnly.has(u))) {
        testOnly.add(f);
        grew = true;
      }
    }
  }
  return [...testOnly].map((f) => relative(root, f)).sort();
}
