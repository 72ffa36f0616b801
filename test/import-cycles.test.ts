import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findImportCycles } from './import-cycles.js';

describe('import graph', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function tree(files: Record<string, string>): string {
    dir = mkdtempSync(join(tmpdir(), 'roster-cycles-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  }

  it('src/ has no import cycle (dependencies point one way)', () => {
    const cycles = findImportCycles(join(import.meta.dirname, '..', 'src'));
    expect(cycles.map((c) => c.join(' -> '))).toEqual([]);
  });

  it('finds a cycle through static, type-only, re-export and lazy imports, and ignores tests', () => {
    const root = tree({
      'a/one.ts': "import { two } from '../b/two.js';\nexport const one = two;\n",
      'b/two.ts': "import type { Three } from './three.js';\nexport const two = 2;\nexport type T = Three;\n",
      'b/three.ts': "export * from '../a/one.js';\nexport type Three = number;\n",
      'c/lazy.ts': "export const load = () => import('./back.js');\n",
      'c/back.ts': "export { load } from './lazy.js';\n",
      'd/clean.ts': "import { one } from '../a/one.js';\nexport const x = one;\n",
      'd/clean.test.ts': "import { x } from './clean.js';\nexport const y = x;\n",
      'd/uses-test.ts': "import { y } from './clean.test.js';\nexport const z = y;\n",
    });
    expect(findImportCycles(root).map((c) => c.join(' -> ')).sort()).toEqual(['a/one.ts -> b/two.ts -> b/three.ts -> a/one.ts', 'c/back.ts -> c/lazy.ts -> c/back.ts']);
  });

  it('finds a module that imports itself', () => {
    const root = tree({ 'self.ts': "import './self.js';\nexport const s = 1;\n" });
    expect(findImportCycles(root)).toEqual([['self.ts', 'self.ts']]);
  });
});
