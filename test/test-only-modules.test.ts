import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { testOnlyModules } from './test-only-modules.js';

const REPO = join(import.meta.dirname, '..');

/** The files `tsc -p tsconfig.build.json` compiles into dist/ (its include less its exclude), relative to the repository. */
function buildFiles(): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(REPO, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  if (parsed === undefined) throw new Error('tsconfig.build.json cannot be read');
  return parsed.fileNames.map((f) => relative(REPO, f));
}

describe('dist/ holds no test code', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('the build compiles no test and no module that only tests use', () => {
    const built = buildFiles();
    expect(built).toContain('src/cli/main.ts');
    expect(built.filter((f) => f.endsWith('.test.ts'))).toEqual([]);
    const helpers = testOnlyModules(REPO);
    expect(helpers.filter((f) => built.includes(f))).toEqual([]);
  });

  it('finds helpers used only by tests or by other helpers, and not entry points or shipped code', () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-test-only-'));
    const files: Record<string, string> = {
      'src/cli/main.ts': "import { run } from '../app/run.js';\nrun();\n",
      'src/app/run.ts': "export function run(): void {}\n",
      'src/app/run.test.ts': "import { fixture } from '../store/fixture.js';\nimport { run } from './run.js';\nrun(); fixture();\n",
      'src/store/fixture.ts': "import { seed } from './seed.js';\nexport const fixture = seed;\n",
      'src/store/seed.ts': "export function seed(): void {}\n",
      'src/store/shared.ts': 'export const shared = 1;\n',
      'src/app/uses-shared.ts': "import { shared } from '../store/shared.js';\nexport const x = shared;\n",
      'src/app/uses-shared.test.ts': "import { shared } from '../store/shared.js';\nexport const y = shared;\n",
      'test/tour.test.ts': "import type { Lazy } from '../src/app/lazy.js';\nexport type L = Lazy;\nexport const load = () => import('../src/app/loaded.js');\n",
      'src/app/lazy.ts': 'export type Lazy = number;\n',
      'src/app/loaded.ts': 'export const loaded = 1;\n',
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    expect(testOnlyModules(dir)).toEqual(['src/app/lazy.ts', 'src/app/loaded.ts', 'src/store/fixture.ts', 'src/store/seed.ts']);
  });
});
